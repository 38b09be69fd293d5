/* Minimal stand-in for CMSIS-Core's cmsis_compiler.h (not on any package registry): the
 * attribute macros and the few Cortex-M4 intrinsics that the CMSIS-DSP float32 sources used
 * by the front end need, for arm-none-eabi-gcc. */
#ifndef SB_CMSIS_COMPILER_SHIM_H
#define SB_CMSIS_COMPILER_SHIM_H

#include <stdint.h>

#ifndef __ASM
#define __ASM __asm
#endif
#ifndef __INLINE
#define __INLINE inline
#endif
#ifndef __STATIC_INLINE
#define __STATIC_INLINE static inline
#endif
#ifndef __STATIC_FORCEINLINE
#define __STATIC_FORCEINLINE __attribute__((always_inline)) static inline
#endif
#ifndef __WEAK
#define __WEAK __attribute__((weak))
#endif
#ifndef __ALIGNED
#define __ALIGNED(x) __attribute__((aligned(x)))
#endif
#ifndef __PACKED
#define __PACKED __attribute__((packed, aligned(1)))
#endif
#ifndef __RESTRICT
#define __RESTRICT __restrict
#endif

#define __CLZ (uint8_t) __builtin_clz

#define __SSAT(ARG1, ARG2) \
    __extension__({ int32_t __r, __a = (ARG1); __ASM volatile("ssat %0, %1, %2" : "=r"(__r) : "I"(ARG2), "r"(__a) : "cc"); __r; })
#define __USAT(ARG1, ARG2) \
    __extension__({ uint32_t __r; int32_t __a = (ARG1); __ASM volatile("usat %0, %1, %2" : "=r"(__r) : "I"(ARG2), "r"(__a) : "cc"); __r; })

__STATIC_FORCEINLINE int32_t __QADD(int32_t a, int32_t b) {
    int32_t r;
    __ASM volatile("qadd %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

__STATIC_FORCEINLINE int32_t __QSUB(int32_t a, int32_t b) {
    int32_t r;
    __ASM volatile("qsub %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

#endif
