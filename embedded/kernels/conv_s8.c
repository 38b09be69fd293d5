/* int8 convolution (groups = 1, any kernel, stride and padding; 1×1 = pointwise) as im2col
 * + a register-blocked matrix product: two output channels' weight rows against the columns
 * of four output pixels (2 × 4, quad_channel_pairs_asm) where rows are whole 4-tap steps
 * and channels pair up, else of two (2 × 2), so every sign-extended weight pair feeds four
 * SMLADs (two in the 2 × 2 block).
 *
 * Padding is made real once per call (a padded copy of the input in the scratch), so the
 * im2col of every pixel is a gather through a table of tap offsets made by the code
 * generator. Layouts that let one pointer and one double-word load feed each step:
 *  - the columns are interleaved by int16 pairs: with two pixels, word 2i holds taps
 *    (2i, 2i+1) of pixel 0, word 2i+1 the same taps of pixel 1; with four, the four
 *    pixels' first pairs of a 4-tap step, then their second pairs;
 *  - the code generator interleaves the weight rows of channel pairs tap by tap, so one
 *    word holds both channels' pair (c0 k, c1 k, c0 k+1, c1 k+1) and a row length of 2 mod
 *    4 ends in one such word (see sb_nn.h): a 25-tap filter costs 26 taps of work, not 28;
 *    an odd last channel's row follows alone.
 *
 * The 2 × 2 inner loop keeps 12 values live (4 accumulators, 2 weight words, 2 column
 * words, a sign-extended pair, 2 pointers, the count) so nothing spills inside it; the
 * 2 × 4 one all 14 (its count lives in the FPU). */
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

/* where the receptive field of output pixel `pixel` (row-major) starts in the padded input */
static inline const int8_t *receptive_field(const sb_conv_params *p, const int8_t *source, int pixel) {
    return source + (pixel / p->out_w) * p->stride_h * p->padded_w + (pixel % p->out_w) * p->stride_w;
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

/* The columns of four pixels (receptive fields starting at at[0..3]) for the 2 × 4 loop
 * below: per 4 taps, the four pixels' first pairs then their second pairs (8 words). */
__attribute__((unused)) static void im2col_quad(const int8_t *const at[4], const uint16_t *offsets, int quads, int length, int32_t *out) {
    for (int q = quads; q > 0; q--, out += 8, offsets += 4) {
        for (int i = 0; i < 4; i++) {
            const int32_t word = sb_read_s8x4(at[i] + offsets[0]);
            out[i] = sb_sxtb16(word);
            out[4 + i] = sb_sxtb16_ror8(word);
        }
    }
    for (int k = 4 * quads; k < length; k += 4, out += 8, offsets += 4) {
        const int o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3];
        for (int i = 0; i < 4; i++) {
            const int8_t *a = at[i];
            out[i] = sb_pack_low(a[o0], a[o1]);
            out[4 + i] = sb_pack_low(a[o2], a[o3]);
        }
    }
}

/* 2 channels × 2 pixels over 4 taps: 2 weight words + 4 column words → 8 SMLADs. Each
 * weight word holds both channels' pair: SXTB16 gives channel 0's, ROR 8 channel 1's. */
#define SB_STEP_2X2(w, c)                                                  \
    do {                                                                   \
        const int32_t lo = (w)[0], hi = (w)[1];                            \
        int32_t x = (c)[0], y = (c)[1], t = sb_sxtb16(lo);                 \
        s00 = sb_smlad(t, x, s00), s01 = sb_smlad(t, y, s01);              \
        t = sb_sxtb16_ror8(lo);                                            \
        s10 = sb_smlad(t, x, s10), s11 = sb_smlad(t, y, s11);              \
        x = (c)[2], y = (c)[3], t = sb_sxtb16(hi);                         \
        s00 = sb_smlad(t, x, s00), s01 = sb_smlad(t, y, s01);              \
        t = sb_sxtb16_ror8(hi);                                            \
        s10 = sb_smlad(t, x, s10), s11 = sb_smlad(t, y, s11);              \
    } while (0)

#if SB_HAVE_DSP && defined(__thumb2__)
/* half a step: the next two column words X, Y against the weight word W (both channels'
 * pair of taps) */
#define SB_ASM_HALF(C, W, X, Y, T, S00, S01, S10, S11)                  \
    "ldrd " X ", " Y ", [" C "], #8\n\t"                                 \
    "sxtb16 " T ", " W "\n\t"                                           \
    "smlad " S00 ", " T ", " X ", " S00 "\n\t"                           \
    "smlad " S01 ", " T ", " Y ", " S01 "\n\t"                           \
    "sxtb16 " T ", " W ", ror #8\n\t"                                   \
    "smlad " S10 ", " T ", " X ", " S10 "\n\t"                           \
    "smlad " S11 ", " T ", " Y ", " S11 "\n\t"
/* one SB_STEP_2X2 in assembly: W, C the weight and column pointers (post-incremented),
 * W0, W1, X, Y, T scratch, S00..S11 the accumulators (register names or %[operands]) */
#define SB_ASM_STEP(W, C, W0, W1, X, Y, T, S00, S01, S10, S11)           \
    "ldrd " W0 ", " W1 ", [" W "], #8\n\t"                               \
    SB_ASM_HALF(C, W0, X, Y, T, S00, S01, S10, S11)                      \
    SB_ASM_HALF(C, W1, X, Y, T, S00, S01, S10, S11)
#define SB_ASM_STEP_2X2 \
    SB_ASM_STEP("%[w]", "%[c]", "%[w0]", "%[w1]", "%[x]", "%[y]", "%[t]", "%[s00]", "%[s01]", "%[s10]", "%[s11]")

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

#if SB_HAVE_DSP && defined(__thumb2__) && defined(__ARM_FP) && (__ARM_FP & 4)
#define SB_PAIR_LOOP_ASM 1
/* What the channel-pair loop below reads, laid out for one VLDM into s6..s15. */
typedef struct {
    const int32_t *columns;
    int32_t half_steps, odd_steps;  /* SB_DOT_2X2's iteration count and entry (steps ≥ 1) */
    int32_t pairs;                  /* channel pairs (≥ 1) */
    const int32_t *weights, *bias;
    const float *scale;
    int8_t *out;
    int32_t pixels, zero_point;
} sb_pair_loop;

/* Every channel pair of two pixels, written out in assembly because in C the loop state
 * spills around SB_DOT_2X2 (12 registers), costing ~50 cycles per 2×2 block in stack
 * traffic. Here it rests in FPU registers s6..s15 (one cycle per VMOV, not two per LDR)
 * and the requantization handles 4 outputs at once, exactly as sb_requantize does:
 * VCVT to float, VMUL by the channel's scale, VCVTR (ties to even), QADD the zero point,
 * SSAT to 8 bits. TAIL is the 2-tap word step or nothing. r0..r3 accumulators, r4 weights,
 * r5 columns, r6 count, r7..r11 scratch, ip bias, lr scale. */
#define SB_PAIR_LOOP(name, TAIL)                                                           \
    __attribute__((naked, noinline)) static void name(__attribute__((unused)) const sb_pair_loop *loop) { \
        __asm volatile(                                                                    \
            "push {r4-r11, lr}\n\t"                                                        \
            "vldm r0, {s6-s15}\n\t"                                                        \
            "vmov r4, s10\n\t"                                                             \
            "vmov ip, s11\n\t"                                                             \
            "vmov lr, s12\n"                                                               \
            "1:\n\t"                                                                       \
            "ldrd r0, r2, [ip], #8\n\t"                                                    \
            "mov r1, r0\n\t"                                                               \
            "mov r3, r2\n\t"                                                               \
            "vmov r5, s6\n\t"                                                              \
            "vmov r6, s7\n\t"                                                              \
            "vmov r11, s8\n\t"                                                             \
            "cmp r11, #0\n\t"                                                              \
            "bne 3f\n"                                                                     \
            "2:\n\t"                                                                       \
            SB_ASM_STEP("r4", "r5", "r7", "r8", "r9", "r10", "r11", "r0", "r1", "r2", "r3") \
            "3:\n\t"                                                                       \
            SB_ASM_STEP("r4", "r5", "r7", "r8", "r9", "r10", "r11", "r0", "r1", "r2", "r3") \
            "subs r6, r6, #1\n\t"                                                          \
            "bne 2b\n\t"                                                                   \
            TAIL                                                                           \
            "vmov s0, s1, r0, r1\n\t"                                                      \
            "vmov s2, s3, r2, r3\n\t"                                                      \
            "vcvt.f32.s32 s0, s0\n\t"                                                      \
            "vcvt.f32.s32 s1, s1\n\t"                                                      \
            "vcvt.f32.s32 s2, s2\n\t"                                                      \
            "vcvt.f32.s32 s3, s3\n\t"                                                      \
            "vldmia lr!, {s4, s5}\n\t"                                                     \
            "vmul.f32 s0, s0, s4\n\t"                                                      \
            "vmul.f32 s1, s1, s4\n\t"                                                      \
            "vmul.f32 s2, s2, s5\n\t"                                                      \
            "vmul.f32 s3, s3, s5\n\t"                                                      \
            "vcvtr.s32.f32 s0, s0\n\t"                                                     \
            "vcvtr.s32.f32 s1, s1\n\t"                                                     \
            "vcvtr.s32.f32 s2, s2\n\t"                                                     \
            "vcvtr.s32.f32 s3, s3\n\t"                                                     \
            "vmov r0, r1, s0, s1\n\t"                                                      \
            "vmov r2, r3, s2, s3\n\t"                                                      \
            "vmov r7, s15\n\t"                                                             \
            "qadd r0, r0, r7\n\t"                                                          \
            "qadd r1, r1, r7\n\t"                                                          \
            "qadd r2, r2, r7\n\t"                                                          \
            "qadd r3, r3, r7\n\t"                                                          \
            "ssat r0, #8, r0\n\t"                                                          \
            "ssat r1, #8, r1\n\t"                                                          \
            "ssat r2, #8, r2\n\t"                                                          \
            "ssat r3, #8, r3\n\t"                                                          \
            "vmov r8, s13\n\t"                                                             \
            "vmov r9, s14\n\t"                                                             \
            "strb r0, [r8]\n\t"                                                            \
            "strb r1, [r8, #1]\n\t"                                                        \
            "strb r2, [r8, r9]\n\t"                                                        \
            "add r10, r8, r9\n\t"                                                          \
            "strb r3, [r10, #1]\n\t"                                                       \
            "add r8, r8, r9, lsl #1\n\t"                                                   \
            "vmov s13, r8\n\t"                                                             \
            "vmov r6, s9\n\t"                                                              \
            "subs r6, r6, #1\n\t"                                                          \
            "vmov s9, r6\n\t"                                                              \
            "bne 1b\n\t"                                                                   \
            "pop {r4-r11, pc}");                                                           \
    }
/* the 2-tap word (c0 k, c1 k, c0 k+1, c1 k+1) against each pixel's (k, k+1) */
#define SB_ASM_TAIL                 \
    "ldr r7, [r4], #4\n\t"          \
    "ldrd r9, r10, [r5]\n\t"        \
    "sxtb16 r11, r7\n\t"            \
    "smlad r0, r11, r9, r0\n\t"     \
    "smlad r1, r11, r10, r1\n\t"    \
    "sxtb16 r11, r7, ror #8\n\t"    \
    "smlad r2, r11, r9, r2\n\t"     \
    "smlad r3, r11, r10, r3\n\t"
SB_PAIR_LOOP(channel_pairs_asm, "")
SB_PAIR_LOOP(channel_pairs_tail_asm, SB_ASM_TAIL)

/* What the four-pixel loop below reads, laid out for one VLDM into s6..s15. */
typedef struct {
    const int32_t *columns;  /* im2col_quad's */
    float iterations;        /* four steps of 4 taps per iteration (steps ≥ 1), as a float: the count lives in s16 */
    int32_t entry;           /* steps % 4: the first iteration does that many (enters at step 5 - entry) */
    int32_t pairs;           /* channel pairs (≥ 1) */
    const int32_t *weights, *bias;
    const float *scale;
    int8_t *out;
    int32_t pixels, zero_point;
} sb_quad_loop;

/* half a step of the 2 × 4 block: the next four column words (pairs of pixels 0..3)
 * against the two channels' sign-extended pairs in r4, r5 */
#define SB_ASM_QUAD_HALF(A0, A1, A2, A3, B0, B1, B2, B3) \
    "ldrd r6, r7, [lr], #8\n\t"                         \
    "smlad " A0 ", r4, r6, " A0 "\n\t"                  \
    "smlad " A1 ", r4, r7, " A1 "\n\t"                  \
    "smlad " B0 ", r5, r6, " B0 "\n\t"                  \
    "smlad " B1 ", r5, r7, " B1 "\n\t"                  \
    "ldrd r6, r7, [lr], #8\n\t"                         \
    "smlad " A2 ", r4, r6, " A2 "\n\t"                  \
    "smlad " A3 ", r4, r7, " A3 "\n\t"                  \
    "smlad " B2 ", r5, r6, " B2 "\n\t"                  \
    "smlad " B3 ", r5, r7, " B3 "\n\t"
/* half a step's weights: one word, both channels' pair of taps (channel 1's extracted
 * first, so the word's register then takes channel 0's) */
#define SB_ASM_QUAD_WEIGHTS     \
    "ldr r4, [ip], #4\n\t"      \
    "sxtb16 r5, r4, ror #8\n\t" \
    "sxtb16 r4, r4\n\t"
/* one step: 4 taps of two channels against four pixels, 36 cycles per 32 MACs */
#define SB_ASM_QUAD_STEP                                               \
    SB_ASM_QUAD_WEIGHTS                                                \
    SB_ASM_QUAD_HALF("r0", "r1", "r2", "r3", "r8", "r9", "r10", "r11") \
    SB_ASM_QUAD_WEIGHTS                                                \
    SB_ASM_QUAD_HALF("r0", "r1", "r2", "r3", "r8", "r9", "r10", "r11")

/* Every channel pair of four pixels: a 2 × 4 register block (8 accumulators), so each
 * sign-extended weight pair feeds four SMLADs instead of two: r0..r3 and r8..r11
 * accumulators, r4, r5 weights, r6, r7 columns, ip the weight pointer, lr the columns'.
 * With all 14 registers taken, the loop count lives in the FPU (s16, decremented by 1.0
 * in s17 and tested with VCMP + VMRS); the rest of the state in s6..s15 as above. */
__attribute__((naked, noinline)) static void quad_channel_pairs_asm(__attribute__((unused)) const sb_quad_loop *loop) {
    __asm volatile(
        "push {r4-r11, lr}\n\t"
        "vpush {s16-s17}\n\t"
        "vldm r0, {s6-s15}\n\t"
        "vmov.f32 s17, #1.0\n\t"
        "vmov ip, s10\n"
        "1:\n\t"
        "vmov r4, s11\n\t"
        "ldrd r0, r8, [r4], #8\n\t"
        "vmov s11, r4\n\t"
        "vmov r4, s8\n\t"
        "lsls r4, r4, #31\n\t" /* N: steps % 4 is odd, C: it is 2 or 3; the moves keep the flags */
        "mov r1, r0\n\t"
        "mov r2, r0\n\t"
        "mov r3, r0\n\t"
        "mov r9, r8\n\t"
        "mov r10, r8\n\t"
        "mov r11, r8\n\t"
        "vmov lr, s6\n\t"
        "vmov.f32 s16, s7\n\t"
        "bcs 27f\n\t"
        "bmi 24f\n\t"
        "b 21f\n"
        "27:\n\t"
        "bmi 22f\n\t"
        "b 23f\n"
        "21:\n\t"
        SB_ASM_QUAD_STEP
        "22:\n\t"
        SB_ASM_QUAD_STEP
        "23:\n\t"
        SB_ASM_QUAD_STEP
        "24:\n\t"
        SB_ASM_QUAD_STEP
        "vsub.f32 s16, s16, s17\n\t"
        "vcmp.f32 s16, #0\n\t"
        "vmrs APSR_nzcv, fpscr\n\t"
        "bne 21b\n\t"
        "vmov r4, s12\n\t"
        "vldmia r4!, {s4, s5}\n\t"
        "vmov s12, r4\n\t"
        "vmov r4, s15\n\t"
        SB_ASM_REQUANTIZE_4("r0", "r1", "r2", "r3", "s4", "r4")
        SB_ASM_REQUANTIZE_4("r8", "r9", "r10", "r11", "s5", "r4")
        "vmov r5, s13\n\t"
        "vmov r6, s14\n\t"
        "str r0, [r5]\n\t"
        "str r8, [r5, r6]\n\t"
        "add r5, r5, r6, lsl #1\n\t"
        "vmov s13, r5\n\t"
        "vmov r4, s9\n\t"
        "subs r4, r4, #1\n\t"
        "vmov s9, r4\n\t"
        "bne 1b\n\t"
        "vpop {s16-s17}\n\t"
        "pop {r4-r11, pc}");
}
#else
#define SB_PAIR_LOOP_ASM 0
#endif

/* output channels `first`.. (first even) of two pixels whose interleaved columns are in
 * `columns`; w, bias, scale and out point at channel 0 (out of the first pixel), `pair`
 * says whether the second pixel exists and `tail` whether rows end with a 2-tap word
 * (constants in each instance below, so their tests cost nothing in the loop) */
static inline __attribute__((always_inline)) void channels(const sb_conv_params *p, const int32_t *columns,
                                                           const int32_t *w, const int32_t *bias,
                                                           const float *scale, int8_t *out, int pixels,
                                                           int first, const int pair, const int tail) {
    const int steps = p->column_length >> 2;
    w += (first >> 1) * (2 * steps + (tail ? 1 : 0));
    bias += first, scale += first, out += first * pixels;
    for (int pairs = (p->out_c - first) >> 1; pairs > 0; pairs--) {
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

typedef void channels_fn(const sb_conv_params *, const int32_t *, const int32_t *, const int32_t *, const float *,
                         int8_t *, int, int);
#define SB_CHANNELS_INSTANCE(name, pair, tail)                                                        \
    __attribute__((noinline)) static void name(const sb_conv_params *p, const int32_t *columns,           \
                                               const int32_t *w, const int32_t *bias, const float *scale, \
                                               int8_t *out, int pixels, int first) {                      \
        channels(p, columns, w, bias, scale, out, pixels, first, pair, tail);                             \
    }
SB_CHANNELS_INSTANCE(channels_of_two_pixels, 1, 0)
SB_CHANNELS_INSTANCE(channels_of_two_pixels_tail, 1, 2)
SB_CHANNELS_INSTANCE(channels_of_one_pixel, 0, 0)
SB_CHANNELS_INSTANCE(channels_of_one_pixel_tail, 0, 2)

/* Whether the pixels go four at a time (quad_channel_pairs_asm): rows of whole 4-tap steps
 * and channels in pairs. The code generator plans the scratch by the same rule. */
static int four_pixels_at_a_time(const sb_conv_params *p) {
    return (p->column_length & 3) == 0 && (p->out_c & 1) == 0 && p->out_h * p->out_w >= 4;
}

uint32_t sb_conv_s8_scratch_bytes(const sb_conv_params *p) {
    const uint32_t taps = ((uint32_t)p->column_length + 3u) & ~3u; /* the offsets table's length */
    const uint32_t columns = (four_pixels_at_a_time(p) ? 4u : 2u) * 2u * taps; /* int16 taps per pixel */
    const int padded = p->padded_h != p->in_h || p->padded_w != p->in_w;
    return columns + (padded ? (uint32_t)p->in_c * p->padded_h * p->padded_w : 0u);
}

void sb_conv_s8(const sb_conv_params *p, const int8_t *input, const int8_t *weights, const int32_t *bias,
                const float *scale, int8_t *output, int16_t *scratch) {
    const int pixels = p->out_h * p->out_w, length = p->column_length, tail = length & 2;
    int32_t *columns = (int32_t *)scratch;  /* im2col_pair writes taps up to a multiple of 4 */
    const int quad = four_pixels_at_a_time(p);
    const int8_t *source = padded_input(p, input, (int8_t *)(scratch + (quad ? 4 : 2) * ((length + 3) & ~3)));
    channels_fn *const of_two = tail ? channels_of_two_pixels_tail : channels_of_two_pixels;
    channels_fn *const of_one = tail ? channels_of_one_pixel_tail : channels_of_one_pixel;
    /* channel pairs of two pixels in assembly where it applies (≥ 1 pair, ≥ 1 step); the
     * loop's state is the same for every pixel pair but its output */
    int first = 0;
#if SB_PAIR_LOOP_ASM
    const int steps = length >> 2, pairs = p->out_c >> 1;
    sb_pair_loop loop = {columns, (steps + 1) >> 1, steps & 1, pairs, (const int32_t *)weights, bias, scale,
                         output, pixels, p->output_zero_point};
    void (*const pairs_of_two)(const sb_pair_loop *) = tail ? channel_pairs_tail_asm : channel_pairs_asm;
    if (steps && pairs) first = 2 * pairs;
#endif
    int pixel = 0;
#if SB_PAIR_LOOP_ASM
    if (quad) {  /* whole groups of four pixels, then what is left two at a time below */
        sb_quad_loop four = {columns, (float)((steps + 3) >> 2), steps & 3, pairs, (const int32_t *)weights, bias,
                             scale, output, pixels, p->output_zero_point};
        for (; pixel + 4 <= pixels; pixel += 4) {
            const int8_t *at[4];
            for (int i = 0; i < 4; i++) at[i] = receptive_field(p, source, pixel + i);
            im2col_quad(at, p->offsets, p->quads, length, columns);
            four.out = output + pixel;
            quad_channel_pairs_asm(&four);
        }
    }
#endif
    for (; pixel < pixels; pixel += 2) {
        const int pair = pixel + 1 < pixels, next = pair ? pixel + 1 : pixel;
        im2col_pair(receptive_field(p, source, pixel), receptive_field(p, source, next), p->offsets, p->quads, length,
                    columns);
        if (!pair) {
            of_one(p, columns, (const int32_t *)weights, bias, scale, output + pixel, pixels, 0);
            continue;
        }
#if SB_PAIR_LOOP_ASM
        if (first) {
            loop.out = output + pixel;
            pairs_of_two(&loop);
            if (first == p->out_c) continue;
        }
#endif
        of_two(p, columns, (const int32_t *)weights, bias, scale, output + pixel, pixels, first);
    }
}
