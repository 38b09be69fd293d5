/* ReduceMean over each channel's plane of an int8 tensor that a DequantizeLinear turned to
 * float (how a QDQ model's global average pooling reads), without the float tensor: a 64 ×
 * 5 × 25 map is 32 KB as float, 8 KB as int8, and the float copy was the arena's peak.
 *
 * Bit for bit what DequantizeLinear followed by the generated ReduceMean loop computes: each
 * value dequantized as sb_dequantize_s8_f32 does it (sb_dequantize), summed in order from
 * 0.0f, then divided by the count. Nothing is reassociated or fused: the build is ISO C (-std=c99), where GCC does not
 * contract a multiply and an add into one rounding. */
#include "sb_nn.h"
#include "sb_requantize.h"

void sb_mean_s8_f32(const int8_t *input, uint32_t channels, uint32_t plane, float scale, int8_t zero_point,
                    float *output) {
    const float count = (float)plane;
    for (uint32_t c = 0; c < channels; c++, input += plane) {
        float sum = 0.0f;
        uint32_t i = 0;
        for (; i + 4 <= plane; i += 4) {  /* four per iteration: the loop's branch is a third of one value's cost */
            sum += sb_dequantize(input[i], zero_point, scale);
            sum += sb_dequantize(input[i + 1], zero_point, scale);
            sum += sb_dequantize(input[i + 2], zero_point, scale);
            sum += sb_dequantize(input[i + 3], zero_point, scale);
        }
        for (; i < plane; i++) sum += sb_dequantize(input[i], zero_point, scale);
        output[c] = sum / count;
    }
}
