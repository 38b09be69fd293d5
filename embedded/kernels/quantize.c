/* float32 ↔ int8 at the model's boundaries, as onnxruntime's QuantizeLinear /
 * DequantizeLinear compute them: q = saturate(round_half_even(x / scale) + zero_point)
 * (a true division: x × (1/scale) rounds differently for some x), x = (q - zp) × scale. */
#include "sb_nn.h"
#include "sb_requantize.h"

void sb_quantize_f32_s8(const float *input, uint32_t n, float scale, int8_t zero_point, int8_t *output) {
    for (uint32_t i = 0; i < n; i++) output[i] = sb_saturate_s8(sb_qadd(sb_round_f32(input[i] / scale), zero_point));
}

void sb_dequantize_s8_f32(const int8_t *input, uint32_t n, float scale, int8_t zero_point, float *output) {
    for (uint32_t i = 0; i < n; i++) output[i] = (float)(input[i] - zero_point) * scale;
}
