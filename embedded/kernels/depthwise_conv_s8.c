/* int8 depthwise convolution (groups = channels, one filter per channel), NCHW.
 *
 * Each channel's input plane is widened to int16 into a padded plane whose border holds
 * the input zero point (so no tap needs a bounds check; the code generator folds
 * -zero_point × Σ weights into the bias, as for sb_conv_s8). The border is the same for
 * every channel, so it is written once per call and only the interior per channel. The
 * code generator stores the filters widened to int16, each row padded to an even width
 * with a zero tap. Rows of output pixels are computed several at a time so each input
 * word loaded feeds several SMLADs: with stride 2 and filters up to 6 wide, four outputs
 * share one pass over a filter row (6 words feed 12 SMLADs). */
#include "sb_nn.h"
#include "sb_requantize.h"
#include "sb_simd.h"

static void fill_plane(int32_t *plane, int words, int16_t value) {
    const int32_t both = (int32_t)(((uint32_t)(uint16_t)value << 16) | (uint16_t)value);
    for (int i = 0; i < words; i++) plane[i] = both;
}

/* one channel's int8 rows into the plane's interior, 4 values per word loaded */
static void widen_interior(const sb_depthwise_params *p, const int8_t *channel, int16_t *plane) {
    const int in_w = p->in_w, in_h = p->in_h, plane_w = p->plane_w;
    int16_t *row = plane + p->pad_top * plane_w + p->pad_left;
    for (int y = 0; y < in_h; y++, row += plane_w, channel += in_w) {
        int x = 0;
        for (; x + 4 <= in_w; x += 4) {
            const int32_t bytes = sb_read_s8x4(channel + x);
            const int32_t even = sb_sxtb16(bytes), odd = sb_sxtb16_ror8(bytes);  /* (x0,x2), (x1,x3) */
            const int32_t first = sb_pack_low(even, odd), second = sb_pack_high(even, odd);
            memcpy(row + x, &first, 4);  /* pad_left may be odd: unaligned STR is fine on M4 */
            memcpy(row + x + 2, &second, 4);
        }
        for (; x < in_w; x++) row[x] = channel[x];
    }
}

/* Four stride-2 outputs of filters 5 or 6 taps wide (3 int16 pairs per filter row):
 * output i reads words i, i+1, i+2 of each row, so 6 words feed 12 SMLADs. */
static inline void four_outputs_3(const sb_word *row, const sb_word *w, int kernel_h, int row_words, int32_t *acc) {
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int y = kernel_h; y > 0; y--, row += row_words, w += 3) {
        int32_t w0, w1, r, s;
        SB_READ_WORDS(w, 0, w0, w1);
        const int32_t w2 = w[2];
        SB_READ_WORDS(row, 0, r, s);
        a0 = sb_smlad(w0, r, a0);
        a0 = sb_smlad(w1, s, a0), a1 = sb_smlad(w0, s, a1);
        SB_READ_WORDS(row, 2, r, s);
        a0 = sb_smlad(w2, r, a0), a1 = sb_smlad(w1, r, a1), a2 = sb_smlad(w0, r, a2);
        a1 = sb_smlad(w2, s, a1), a2 = sb_smlad(w1, s, a2), a3 = sb_smlad(w0, s, a3);
        SB_READ_WORDS(row, 4, r, s);
        a2 = sb_smlad(w2, r, a2), a3 = sb_smlad(w1, r, a3);
        a3 = sb_smlad(w2, s, a3);
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

/* the same for filters 3 or 4 taps wide (2 pairs per row): 5 words feed 8 SMLADs */
static inline void four_outputs_2(const sb_word *row, const sb_word *w, int kernel_h, int row_words, int32_t *acc) {
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int y = kernel_h; y > 0; y--, row += row_words, w += 2) {
        int32_t w0, w1, r, s;
        SB_READ_WORDS(w, 0, w0, w1);
        SB_READ_WORDS(row, 0, r, s);
        a0 = sb_smlad(w0, r, a0);
        a0 = sb_smlad(w1, s, a0), a1 = sb_smlad(w0, s, a1);
        SB_READ_WORDS(row, 2, r, s);
        a1 = sb_smlad(w1, r, a1), a2 = sb_smlad(w0, r, a2);
        a2 = sb_smlad(w1, s, a2), a3 = sb_smlad(w0, s, a3);
        r = row[4];
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

/* one row of outputs of one channel; `top` is the plane row its receptive fields start on */
__attribute__((noinline)) static void output_row(const sb_depthwise_params *p, const int16_t *top,
                                                 const int16_t *filter, int32_t bias, float scale, int8_t *out) {
    const int pairs = p->kernel_w_even >> 1, out_w = p->out_w, kernel_h = p->kernel_h, row_words = p->plane_w >> 1;
    const int32_t zero_point = p->output_zero_point;
    int ow = 0;
    if (p->stride_w == 2 && (pairs == 3 || pairs == 2)) {  /* output ow starts at word ow */
        for (; ow + 3 < out_w; ow += 4) {
            int32_t a[4] = {bias, bias, bias, bias};
            if (pairs == 3) four_outputs_3((const sb_word *)top + ow, (const sb_word *)filter, kernel_h, row_words, a);
            else four_outputs_2((const sb_word *)top + ow, (const sb_word *)filter, kernel_h, row_words, a);
            out[ow] = sb_requantize(a[0], scale, zero_point);
            out[ow + 1] = sb_requantize(a[1], scale, zero_point);
            out[ow + 2] = sb_requantize(a[2], scale, zero_point);
            out[ow + 3] = sb_requantize(a[3], scale, zero_point);
        }
    }
    for (; ow < out_w; ow++) out[ow] = sb_requantize(one_output(p, top + ow * p->stride_w, filter, bias), scale, zero_point);
}

void sb_depthwise_conv_s8(const sb_depthwise_params *p, const int8_t *input, const int16_t *weights,
                          const int32_t *bias, const float *scale, int8_t *output, int16_t *scratch) {
    const int filter_size = p->kernel_h * p->kernel_w_even, row_step = p->stride_h * p->plane_w;
    fill_plane((int32_t *)scratch, (p->plane_h * p->plane_w) >> 1, p->input_zero_point);
    for (int c = 0; c < p->channels; c++) {
        widen_interior(p, input + c * p->in_h * p->in_w, scratch);
        int8_t *out = output + c * p->out_h * p->out_w;
        const int16_t *filter = weights + c * filter_size;
        for (int oh = 0; oh < p->out_h; oh++, out += p->out_w)
            output_row(p, scratch + oh * row_step, filter, bias[c], scale[c], out);
    }
}
