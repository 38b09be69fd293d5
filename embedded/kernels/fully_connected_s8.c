/* int8 fully connected layer (ONNX QGemm with transB = 1, one input row): the input is
 * widened to int16 once, then two weight rows are multiplied with it at a time. */
#include "sb_nn.h"
#include "sb_requantize.h"
#include "sb_simd.h"

uint32_t sb_fully_connected_s8_scratch_bytes(const sb_fully_connected_params *p) {
    return 2u * p->row_length; /* the input row widened to int16 */
}

void sb_fully_connected_s8(const sb_fully_connected_params *p, const int8_t *input, const int8_t *weights,
                           const int32_t *bias, const float *scale, int8_t *output, int16_t *scratch) {
    const int length = p->row_length, rows = p->out_features;
    const int32_t zero_point = p->output_zero_point;
    for (int k = 0; k < length; k++) scratch[k] = k < p->in_features ? input[k] : 0;
    int row = 0;
    for (; row + 1 < rows; row += 2) {
        const int8_t *w0 = weights + row * length, *w1 = w0 + length;
        const int16_t *x = scratch;
        int32_t a0 = bias[row], a1 = bias[row + 1];
        for (int k = length >> 2; k > 0; k--) {
            const int32_t x0 = sb_read_s16x2(x), x1 = sb_read_s16x2(x + 2);
            x += 4;
            int32_t w = sb_read_s8x4(w0);
            w0 += 4;
            a0 = sb_smlad(sb_sxtb16(w), x0, a0);
            a0 = sb_smlad(sb_sxtb16_ror8(w), x1, a0);
            w = sb_read_s8x4(w1);
            w1 += 4;
            a1 = sb_smlad(sb_sxtb16(w), x0, a1);
            a1 = sb_smlad(sb_sxtb16_ror8(w), x1, a1);
        }
        output[row] = sb_requantize(a0, scale[row], zero_point);
        output[row + 1] = sb_requantize(a1, scale[row + 1], zero_point);
    }
    if (row < rows) {
        const int8_t *w0 = weights + row * length;
        int32_t acc = bias[row];
        for (int k = 0; k < length; k += 4) {
            const int32_t w = sb_read_s8x4(w0 + k);
            acc = sb_smlad(sb_sxtb16(w), sb_read_s16x2(scratch + k), acc);
            acc = sb_smlad(sb_sxtb16_ror8(w), sb_read_s16x2(scratch + k + 2), acc);
        }
        output[row] = sb_requantize(acc, scale[row], zero_point);
    }
}
