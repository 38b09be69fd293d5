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

#endif
