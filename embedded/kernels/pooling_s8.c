/* int8 max pooling, NCHW; padded positions are ignored (ONNX MaxPool pads with -inf), so
 * windows cut by ceil_mode or padding take the max of the taps that exist.
 *
 * Two passes per output row, as CMSIS-NN's arm_max_pool_s8 splits the window: first the
 * rows of the window are reduced column by column into a scratch row, 4 columns per word
 * loaded (SSUB8 sets a flag per byte, SEL keeps the larger bytes: 1 cycle per value read
 * after the load); then each output takes the max of its kernel_w columns of that row:
 * 2-wide windows at stride 2, 4 outputs per two words, the same way; 3-wide windows (SB-CNN's
 * 3 × 3 pooling) written out. */
#include "sb_nn.h"
#include "sb_simd.h"

uint32_t sb_max_pool_s8_scratch_bytes(const sb_pool_params *p) { return ((uint32_t)p->in_w + 3u) & ~3u; }

/* the column-wise max of `rows` (≥ 1) rows of `in_w` values starting at `top`; windows of
 * 2 to 4 rows written out (no inner loop: its branch cost as much as the maxima) */
static void rows_max(const int8_t *top, int in_w, int rows, int8_t *best) {
    int x = 0;
    for (; x + 4 <= in_w; x += 4) {
        const int8_t *at = top + x;
        int32_t m = sb_read_s8x4(at);
        switch (rows) {
            case 4: m = sb_max_s8x4(m, sb_read_s8x4(at + 3 * in_w)); /* fall through */
            case 3: m = sb_max_s8x4(m, sb_read_s8x4(at + 2 * in_w)); /* fall through */
            case 2: m = sb_max_s8x4(m, sb_read_s8x4(at + in_w)); /* fall through */
            case 1: break;
            default:
                for (int y = rows - 1; y > 0; y--) at += in_w, m = sb_max_s8x4(m, sb_read_s8x4(at));
        }
        memcpy(best + x, &m, 4);
    }
    for (; x < in_w; x++) {
        int8_t m = top[x];
        for (int y = 1; y < rows; y++) m = top[y * in_w + x] > m ? top[y * in_w + x] : m;
        best[x] = m;
    }
}

static inline int8_t max_s8(int8_t a, int8_t b) { return a > b ? a : b; }

/* the max of columns x0..x1-1 (x1 > x0) of the row of column maxima */
static int8_t window_max(const int8_t *best, int x0, int x1) {
    int8_t m = best[x0];
    for (int x = x0 + 1; x < x1; x++) m = best[x] > m ? best[x] : m;
    return m;
}

/* one output row from its row of column maxima: windows cut by the left padding, the
 * windows inside the row, then those cut at the right (ceil_mode, padding) */
static void row_outputs(const sb_pool_params *p, const int8_t *best, int8_t *out) {
    const int in_w = p->in_w, kernel_w = p->kernel_w, stride_w = p->stride_w, out_w = p->out_w;
    int ow = 0, left = -p->pad_left;
    for (; ow < out_w && left < 0; ow++, left += stride_w) *out++ = window_max(best, 0, left + kernel_w < in_w ? left + kernel_w : in_w);
    if (kernel_w == 2 && stride_w == 2)  /* bytes (0, 1) and (2, 3) of a word: max(word, word >> 8) */
        for (; ow + 4 <= out_w && left + 8 <= in_w; ow += 4, left += 8, out += 4) {
            const int32_t a = sb_read_s8x4(best + left), b = sb_read_s8x4(best + left + 4);
            const int32_t ma = sb_max_s8x4(a, (int32_t)((uint32_t)a >> 8)), mb = sb_max_s8x4(b, (int32_t)((uint32_t)b >> 8));
            out[0] = (int8_t)ma, out[1] = (int8_t)(ma >> 16), out[2] = (int8_t)mb, out[3] = (int8_t)(mb >> 16);
        }
    if (kernel_w == 3)
        for (; ow < out_w && left + 3 <= in_w; ow++, left += stride_w)
            *out++ = max_s8(max_s8(best[left], best[left + 1]), best[left + 2]);
    for (; ow < out_w && left + kernel_w <= in_w; ow++, left += stride_w) *out++ = window_max(best, left, left + kernel_w);
    for (; ow < out_w; ow++, left += stride_w) *out++ = window_max(best, left, in_w);
}

void sb_max_pool_s8(const sb_pool_params *p, const int8_t *input, int8_t *output, int8_t *scratch) {
    const int in_w = p->in_w;
    for (int c = 0; c < p->channels; c++) {
        const int8_t *plane = input + c * p->in_h * in_w;
        for (int oh = 0; oh < p->out_h; oh++) {
            const int top = oh * p->stride_h - p->pad_top;
            const int y0 = top < 0 ? 0 : top;
            const int y1 = top + p->kernel_h > p->in_h ? p->in_h : top + p->kernel_h;
            rows_max(plane + y0 * in_w, in_w, y1 - y0, scratch);
            row_outputs(p, scratch, output);
            output += p->out_w;
        }
    }
}
