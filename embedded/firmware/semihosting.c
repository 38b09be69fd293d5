#include "semihosting.h"

#include <string.h>

enum { SYS_OPEN = 0x01, SYS_CLOSE = 0x02, SYS_WRITE0 = 0x04, SYS_WRITE = 0x05, SYS_READ = 0x06,
       SYS_EXIT_EXTENDED = 0x20 };

static int call(int op, void *args) {
    register int r0 __asm("r0") = op;
    register void *r1 __asm("r1") = args;
    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

int sh_open(const char *path, int mode) {
    uint32_t args[3] = {(uint32_t)path, (uint32_t)mode, (uint32_t)strlen(path)};
    return call(SYS_OPEN, args);
}

int sh_read(int handle, void *buffer, size_t bytes) {
    uint32_t args[3] = {(uint32_t)handle, (uint32_t)buffer, (uint32_t)bytes};
    return call(SYS_READ, args);
}

int sh_write(int handle, const void *buffer, size_t bytes) {
    uint32_t args[3] = {(uint32_t)handle, (uint32_t)buffer, (uint32_t)bytes};
    return call(SYS_WRITE, args);
}

void sh_close(int handle) {
    uint32_t args[1] = {(uint32_t)handle};
    call(SYS_CLOSE, args);
}

void sh_write0(const char *text) { call(SYS_WRITE0, (void *)text); }

void sh_exit(int code) {
    uint32_t args[2] = {0x20026u /* ADP_Stopped_ApplicationExit */, (uint32_t)code};
    for (;;) call(SYS_EXIT_EXTENDED, args);
}
