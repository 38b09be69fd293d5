/* int8 convolution (groups = 1, any kernel, stride and padding; 1×1 = pointwise) as im2col
 * + a 2×2 register-blocked matrix product: two output pixels' columns against two output
 * channels' weight rows, so every loaded word feeds two SMLADs.
 *
 * Padding is made real once per call (a padded copy of the input in the scratch), so the
 * im2col of every pixel is a gather through a table of tap offsets made by the code
 * generator. Layouts that let one pointer and one double-word load feed each step:
 *  - the two columns are interleaved by int16 pairs: word 2i holds taps (2i, 2i+1) of
 *    pixel 0, word 2i+1 the same taps of pixel 1;
 *  - the code generator interleaves the weight rows of channel pairs by 4-tap words (see
 *    sb_nn.h); an odd last channel's row follows alone. */
#include <string.h>

#include "sb_nn.h"
#include "sb_requantize.h"
#include "sb_simd.h"

/* The input with its zero-padding border made real (filled with the input zero point), so
 * every receptive field lies inside it; without padding the input is used as it is. */
static const int8_t *padded_input(const sb_conv_params *p, const int8_t *input, int8_t *padded) {
    if (p->padded_h == p->in_h && p->padded_w == p->in_w) return input;
    memset(padded, p->input_zero_point, (unsigned)p->in_c * p->padded_h * p->padded_w);
    for (int c = 0; c < p->in_c; c++)
        for (int y = 0; y < p->in_h; y++)
            memcpy(padded + (c * p->padded_h + y + p->pad_top) * p->padded_w + p->pad_left,
                   input + (c * p->in_h + y) * p->in_w, p->in_w);
    return padded;
}

/* The columns of two pixels whose receptive fields start at `a` and `b`, interleaved by
 * int16 pairs; offsets[k] is tap k's position relative to the start (taps past the real
 * ones read offset 0: their weights are 0). */
static void im2col_pair(const int8_t *a, const int8_t *b, const uint16_t *offsets, int length, int32_t *out) {
    for (int k = 0; k < length; k += 2, out += 2) {
        const int o0 = offsets[k], o1 = offsets[k + 1];
        out[0] = (int32_t)(((uint32_t)a[o1] << 16) | ((uint32_t)a[o0] & 0xFFFFu));
        out[1] = (int32_t)(((uint32_t)b[o1] << 16) | ((uint32_t)b[o0] & 0xFFFFu));
    }
}

/* 2 channels × 2 pixels, 4 taps per step: 2 weight words + 4 column words → 8 SMLADs */
static inline void dot_2x2(const int32_t *w, const int32_t *c, int steps, int32_t *a00, int32_t *a01, int32_t *a10,
                           int32_t *a11) {
    int32_t s00 = *a00, s01 = *a01, s10 = *a10, s11 = *a11;
    for (; steps > 0; steps--) {
        const int32_t w0 = w[0], w1 = w[1];
        const int32_t x0 = c[0], y0 = c[1], x1 = c[2], y1 = c[3];
        w += 2;
        c += 4;
        int32_t lo = sb_sxtb16(w0), hi = sb_sxtb16_ror8(w0);
        s00 = sb_smlad(lo, x0, s00);
        s01 = sb_smlad(lo, y0, s01);
        s00 = sb_smlad(hi, x1, s00);
        s01 = sb_smlad(hi, y1, s01);
        lo = sb_sxtb16(w1);
        hi = sb_sxtb16_ror8(w1);
        s10 = sb_smlad(lo, x0, s10);
        s11 = sb_smlad(lo, y0, s11);
        s10 = sb_smlad(hi, x1, s10);
        s11 = sb_smlad(hi, y1, s11);
    }
    *a00 = s00, *a01 = s01, *a10 = s10, *a11 = s11;
}

/* 1 channel × the pixel in the even words of `c` (`pixel` 0) or the odd ones (1) */
static inline int32_t dot_1x1(const int32_t *w, const int32_t *c, int steps, int acc) {
    for (; steps > 0; steps--, w++, c += 4) {
        acc = sb_smlad(sb_sxtb16(w[0]), c[0], acc);
        acc = sb_smlad(sb_sxtb16_ror8(w[0]), c[2], acc);
    }
    return acc;
}

/* every output channel of two pixels whose interleaved columns are in `columns`; `out`
 * points at channel 0 of the first pixel, `pair` says whether the second exists */
__attribute__((noinline)) static void channels_of_pair(const sb_conv_params *p, const int32_t *columns,
                                                       const int32_t *rows, const int32_t *bias, const float *scale,
                                                       int8_t *out, int pixels, int pair) {
    const int steps = p->column_length >> 2;
    const int32_t zero_point = p->output_zero_point;
    for (int pairs = p->out_c >> 1; pairs > 0; pairs--) {
        int32_t a00 = bias[0], a01 = bias[0], a10 = bias[1], a11 = bias[1];
        dot_2x2(rows, columns, steps, &a00, &a01, &a10, &a11);
        rows += 2 * steps;
        out[0] = sb_requantize(a00, scale[0], zero_point);
        out[pixels] = sb_requantize(a10, scale[1], zero_point);
        if (pair) {
            out[1] = sb_requantize(a01, scale[0], zero_point);
            out[pixels + 1] = sb_requantize(a11, scale[1], zero_point);
        }
        bias += 2;
        scale += 2;
        out += 2 * pixels;
    }
    if (p->out_c & 1) {  /* an odd last channel's row is stored whole */
        out[0] = sb_requantize(dot_1x1(rows, columns, steps, bias[0]), scale[0], zero_point);
        if (pair) out[1] = sb_requantize(dot_1x1(rows, columns + 1, steps, bias[0]), scale[0], zero_point);
    }
}

void sb_conv_s8(const sb_conv_params *p, const int8_t *input, const int8_t *weights, const int32_t *bias,
                const float *scale, int8_t *output, int16_t *scratch) {
    const int pixels = p->out_h * p->out_w, length = p->column_length;
    int32_t *columns = (int32_t *)scratch;
    const int8_t *source = padded_input(p, input, (int8_t *)(scratch + 2 * length));
    for (int pixel = 0; pixel < pixels; pixel += 2) {
        const int pair = pixel + 1 < pixels, next = pair ? pixel + 1 : pixel;
        const int8_t *a = source + (pixel / p->out_w) * p->stride_h * p->padded_w + (pixel % p->out_w) * p->stride_w;
        const int8_t *b = source + (next / p->out_w) * p->stride_h * p->padded_w + (next % p->out_w) * p->stride_w;
        im2col_pair(a, b, p->offsets, length, columns);
        channels_of_pair(p, columns, (const int32_t *)weights, bias, scale, output + pixel, pixels, pair);
    }
}
