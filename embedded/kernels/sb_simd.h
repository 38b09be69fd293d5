/* The few Cortex-M4 DSP-extension operations the int8 kernels are built from, as ACLE
 * intrinsics (<arm_acle.h>) on cores that have them and as plain C elsewhere (a host build
 * or a Cortex-M0), so every kernel has one source that behaves identically on both. */
#ifndef SB_SIMD_H
#define SB_SIMD_H

#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#define SB_HAVE_DSP 1
#else
#define SB_HAVE_DSP 0
#endif

/* Four int8 from memory as one word (unaligned allowed: memcpy compiles to one LDR). */
static inline int32_t sb_read_s8x4(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* n bytes, a word at a time (unaligned LDR/STR are fine on the M4; newlib-nano's memcpy
 * copies bytewise, about 12 cycles a byte) */
static inline void sb_copy_s8(int8_t *out, const int8_t *in, int n) {
    for (; n >= 4; n -= 4, in += 4, out += 4) {
        const int32_t word = sb_read_s8x4(in);
        memcpy(out, &word, 4);
    }
    for (; n > 0; n--) *out++ = *in++;
}

/* Two int16 from memory as one word: low half = p[0], high half = p[1]. */
static inline int32_t sb_read_s16x2(const int16_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* A word that may alias any type (the int16 planes are written as int16 and read as
 * pairs), so GCC can merge neighbouring reads into LDRD. Callers keep it 4-byte aligned. */
typedef int32_t sb_word __attribute__((may_alias, aligned(4)));
typedef uint64_t sb_dword __attribute__((may_alias, aligned(4)));

/* Words `offset` and `offset` + 1 of `p` (offset a constant) in one LDRD, which GCC's
 * Cortex-M4 tuning does not form by itself: 3 cycles instead of 4. */
#if defined(__ARM_ARCH_7EM__)
#define SB_READ_WORDS(p, offset, first, second)                                       \
    __asm("ldrd %0, %1, [%2, %3]" : "=r"(first), "=r"(second)                          \
          : "r"(p), "n"(4 * (offset)), "m"(*(const sb_dword *)((p) + (offset))))
#else
#define SB_READ_WORDS(p, offset, first, second) ((first) = (p)[offset], (second) = (p)[(offset) + 1])
#endif

#if SB_HAVE_DSP
/* (lo's low half, hi's low half) and (lo's high half, hi's high half): PKHBT / PKHTB */
static inline int32_t sb_pack_low(int32_t lo, int32_t hi) {
    int32_t out;
    __asm("pkhbt %0, %1, %2, lsl #16" : "=r"(out) : "r"(lo), "r"(hi));
    return out;
}
static inline int32_t sb_pack_high(int32_t lo, int32_t hi) {
    int32_t out;
    __asm("pkhtb %0, %2, %1, asr #16" : "=r"(out) : "r"(lo), "r"(hi));
    return out;
}
/* low half from `lo`, high half from `hi` (PKHBT with no shift) */
static inline int32_t sb_join(int32_t lo, int32_t hi) {
    int32_t out;
    __asm("pkhbt %0, %1, %2" : "=r"(out) : "r"(lo), "r"(hi));
    return out;
}
/* acc + lo(a)*hi(b) + hi(a)*lo(b); acc + lo(a)*lo(b); acc + hi(a)*lo(b) */
static inline int32_t sb_smladx(int32_t a, int32_t b, int32_t acc) { return __smladx((uint32_t)a, (uint32_t)b, acc); }
static inline int32_t sb_smlabb(int32_t a, int32_t b, int32_t acc) { return __smlabb(a, b, acc); }
static inline int32_t sb_smlatb(int32_t a, int32_t b, int32_t acc) { return __smlatb(a, b, acc); }
/* bytes 0 and 2 sign-extended into the two halfwords */
static inline int32_t sb_sxtb16(int32_t x) { return (int32_t)__sxtb16((uint32_t)x); }
/* bytes 1 and 3 sign-extended into the two halfwords (SXTB16 with ROR #8, one instruction) */
static inline int32_t sb_sxtb16_ror8(int32_t x) {
    int32_t out;
    __asm("sxtb16 %0, %1, ror #8" : "=r"(out) : "r"(x));
    return out;
}
/* acc + lo(a)*lo(b) + hi(a)*hi(b): two 16×16 multiply-accumulates in one cycle */
static inline int32_t sb_smlad(int32_t a, int32_t b, int32_t acc) { return __smlad((uint32_t)a, (uint32_t)b, acc); }
static inline int32_t sb_qadd(int32_t a, int32_t b) { return __qadd(a, b); }
/* the larger of each of the 4 signed bytes: SSUB8 sets a GE flag per byte, SEL keeps a's bytes where set */
static inline int32_t sb_max_s8x4(int32_t a, int32_t b) {
    (void)__ssub8(a, b);
    return (int32_t)__sel((uint32_t)a, (uint32_t)b);
}
#else
static inline int32_t sb_pack_low(int32_t lo, int32_t hi) {
    return (int32_t)(((uint32_t)hi << 16) | ((uint32_t)lo & 0xFFFFu));
}
static inline int32_t sb_pack_high(int32_t lo, int32_t hi) {
    return (int32_t)(((uint32_t)hi & 0xFFFF0000u) | ((uint32_t)lo >> 16));
}
static inline int32_t sb_pack16(int32_t lo, int32_t hi) { return (int32_t)(((uint32_t)hi << 16) | ((uint32_t)lo & 0xFFFFu)); }
static inline int32_t sb_lo16(int32_t x) { return (int16_t)(x & 0xFFFF); }
static inline int32_t sb_hi16(int32_t x) { return (int16_t)((uint32_t)x >> 16); }
static inline int32_t sb_sxtb16(int32_t x) { return sb_pack16((int8_t)(x & 0xFF), (int8_t)((x >> 16) & 0xFF)); }
static inline int32_t sb_sxtb16_ror8(int32_t x) { return sb_pack16((int8_t)((x >> 8) & 0xFF), (int8_t)((uint32_t)x >> 24)); }
static inline int32_t sb_smlad(int32_t a, int32_t b, int32_t acc) {
    return (int32_t)((uint32_t)acc + (uint32_t)(sb_lo16(a) * sb_lo16(b)) + (uint32_t)(sb_hi16(a) * sb_hi16(b)));
}
static inline int32_t sb_join(int32_t lo, int32_t hi) {
    return (int32_t)(((uint32_t)hi & 0xFFFF0000u) | ((uint32_t)lo & 0xFFFFu));
}
static inline int32_t sb_smladx(int32_t a, int32_t b, int32_t acc) {
    return (int32_t)((uint32_t)acc + (uint32_t)(sb_lo16(a) * sb_hi16(b)) + (uint32_t)(sb_hi16(a) * sb_lo16(b)));
}
static inline int32_t sb_smlabb(int32_t a, int32_t b, int32_t acc) { return (int32_t)((uint32_t)acc + (uint32_t)(sb_lo16(a) * sb_lo16(b))); }
static inline int32_t sb_smlatb(int32_t a, int32_t b, int32_t acc) { return (int32_t)((uint32_t)acc + (uint32_t)(sb_hi16(a) * sb_lo16(b))); }
static inline int32_t sb_max_s8x4(int32_t a, int32_t b) {
    uint32_t out = 0;
    for (int i = 0; i < 32; i += 8) {
        const int8_t x = (int8_t)((uint32_t)a >> i), y = (int8_t)((uint32_t)b >> i);
        out |= (uint32_t)(uint8_t)(x > y ? x : y) << i;
    }
    return (int32_t)out;
}
static inline int32_t sb_qadd(int32_t a, int32_t b) {
    int64_t s = (int64_t)a + b;
    return s > INT32_MAX ? INT32_MAX : s < INT32_MIN ? INT32_MIN : (int32_t)s;
}
#endif

#endif
