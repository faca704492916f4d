/* Placeholder until the shell lands. */
#include <stdio.h>
#include "boot/shell.h"
void shell_run(void) { printf("# shell not built yet\n"); }
