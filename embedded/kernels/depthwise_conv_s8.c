/* int8 depthwise convolution (groups = channels, one filter per channel), NCHW.
 *
 * Each channel's input plane is first widened to int16 into a padded plane whose border
 * holds the input zero point (so no tap needs a bounds check; the code generator folds
 * -zero_point × Σ weights into the bias, as for sb_conv_s8), and its filter to int16 pairs
 * (width rounded up to even with a zero tap). Rows of output pixels are then computed
 * several at a time so each input word loaded feeds several SMLADs: with stride 2 and
 * filters up to 6 wide, four outputs share one pass over the words of a filter row. */
#include "sb_nn.h"
#include "sb_requantize.h"
#include "sb_simd.h"

static void fill16(int16_t *out, int n, int16_t value) {
    for (int i = 0; i < n; i++) out[i] = value;
}

static void padded_plane(const sb_depthwise_params *p, const int8_t *channel, int16_t *plane) {
    const int16_t pad = p->input_zero_point;
    const int plane_w = p->plane_w, right = plane_w - p->pad_left - p->in_w;
    fill16(plane, p->pad_top * plane_w, pad);
    for (int y = 0; y < p->in_h; y++) {
        int16_t *row = plane + (y + p->pad_top) * plane_w;
        const int8_t *source = channel + y * p->in_w;
        fill16(row, p->pad_left, pad);
        int16_t *out = row + p->pad_left;
        int x = 0;
        for (; x + 4 <= p->in_w; x += 4) {  /* 4 bytes → 4 int16 in two words */
            const int32_t bytes = sb_read_s8x4(source + x);
            const int32_t even = sb_sxtb16(bytes), odd = sb_sxtb16_ror8(bytes);  /* (x0,x2), (x1,x3) */
            const int32_t first = (int32_t)(((uint32_t)odd << 16) | ((uint32_t)even & 0xFFFFu));
            const int32_t second = (int32_t)(((uint32_t)odd & 0xFFFF0000u) | ((uint32_t)even >> 16));
            memcpy(out + x, &first, 4);
            memcpy(out + x + 2, &second, 4);
        }
        for (; x < p->in_w; x++) out[x] = source[x];
        fill16(out + p->in_w, right, pad);
    }
    const int filled = p->pad_top + p->in_h;
    fill16(plane + filled * plane_w, (p->plane_h - filled) * plane_w, pad);
}

static void widened_filter(const sb_depthwise_params *p, const int8_t *filter, int16_t *wide) {
    for (int y = 0; y < p->kernel_h; y++)
        for (int x = 0; x < p->kernel_w_even; x++)
            wide[y * p->kernel_w_even + x] = x < p->kernel_w ? filter[y * p->kernel_w + x] : 0;
}

/* Four stride-2 outputs of filters 5 or 6 taps wide (3 int16 pairs per filter row):
 * output i reads words i, i+1, i+2 of each row, so 6 words feed 12 SMLADs. */
static inline void four_outputs_3(const int16_t *row, const int16_t *w, int kernel_h, int plane_w, int32_t *acc) {
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int y = 0; y < kernel_h; y++, row += plane_w, w += 6) {
        const int32_t w0 = sb_read_s16x2(w), w1 = sb_read_s16x2(w + 2), w2 = sb_read_s16x2(w + 4);
        int32_t r = sb_read_s16x2(row);
        a0 = sb_smlad(w0, r, a0);
        r = sb_read_s16x2(row + 2);
        a0 = sb_smlad(w1, r, a0), a1 = sb_smlad(w0, r, a1);
        r = sb_read_s16x2(row + 4);
        a0 = sb_smlad(w2, r, a0), a1 = sb_smlad(w1, r, a1), a2 = sb_smlad(w0, r, a2);
        r = sb_read_s16x2(row + 6);
        a1 = sb_smlad(w2, r, a1), a2 = sb_smlad(w1, r, a2), a3 = sb_smlad(w0, r, a3);
        r = sb_read_s16x2(row + 8);
        a2 = sb_smlad(w2, r, a2), a3 = sb_smlad(w1, r, a3);
        r = sb_read_s16x2(row + 10);
        a3 = sb_smlad(w2, r, a3);
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

/* the same for filters 3 or 4 taps wide (2 pairs per row): 5 words feed 8 SMLADs */
static inline void four_outputs_2(const int16_t *row, const int16_t *w, int kernel_h, int plane_w, int32_t *acc) {
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int y = 0; y < kernel_h; y++, row += plane_w, w += 4) {
        const int32_t w0 = sb_read_s16x2(w), w1 = sb_read_s16x2(w + 2);
        int32_t r = sb_read_s16x2(row);
        a0 = sb_smlad(w0, r, a0);
        r = sb_read_s16x2(row + 2);
        a0 = sb_smlad(w1, r, a0), a1 = sb_smlad(w0, r, a1);
        r = sb_read_s16x2(row + 4);
        a1 = sb_smlad(w1, r, a1), a2 = sb_smlad(w0, r, a2);
        r = sb_read_s16x2(row + 6);
        a2 = sb_smlad(w1, r, a2), a3 = sb_smlad(w0, r, a3);
        r = sb_read_s16x2(row + 8);
        a3 = sb_smlad(w1, r, a3);
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

static int32_t one_output(const sb_depthwise_params *p, const int16_t *top, const int16_t *filter, int32_t acc) {
    const int pairs = p->kernel_w_even >> 1;
    for (int y = 0; y < p->kernel_h; y++, top += p->plane_w)
        for (int j = 0; j < pairs; j++, filter += 2) acc = sb_smlad(sb_read_s16x2(filter), sb_read_s16x2(top + 2 * j), acc);
    return acc;
}

void sb_depthwise_conv_s8(const sb_depthwise_params *p, const int8_t *input, const int8_t *weights,
                          const int32_t *bias, const float *scale, int8_t *output, int16_t *scratch) {
    const int pairs = p->kernel_w_even >> 1, stride_w = p->stride_w;
    const int fast = stride_w == 2 && (pairs == 3 || pairs == 2);
    const int32_t zero_point = p->output_zero_point;
    int16_t *plane = scratch, *filter = scratch + p->plane_h * p->plane_w;
    for (int c = 0; c < p->channels; c++) {
        padded_plane(p, input + c * p->in_h * p->in_w, plane);
        widened_filter(p, weights + c * p->kernel_h * p->kernel_w, filter);
        int8_t *out = output + c * p->out_h * p->out_w;
        const float channel_scale = scale[c];
        for (int oh = 0; oh < p->out_h; oh++) {
            const int16_t *top = plane + oh * p->stride_h * p->plane_w;
            int ow = 0;
            if (fast) {
                for (; ow + 3 < p->out_w; ow += 4) {
                    int32_t a[4] = {bias[c], bias[c], bias[c], bias[c]};
                    if (pairs == 3) four_outputs_3(top + 2 * ow, filter, p->kernel_h, p->plane_w, a);
                    else four_outputs_2(top + 2 * ow, filter, p->kernel_h, p->plane_w, a);
                    for (int i = 0; i < 4; i++) *out++ = sb_requantize(a[i], channel_scale, zero_point);
                }
            }
            for (; ow < p->out_w; ow++)
                *out++ = sb_requantize(one_output(p, top + ow * stride_w, filter, bias[c]), channel_scale, zero_point);
        }
    }
}
