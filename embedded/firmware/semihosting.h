/* Arm semihosting (the debugger/emulator host does the I/O): just the calls the test
 * harness needs, so the firmware links no stdio. QEMU: -semihosting-config enable=on. */
#ifndef SOUNDBENCH_SEMIHOSTING_H
#define SOUNDBENCH_SEMIHOSTING_H
#include <stddef.h>
#include <stdint.h>

int sh_open(const char *path, int mode);   /* mode 1 = "rb", 5 = "wb"; -1 on error */
int sh_read(int handle, void *buffer, size_t bytes);   /* returns bytes NOT read */
int sh_write(int handle, const void *buffer, size_t bytes);
void sh_close(int handle);
void sh_write0(const char *text);          /* to the host's console */
void sh_exit(int code) __attribute__((noreturn));
#endif
