/* int8 convolution (groups = 1, any kernel, stride and padding; 1×1 = pointwise) as im2col
 * + a 2×2 register-blocked matrix product: two output pixels' columns against two output
 * channels' weight rows, so every loaded word feeds two SMLADs.
 *
 * Padding is made real once per call (a padded copy of the input in the scratch), so the
 * im2col of every pixel is a gather through a table of tap offsets made by the code
 * generator. Layouts that let one pointer and one double-word load feed each step:
 *  - the two columns are interleaved by int16 pairs: word 2i holds taps (2i, 2i+1) of
 *    pixel 0, word 2i+1 the same taps of pixel 1;
 *  - the code generator interleaves the weight rows of channel pairs by 4-tap words and
 *    ends them with one 2-tap word when the row length is 2 mod 4 (see sb_nn.h), so a
 *    25-tap filter costs 26 taps of work, not 28; an odd last channel's row follows alone.
 *
 * The inner loop keeps 12 values live (4 accumulators, 2 weight words, 2 column words, a
 * sign-extended pair, 2 pointers, the count) so nothing spills inside it. */
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
            sb_copy_s8(padded + (c * p->padded_h + y + p->pad_top) * p->padded_w + p->pad_left,
                       input + (c * p->in_h + y) * p->in_w, p->in_w);
    return padded;
}

/* The columns of two pixels whose receptive fields start at `a` and `b`, interleaved by
 * int16 pairs; offsets[k] is tap k's position relative to the start (taps past the real
 * ones read offset 0: their weights are 0). The first `quads` groups of 4 taps are
 * neighbours in memory, ordered (x, x+2, x+1, x+3) by the code generator: one word load
 * and SXTB16 / SXTB16 ROR 8 give both of their pairs. The rest are gathered byte by byte,
 * 4 taps per iteration (the table is padded to a multiple of 4). */
static void im2col_pair(const int8_t *a, const int8_t *b, const uint16_t *offsets, int quads, int length,
                        int32_t *out) {
    for (int q = quads; q > 0; q--, out += 4, offsets += 4) {
        const int32_t wa = sb_read_s8x4(a + offsets[0]), wb = sb_read_s8x4(b + offsets[0]);
        out[0] = sb_sxtb16(wa);
        out[1] = sb_sxtb16(wb);
        out[2] = sb_sxtb16_ror8(wa);
        out[3] = sb_sxtb16_ror8(wb);
    }
    for (int k = 4 * quads; k < length; k += 4, out += 4, offsets += 4) {
        const int o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3];
        out[0] = sb_pack_low(a[o0], a[o1]);
        out[1] = sb_pack_low(b[o0], b[o1]);
        out[2] = sb_pack_low(a[o2], a[o3]);
        out[3] = sb_pack_low(b[o2], b[o3]);
    }
}

/* 2 channels × 2 pixels over 4 taps: 2 weight words + 4 column words → 8 SMLADs */
#define SB_STEP_2X2(w, c)                                                  \
    do {                                                                   \
        const int32_t w0 = (w)[0], w1 = (w)[1];                            \
        int32_t x = (c)[0], y = (c)[1], t = sb_sxtb16(w0);                 \
        s00 = sb_smlad(t, x, s00), s01 = sb_smlad(t, y, s01);              \
        t = sb_sxtb16(w1);                                                 \
        s10 = sb_smlad(t, x, s10), s11 = sb_smlad(t, y, s11);              \
        x = (c)[2], y = (c)[3], t = sb_sxtb16_ror8(w0);                    \
        s00 = sb_smlad(t, x, s00), s01 = sb_smlad(t, y, s01);              \
        t = sb_sxtb16_ror8(w1);                                            \
        s10 = sb_smlad(t, x, s10), s11 = sb_smlad(t, y, s11);              \
    } while (0)

#if SB_HAVE_DSP && defined(__thumb2__)
/* one SB_STEP_2X2 in assembly (operands named as in SB_DOT_2X2) */
#define SB_ASM_STEP_2X2                                                 \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"                                 \
    "ldrd %[x], %[y], [%[c]], #8\n\t"                                   \
    "sxtb16 %[t], %[w0]\n\t"                                            \
    "smlad %[s00], %[t], %[x], %[s00]\n\t"                              \
    "smlad %[s01], %[t], %[y], %[s01]\n\t"                              \
    "sxtb16 %[t], %[w1]\n\t"                                            \
    "smlad %[s10], %[t], %[x], %[s10]\n\t"                              \
    "smlad %[s11], %[t], %[y], %[s11]\n\t"                              \
    "ldrd %[x], %[y], [%[c]], #8\n\t"                                   \
    "sxtb16 %[t], %[w0], ror #8\n\t"                                    \
    "smlad %[s00], %[t], %[x], %[s00]\n\t"                              \
    "smlad %[s01], %[t], %[y], %[s01]\n\t"                              \
    "sxtb16 %[t], %[w1], ror #8\n\t"                                    \
    "smlad %[s10], %[t], %[x], %[s10]\n\t"                              \
    "smlad %[s11], %[t], %[y], %[s11]\n\t"

/* `steps` (≥ 1) × SB_STEP_2X2 with post-incremented double-word loads, two per loop
 * iteration (an odd count enters at the second): 23 cycles per 16 MACs. Written out
 * because GCC hoists the loads and spills accumulators. */
#define SB_DOT_2X2(w, c, steps)                                                            \
    do {                                                                                   \
        int32_t w0, w1, x, y, t, n = ((steps) + 1) >> 1;                                   \
        __asm volatile("tst %[odd], #1\n\t"                                                \
                       "bne 2f\n"                                                          \
                       "1:\n\t"                                                            \
                       SB_ASM_STEP_2X2                                                     \
                       "2:\n\t"                                                            \
                       SB_ASM_STEP_2X2                                                     \
                       "subs %[n], %[n], #1\n\t"                                           \
                       "bne 1b"                                                            \
                       : [s00] "+r"(s00), [s01] "+r"(s01), [s10] "+r"(s10), [s11] "+r"(s11), \
                         [w] "+r"(w), [c] "+r"(c), [n] "+r"(n), [w0] "=&r"(w0), [w1] "=&r"(w1), \
                         [x] "=&r"(x), [y] "=&r"(y), [t] "=&r"(t)                          \
                       : [odd] "r"(steps)                                                  \
                       : "cc", "memory");                                                  \
    } while (0)
#else
#define SB_DOT_2X2(w, c, steps)                                                            \
    do {                                                                                   \
        for (int n = (steps); n > 0; n--, (w) += 2, (c) += 4) SB_STEP_2X2(w, c);          \
    } while (0)
#endif

/* every output channel of two pixels whose interleaved columns are in `columns`; `out`
 * points at channel 0 of the first pixel, `pair` says whether the second exists and
 * `tail` whether rows end with a 2-tap word (constants in each instance below, so their
 * tests cost nothing in the loop) */
static inline __attribute__((always_inline)) void channels(const sb_conv_params *p, const int32_t *columns,
                                                           const int32_t *w, const int32_t *bias,
                                                           const float *scale, int8_t *out, int pixels,
                                                           const int pair, const int tail) {
    const int steps = p->column_length >> 2;
    for (int pairs = p->out_c >> 1; pairs > 0; pairs--) {
        int32_t s00 = bias[0], s01 = bias[0], s10 = bias[1], s11 = bias[1];
        const int32_t *c = columns;
        if (steps) SB_DOT_2X2(w, c, steps);
        if (tail) {  /* word (c0 k, c1 k, c0 k+1, c1 k+1) against each pixel's (k, k+1) */
            const int32_t both = *w++, x = c[0], y = c[1];
            const int32_t t0 = sb_sxtb16(both), t1 = sb_sxtb16_ror8(both);
            s00 = sb_smlad(t0, x, s00), s01 = sb_smlad(t0, y, s01);
            s10 = sb_smlad(t1, x, s10), s11 = sb_smlad(t1, y, s11);
        }
        const float scale0 = scale[0], scale1 = scale[1];  /* before the stores, which may alias */
        const int32_t zero_point = p->output_zero_point;
        out[0] = sb_requantize(s00, scale0, zero_point);
        out[pixels] = sb_requantize(s10, scale1, zero_point);
        if (pair) {
            out[1] = sb_requantize(s01, scale0, zero_point);
            out[pixels + 1] = sb_requantize(s11, scale1, zero_point);
        }
        bias += 2;
        scale += 2;
        out += 2 * pixels;
    }
    if (p->out_c & 1) {  /* an odd last channel's row is stored whole, its tail as (k, 0, k+1, 0) */
        int32_t s0 = bias[0], s1 = bias[0];
        const int32_t *c = columns;
        for (int n = steps; n > 0; n--, w++, c += 4) {
            const int32_t lo = sb_sxtb16(*w), hi = sb_sxtb16_ror8(*w);
            s0 = sb_smlad(lo, c[0], s0), s1 = sb_smlad(lo, c[1], s1);
            s0 = sb_smlad(hi, c[2], s0), s1 = sb_smlad(hi, c[3], s1);
        }
        if (tail) {
            const int32_t t = sb_sxtb16(*w);
            s0 = sb_smlad(t, c[0], s0), s1 = sb_smlad(t, c[1], s1);
        }
        out[0] = sb_requantize(s0, scale[0], p->output_zero_point);
        if (pair) out[1] = sb_requantize(s1, scale[0], p->output_zero_point);
    }
}

#define SB_CHANNELS_INSTANCE(name, pair, tail)                                                        \
    __attribute__((noinline)) static void name(const sb_conv_params *p, const int32_t *columns,           \
                                               const int32_t *w, const int32_t *bias, const float *scale, \
                                               int8_t *out, int pixels) {                                 \
        channels(p, columns, w, bias, scale, out, pixels, pair, tail);                                    \
    }
SB_CHANNELS_INSTANCE(channels_of_two_pixels, 1, 0)
SB_CHANNELS_INSTANCE(channels_of_two_pixels_tail, 1, 2)
SB_CHANNELS_INSTANCE(channels_of_one_pixel, 0, 0)
SB_CHANNELS_INSTANCE(channels_of_one_pixel_tail, 0, 2)

void sb_conv_s8(const sb_conv_params *p, const int8_t *input, const int8_t *weights, const int32_t *bias,
                const float *scale, int8_t *output, int16_t *scratch) {
    const int pixels = p->out_h * p->out_w, length = p->column_length, tail = length & 2;
    int32_t *columns = (int32_t *)scratch;  /* im2col_pair writes taps up to a multiple of 4 */
    const int8_t *source = padded_input(p, input, (int8_t *)(scratch + 2 * ((length + 3) & ~3)));
    for (int pixel = 0; pixel < pixels; pixel += 2) {
        const int pair = pixel + 1 < pixels, next = pair ? pixel + 1 : pixel;
        const int8_t *a = source + (pixel / p->out_w) * p->stride_h * p->padded_w + (pixel % p->out_w) * p->stride_w;
        const int8_t *b = source + (next / p->out_w) * p->stride_h * p->padded_w + (next % p->out_w) * p->stride_w;
        im2col_pair(a, b, p->offsets, p->quads, length, columns);
        void (*const channels_of)(const sb_conv_params *, const int32_t *, const int32_t *, const int32_t *,
                                  const float *, int8_t *, int) =
            pair ? (tail ? channels_of_two_pixels_tail : channels_of_two_pixels)
                 : (tail ? channels_of_one_pixel_tail : channels_of_one_pixel);
        channels_of(p, columns, (const int32_t *)weights, bias, scale, output + pixel, pixels);
    }
}
