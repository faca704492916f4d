/* Interactive serial shell (boot argument `shell`, `make console`). */
#ifndef BOOT_SHELL_H
#define BOOT_SHELL_H
/* Read commands from the console until `exit`/`quit` or end of input. */
void shell_run(void);
#endif
