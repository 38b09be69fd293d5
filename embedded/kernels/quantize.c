/* float32 ↔ int8 at the model's boundaries, as onnxruntime's QuantizeLinear /
 * DequantizeLinear compute them: q = saturate(round_half_even(x / scale) + zero_point)
 * (a true division: x × (1/scale) rounds differently for some x), x = (q - zp) × scale. */
#include "sb_nn.h"
#include "sb_requantize.h"

static inline int8_t quantize(float x, float scale, int32_t zero_point) {
    return sb_saturate_s8(sb_qadd(sb_round_f32(x / scale), zero_point));
}

void sb_quantize_f32_s8(const float *input, uint32_t n, float scale, int8_t zero_point, int8_t *output) {
    uint32_t i = 0;
    for (; i + 2 <= n; i += 2) {  /* two per iteration: the loop's branch is a tenth of the cost */
        output[i] = quantize(input[i], scale, zero_point);
        output[i + 1] = quantize(input[i + 1], scale, zero_point);
    }
    if (i < n) output[i] = quantize(input[i], scale, zero_point);
}

void sb_dequantize_s8_f32(const int8_t *input, uint32_t n, float scale, int8_t zero_point, float *output) {
    for (uint32_t i = 0; i < n; i++) output[i] = sb_dequantize(input[i], zero_point, scale);
}
