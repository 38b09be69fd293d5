/* int32 accumulator → int8, exactly as onnxruntime's MLAS requantizes (QLinearConv,
 * QGemm): the float32 product acc × scale, rounded to nearest with ties to even, plus the
 * output zero point, saturated to int8. scale = input_scale × weight_scale / output_scale
 * is computed in float32 in that order by the code generator, as onnxruntime does.
 *
 * CMSIS-NN uses a fixed-point multiplier and shift instead, which differs from onnxruntime
 * by up to 1 LSB on some outputs; the Cortex-M4F's FPU makes the float form as cheap
 * (VMUL + VCVTR per output, not per MAC) and keeps the emulator parity check bit-exact. */
#ifndef SB_REQUANTIZE_H
#define SB_REQUANTIZE_H

#include <math.h>
#include <stdint.h>

#include "sb_simd.h"

static inline int32_t sb_round_f32(float x) {
#if defined(__ARM_FP) && (__ARM_FP & 4)
    /* VCVTR rounds with the FPSCR mode: round to nearest, ties to even after reset */
    float rounded;
    __asm("vcvtr.s32.f32 %0, %1" : "=t"(rounded) : "t"(x));
    int32_t out;
    memcpy(&out, &rounded, 4);
    return out;
#else
    return (int32_t)lrintf(x);
#endif
}

/* int8 → float32 as onnxruntime's DequantizeLinear: (q - zero_point) × scale */
static inline float sb_dequantize(int8_t q, int32_t zero_point, float scale) { return (float)(q - zero_point) * scale; }

static inline int8_t sb_saturate_s8(int32_t x) {
#if SB_HAVE_DSP
    return (int8_t)__ssat(x, 8);
#else
    return (int8_t)(x > 127 ? 127 : x < -128 ? -128 : x);
#endif
}

static inline int8_t sb_requantize(int32_t acc, float scale, int32_t output_zero_point) {
    return sb_saturate_s8(sb_qadd(sb_round_f32((float)acc * scale), output_zero_point));
}

/* The same in assembly for the kernels' hand-written loops (Cortex-M4F): four accumulators
 * A0..A3 (consecutive outputs of one channel) → four int8 packed into A0, low byte first,
 * ready for one word store: VCVT, VMUL by SCALE (an s register), VCVTR (ties to even),
 * QADD the zero point (register ZP), SSAT. Uses s0..s3. */
#define SB_ASM_REQUANTIZE_4(A0, A1, A2, A3, SCALE, ZP) \
    "vmov s0, s1, " A0 ", " A1 "\n\t"                  \
    "vmov s2, s3, " A2 ", " A3 "\n\t"                  \
    "vcvt.f32.s32 s0, s0\n\t"                           \
    "vcvt.f32.s32 s1, s1\n\t"                           \
    "vcvt.f32.s32 s2, s2\n\t"                           \
    "vcvt.f32.s32 s3, s3\n\t"                           \
    "vmul.f32 s0, s0, " SCALE "\n\t"                    \
    "vmul.f32 s1, s1, " SCALE "\n\t"                    \
    "vmul.f32 s2, s2, " SCALE "\n\t"                    \
    "vmul.f32 s3, s3, " SCALE "\n\t"                    \
    "vcvtr.s32.f32 s0, s0\n\t"                          \
    "vcvtr.s32.f32 s1, s1\n\t"                          \
    "vcvtr.s32.f32 s2, s2\n\t"                          \
    "vcvtr.s32.f32 s3, s3\n\t"                          \
    "vmov " A0 ", " A1 ", s0, s1\n\t"                  \
    "vmov " A2 ", " A3 ", s2, s3\n\t"                  \
    "qadd " A0 ", " A0 ", " ZP "\n\t"                   \
    "qadd " A1 ", " A1 ", " ZP "\n\t"                   \
    "qadd " A2 ", " A2 ", " ZP "\n\t"                   \
    "qadd " A3 ", " A3 ", " ZP "\n\t"                   \
    "ssat " A0 ", #8, " A0 "\n\t"                       \
    "ssat " A1 ", #8, " A1 "\n\t"                       \
    "ssat " A2 ", #8, " A2 "\n\t"                       \
    "ssat " A3 ", #8, " A3 "\n\t"                       \
    "bfi " A0 ", " A1 ", #8, #8\n\t"                    \
    "bfi " A0 ", " A2 ", #16, #8\n\t"                   \
    "bfi " A0 ", " A3 ", #24, #8\n\t"
/* two accumulators → two int8 packed into A0 (for a halfword store); one → A0 */
#define SB_ASM_REQUANTIZE_2(A0, A1, SCALE, ZP) \
    "vmov s0, s1, " A0 ", " A1 "\n\t"          \
    "vcvt.f32.s32 s0, s0\n\t"                   \
    "vcvt.f32.s32 s1, s1\n\t"                   \
    "vmul.f32 s0, s0, " SCALE "\n\t"            \
    "vmul.f32 s1, s1, " SCALE "\n\t"            \
    "vcvtr.s32.f32 s0, s0\n\t"                  \
    "vcvtr.s32.f32 s1, s1\n\t"                  \
    "vmov " A0 ", " A1 ", s0, s1\n\t"          \
    "qadd " A0 ", " A0 ", " ZP "\n\t"           \
    "qadd " A1 ", " A1 ", " ZP "\n\t"           \
    "ssat " A0 ", #8, " A0 "\n\t"               \
    "ssat " A1 ", #8, " A1 "\n\t"               \
    "bfi " A0 ", " A1 ", #8, #8\n\t"
#define SB_ASM_REQUANTIZE_1(A0, SCALE, ZP) \
    "vmov s0, " A0 "\n\t"                   \
    "vcvt.f32.s32 s0, s0\n\t"               \
    "vmul.f32 s0, s0, " SCALE "\n\t"        \
    "vcvtr.s32.f32 s0, s0\n\t"              \
    "vmov " A0 ", s0\n\t"                   \
    "qadd " A0 ", " A0 ", " ZP "\n\t"       \
    "ssat " A0 ", #8, " A0 "\n\t"

#endif
