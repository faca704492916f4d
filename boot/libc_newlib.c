/*
 * newlib's system interface for this freestanding kernel (the arm build:
 * Debian packages newlib only for arm-none-eabi; picolibc, used on arm64
 * and riscv64, hooks stdio in boot/console.c instead). newlib's stdio calls
 * these few functions: console output and input, a fixed heap for its
 * allocations, and exit. Every other call fails with ENOSYS-like results.
 */
#include <stdio.h>
#ifndef __PICOLIBC__
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include "boot/kernel.h"
#include "boot/console.h"
#include "boot/arch.h"

int _write(int fd, const char *buf, int len);
int _read(int fd, char *buf, int len);
void *_sbrk(ptrdiff_t incr);
int _close(int fd);
int _fstat(int fd, struct stat *st);
int _isatty(int fd);
int _lseek(int fd, int off, int whence);
int _kill(int pid, int sig);
int _getpid(void);
void _exit(int code);
void newlib_init(void);

/* stdout and stderr (1, 2) go to the console; nothing else exists. */
int _write(int fd, const char *buf, int len)
{
    if (fd != 1 && fd != 2) {
        errno = EBADF;
        return -1;
    }
    for (int i = 0; i < len; i++)
        console_putc(buf[i]);
    return len;
}

/* stdin (0): one character, waiting for it. */
int _read(int fd, char *buf, int len)
{
    if (fd != 0) {
        errno = EBADF;
        return -1;
    }
    if (len <= 0)
        return 0;
    int c;
    while ((c = console_getc()) < 0)
        ;
    buf[0] = (char)c;
    return 1;
}

/* newlib's malloc (stdio buffers, if any) grows into this fixed heap. */
#define HEAP_SIZE (64 * 1024)
static char heap[HEAP_SIZE] __attribute__((aligned(8)));
static size_t heap_used;

void *_sbrk(ptrdiff_t incr)
{
    if (incr < 0 ? (size_t)-incr > heap_used : (size_t)incr > HEAP_SIZE - heap_used) {
        errno = ENOMEM;
        return (void *)-1;
    }
    void *p = heap + heap_used;
    heap_used += (size_t)incr;
    return p;
}

int _close(int fd) { (void)fd; errno = EBADF; return -1; }
int _fstat(int fd, struct stat *st)
{
    (void)fd;
    memset(st, 0, sizeof(*st));
    st->st_mode = S_IFCHR;
    return 0;
}
int _isatty(int fd) { return fd >= 0 && fd <= 2; }
int _lseek(int fd, int off, int whence) { (void)fd, (void)off, (void)whence; errno = ESPIPE; return -1; }
int _kill(int pid, int sig) { (void)pid, (void)sig; errno = EINVAL; return -1; }
int _getpid(void) { return 1; }
void _exit(int code) { arch_exit(code); }

/* Called from the entry code before kmain: the console is unbuffered, so a
 * crash loses no partial line and output interleaves with the raw console
 * writes of the trap path. */
void newlib_init(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    setvbuf(stderr, NULL, _IONBF, 0);
    setvbuf(stdin, NULL, _IONBF, 0);
}
#endif
