/* int8 max pooling, NCHW; padded positions are ignored (ONNX MaxPool pads with -inf), so
 * windows cut by ceil_mode or padding take the max of the taps that exist. */
#include "sb_nn.h"

void sb_max_pool_s8(const sb_pool_params *p, const int8_t *input, int8_t *output) {
    for (int c = 0; c < p->channels; c++) {
        const int8_t *plane = input + c * p->in_h * p->in_w;
        for (int oh = 0; oh < p->out_h; oh++) {
            const int top = oh * p->stride_h - p->pad_top;
            const int y0 = top < 0 ? 0 : top;
            const int y1 = top + p->kernel_h > p->in_h ? p->in_h : top + p->kernel_h;
            for (int ow = 0; ow < p->out_w; ow++) {
                const int left = ow * p->stride_w - p->pad_left;
                const int x0 = left < 0 ? 0 : left;
                const int x1 = left + p->kernel_w > p->in_w ? p->in_w : left + p->kernel_w;
                int8_t best = -128;
                for (int y = y0; y < y1; y++) {
                    const int8_t *row = plane + y * p->in_w;
                    for (int x = x0; x < x1; x++) best = row[x] > best ? row[x] : best;
                }
                *output++ = best;
            }
        }
    }
}
