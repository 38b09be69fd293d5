/* int8 depthwise convolution (groups = channels, one filter per channel), NCHW.
 *
 * Each channel's input plane is widened to int16 into a padded plane whose border holds
 * the input zero point (so no tap needs a bounds check; the code generator folds
 * -zero_point × Σ weights into the bias, as for sb_conv_s8). The border is the same for
 * every channel, so it is written once per call and only the interior per channel. The
 * code generator stores the filters widened to int16, each row padded to an even width
 * with a zero tap. Rows of output pixels are computed several at a time so each input
 * word loaded feeds several SMLADs: with stride 2 and filters up to 6 wide, four outputs
 * share one pass over a filter row (6 words feed 12 SMLADs).
 *
 * Stride 2 with 5-wide filters (Stride-DS, MobileNet-style 5×5 blocks) skips the int16
 * plane: the plane stays int8 and SXTB16 splits each loaded word into its even and odd
 * samples, which is what a stride-2 window needs. Output 2m reads bytes 4m..4m+4:
 * (e0, e2)·(f0, f2) + (o1, o3)·(f1, f3) + e4·f4, one SMLAD, SMLAD, SMLABB; output 2m+1
 * reads bytes 4m+2..4m+6 from the same words with the halves exchanged (PKHBT + SMLADX,
 * SMLATB). The code generator stores such filters per row as (f0, f2, f1, f3, f4, 0) and
 * the plane's row length in bytes as an int32 (two int16). */
#include "sb_nn.h"
#include "sb_requantize.h"
#include "sb_simd.h"

/* int16 values per filter row on the int8 plane: (f0, f2), (f1, f3), (f4, 0), row step
 * (the assembly below advances by the same 16 bytes) */
#define BYTE_PLANE_FILTER_ROW 8

static void fill_plane(int32_t *plane, int words, int16_t value) {
    const int32_t both = (int32_t)(((uint32_t)(uint16_t)value << 16) | (uint16_t)value);
    for (int i = 0; i < words; i++) plane[i] = both;
}

/* one channel's int8 rows into the int8 plane's interior */
static void copy_interior(const sb_depthwise_params *p, const int8_t *channel, int8_t *plane) {
    const int in_w = p->in_w, plane_w = p->plane_w;
    int8_t *row = plane + p->pad_top * plane_w + p->pad_left;
    for (int y = p->in_h; y > 0; y--, row += plane_w, channel += in_w) sb_copy_s8(row, channel, in_w);
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

/* Four stride-1 outputs of a 3-wide filter. Output ow+k reads plane values ow+k..ow+k+2:
 * with each filter row stored as (f0, f1), (f2, 0) and shifted by one tap as (0, f0),
 * (f1, f2), the odd outputs line up with the same words as the even ones, so 3 plane words
 * (values ow..ow+5) feed 8 SMLADs and no unaligned pair is ever built. */
static inline void four_outputs_stride1_3(const sb_word *row, const sb_word *w, int kernel_h, int row_words,
                                          int32_t *acc) {
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int y = kernel_h; y > 0; y--, row += row_words, w += 4) {
        int32_t f0, f1, g0, g1, r0, r1;
        SB_READ_WORDS(w, 0, f0, f1);
        SB_READ_WORDS(w, 2, g0, g1);
        SB_READ_WORDS(row, 0, r0, r1);
        const int32_t r2 = row[2];
        a0 = sb_smlad(f0, r0, a0), a1 = sb_smlad(g0, r0, a1);
        a0 = sb_smlad(f1, r1, a0), a1 = sb_smlad(g1, r1, a1);
        a2 = sb_smlad(f0, r1, a2), a3 = sb_smlad(g0, r1, a3);
        a2 = sb_smlad(f1, r2, a2), a3 = sb_smlad(g1, r2, a3);
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

/* The end of a stride-1 row that is not a multiple of 4 wide: outputs ow, ow + 1 (ow even)
 * from the 2 words of values ow..ow+3, 4 SMLADs per filter row. The plane is at least
 * out_w + 3 values wide, so the words exist even where only output ow is kept. */
static inline void two_outputs_stride1_3(const sb_word *row, const sb_word *w, int kernel_h, int row_words,
                                         int32_t *acc) {
    int32_t a0 = acc[0], a1 = acc[1];
    for (int y = kernel_h; y > 0; y--, row += row_words, w += 4) {
        int32_t f0, f1, g0, g1, r0, r1;
        SB_READ_WORDS(w, 0, f0, f1);
        SB_READ_WORDS(w, 2, g0, g1);
        SB_READ_WORDS(row, 0, r0, r1);
        a0 = sb_smlad(f0, r0, a0), a1 = sb_smlad(g0, r0, a1);
        a0 = sb_smlad(f1, r1, a0), a1 = sb_smlad(g1, r1, a1);
    }
    acc[0] = a0, acc[1] = a1;
}

#if SB_HAVE_DSP && defined(__thumb2__) && defined(__ARM_FP) && (__ARM_FP & 4)
#define SB_STRIDE1_ASM 1
/* What channel_stride1_3x3_asm reads, laid out for one VLDM into s4..s16. */
typedef struct {
    float scale;               /* s4 */
    int32_t filter_row_bytes;  /* s5: the plane's row length in bytes */
    const int16_t *plane;      /* s6: where output row 0's receptive fields start */
    int32_t group_start;       /* s7: the loop's own */
    int32_t bias, zero_point;  /* s8, s9 */
    int32_t groups;            /* s10: whole groups of 4 outputs per row before the end */
    int32_t groups_left;       /* s11: the loop's own */
    int32_t end;               /* s12: how a row ends: 0 nothing, 5 five outputs, 3, 2 or 1 */
    int32_t rows;              /* s13 */
    const int16_t *filter;     /* s14 */
    int8_t *out;               /* s15 */
    int32_t output_row_bytes;  /* s16: stride_h plane rows */
} sb_stride1_channel;

/* One filter row against the plane row at r11 (then advanced by a plane row): the row's
 * (f0, f1), (f2, 0) in r5, r6 and its shifted (0, f0), (f1, f2) in r7, r8, plane words in
 * r9, r10. FOUR: outputs r0..r3 from 3 words (8 SMLADs); FIVE: r0..r4 from 4 (10); TWO:
 * r0, r1 from 2 (4). */
#define SB_DW_FILTER_ROW(OFFSET)                  \
    "ldrd r5, r6, [ip, #" #OFFSET "]\n\t"           \
    "ldrd r7, r8, [ip, #" #OFFSET " + 8]\n\t"       \
    "ldrd r9, r10, [r11]\n\t"                       \
    "smlad r0, r5, r9, r0\n\t"                      \
    "smlad r1, r7, r9, r1\n\t"                      \
    "smlad r0, r6, r10, r0\n\t"                     \
    "smlad r1, r8, r10, r1\n\t"
#define SB_DW_NEXT_PLANE_ROW \
    "vmov r9, s5\n\t"        \
    "add r11, r11, r9\n\t"
#define SB_DW_FOUR(OFFSET)              \
    SB_DW_FILTER_ROW(OFFSET)            \
    "smlad r2, r5, r10, r2\n\t"         \
    "smlad r3, r7, r10, r3\n\t"         \
    "ldr r9, [r11, #8]\n\t"             \
    "smlad r2, r6, r9, r2\n\t"          \
    "smlad r3, r8, r9, r3\n\t"          \
    SB_DW_NEXT_PLANE_ROW
#define SB_DW_FIVE(OFFSET)              \
    SB_DW_FILTER_ROW(OFFSET)            \
    "smlad r2, r5, r10, r2\n\t"         \
    "smlad r3, r7, r10, r3\n\t"         \
    "ldrd r9, r10, [r11, #8]\n\t"       \
    "smlad r2, r6, r9, r2\n\t"          \
    "smlad r3, r8, r9, r3\n\t"          \
    "smlad r4, r5, r9, r4\n\t"          \
    "smlad r4, r6, r10, r4\n\t"         \
    SB_DW_NEXT_PLANE_ROW
#define SB_DW_TWO(OFFSET) SB_DW_FILTER_ROW(OFFSET) SB_DW_NEXT_PLANE_ROW
/* accumulators from the bias (s8), the group's plane pointer kept in s7 */
#define SB_DW_START_GROUP  \
    "vmov r0, s8\n\t"      \
    "mov r1, r0\n\t"       \
    "mov r2, r0\n\t"       \
    "mov r3, r0\n\t"       \
    "vmov s7, r11\n\t"

/* Every output of one channel of a 3 × 3 stride-1 depthwise convolution on the int16 plane
 * (filters stored shifted, as four_outputs_stride1_3), written out because in C the loop
 * state spills around the 13 registers the passes need and each row cost a call: per row,
 * groups of 4 outputs (3 plane words per filter row), and the row's end as 5 outputs at
 * once (4 words: a 5-wide row, as MLPerf KWS DS-CNN's, is one pass), 3 (a group of 4 with
 * the last dropped), 2 or 1. r0..r4 accumulators, r5..r8 filter words, r9, r10 plane
 * words, r11 the plane, ip the filter, lr the output; the rest in s4..s16. */
__attribute__((naked, noinline)) static void channel_stride1_3x3_asm(__attribute__((unused)) const sb_stride1_channel *c) {
    __asm volatile(
        "push {r4-r11, lr}\n\t"
        "vpush {s16}\n\t"
        "vldm r0, {s4-s16}\n\t"
        "vmov ip, s14\n\t"
        "vmov lr, s15\n"
        "1:\n\t"
        "vmov r11, s6\n\t"
        "vmov r9, s10\n\t"
        "cmp r9, #0\n\t"
        "beq 5f\n\t"
        "vmov s11, r9\n"
        "2:\n\t"
        SB_DW_START_GROUP
        SB_DW_FOUR(0) SB_DW_FOUR(16) SB_DW_FOUR(32)
        "vmov r11, s7\n\t"
        "add r11, r11, #8\n\t"
        "vmov r4, s9\n\t"
        SB_ASM_REQUANTIZE_4("r0", "r1", "r2", "r3", "s4", "r4")
        "str r0, [lr], #4\n\t"
        "vmov r9, s11\n\t"
        "subs r9, r9, #1\n\t"
        "vmov s11, r9\n\t"
        "bne 2b\n"
        "5:\n\t"
        "vmov r9, s12\n\t"
        "cmp r9, #5\n\t"
        "beq 50f\n\t"
        "cmp r9, #3\n\t"
        "beq 30f\n\t"
        "cmp r9, #2\n\t"
        "beq 20f\n\t"
        "cmp r9, #1\n\t"
        "beq 10f\n"
        "6:\n\t"
        "vmov r9, s6\n\t"
        "vmov r10, s16\n\t"
        "add r9, r9, r10\n\t"
        "vmov s6, r9\n\t"
        "vmov r9, s13\n\t"
        "subs r9, r9, #1\n\t"
        "vmov s13, r9\n\t"
        "bne 1b\n\t"
        "vpop {s16}\n\t"
        "pop {r4-r11, pc}\n"
        "50:\n\t"
        SB_DW_START_GROUP
        "mov r4, r0\n\t"
        SB_DW_FIVE(0) SB_DW_FIVE(16) SB_DW_FIVE(32)
        "vmov r9, s9\n\t"
        SB_ASM_REQUANTIZE_1("r4", "s4", "r9")
        SB_ASM_REQUANTIZE_4("r0", "r1", "r2", "r3", "s4", "r9")
        "str r0, [lr], #4\n\t"
        "strb r4, [lr], #1\n\t"
        "b 6b\n"
        "30:\n\t"
        SB_DW_START_GROUP
        SB_DW_FOUR(0) SB_DW_FOUR(16) SB_DW_FOUR(32)
        "vmov r9, s9\n\t"
        SB_ASM_REQUANTIZE_4("r0", "r1", "r2", "r3", "s4", "r9")
        "strh r0, [lr], #2\n\t"
        "lsr r0, r0, #16\n\t"
        "strb r0, [lr], #1\n\t"
        "b 6b\n"
        "20:\n\t"
        SB_DW_START_GROUP
        SB_DW_TWO(0) SB_DW_TWO(16) SB_DW_TWO(32)
        "vmov r9, s9\n\t"
        SB_ASM_REQUANTIZE_2("r0", "r1", "s4", "r9")
        "strh r0, [lr], #2\n\t"
        "b 6b\n"
        "10:\n\t"
        SB_DW_START_GROUP
        SB_DW_TWO(0) SB_DW_TWO(16) SB_DW_TWO(32)
        "vmov r9, s9\n\t"
        SB_ASM_REQUANTIZE_1("r0", "s4", "r9")
        "strb r0, [lr], #1\n\t"
        "b 6b");
}
#else
#define SB_STRIDE1_ASM 0
#endif

static int32_t one_output(const sb_depthwise_params *p, const int16_t *top, const int16_t *filter, int32_t acc) {
    const int pairs = p->kernel_w_even >> 1;
    for (int y = 0; y < p->kernel_h; y++, top += p->plane_w, filter += p->filter_row)
        for (int j = 0; j < pairs; j++) acc = sb_smlad(sb_read_s16x2(filter + 2 * j), sb_read_s16x2(top + 2 * j), acc);
    return acc;
}

/* four stride-2 outputs of a 5-wide filter from an int8 plane (see the top of this file):
 * per filter row 3 words feed 12 multiply instructions doing 20 MACs. The filter stream
 * holds per row (f0, f2), (f1, f3), (f4, 0) and the plane's row length in bytes, so the
 * loop needs no register for it: 14 values live, none spilled. */
#if SB_HAVE_DSP && defined(__thumb2__)
static inline void four_outputs_5_s8(const int8_t *row, const int16_t *filter, int kernel_h, int32_t *acc) {
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], f02, f13, e0, o0, e1, o1, t, n = kernel_h;
    const int16_t *f = filter;
    __asm volatile("1:\n\t"
                   "ldrd %[e0], %[e1], [%[row]]\n\t"
                   "ldrd %[f02], %[f13], [%[f]], #16\n\t"
                   "sxtb16 %[o0], %[e0], ror #8\n\t"
                   "sxtb16 %[e0], %[e0]\n\t"
                   "sxtb16 %[o1], %[e1], ror #8\n\t"
                   "sxtb16 %[e1], %[e1]\n\t"
                   "smlad %[a0], %[e0], %[f02], %[a0]\n\t"
                   "smlad %[a0], %[o0], %[f13], %[a0]\n\t"
                   "pkhbt %[t], %[e1], %[e0]\n\t"
                   "smladx %[a1], %[t], %[f02], %[a1]\n\t"
                   "pkhbt %[t], %[o1], %[o0]\n\t"
                   "smladx %[a1], %[t], %[f13], %[a1]\n\t"
                   "ldr %[e0], [%[row], #8]\n\t"
                   "sxtb16 %[o0], %[e0], ror #8\n\t"
                   "sxtb16 %[e0], %[e0]\n\t"
                   "smlad %[a2], %[e1], %[f02], %[a2]\n\t"
                   "smlad %[a2], %[o1], %[f13], %[a2]\n\t"
                   "pkhbt %[t], %[e0], %[e1]\n\t"
                   "smladx %[a3], %[t], %[f02], %[a3]\n\t"
                   "pkhbt %[t], %[o0], %[o1]\n\t"
                   "smladx %[a3], %[t], %[f13], %[a3]\n\t"
                   "ldr %[t], [%[f], #-8]\n\t"
                   "smlabb %[a0], %[e1], %[t], %[a0]\n\t"
                   "smlatb %[a1], %[e1], %[t], %[a1]\n\t"
                   "smlabb %[a2], %[e0], %[t], %[a2]\n\t"
                   "smlatb %[a3], %[e0], %[t], %[a3]\n\t"
                   "ldr %[t], [%[f], #-4]\n\t"
                   "add %[row], %[row], %[t]\n\t"
                   "subs %[n], %[n], #1\n\t"
                   "bne 1b"
                   : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [row] "+r"(row), [f] "+r"(f),
                     [n] "+r"(n), [f02] "=&r"(f02), [f13] "=&r"(f13), [e0] "=&r"(e0), [o0] "=&r"(o0),
                     [e1] "=&r"(e1), [o1] "=&r"(o1), [t] "=&r"(t)
                   :
                   : "cc", "memory");
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}
#else
static inline void four_outputs_5_s8(const int8_t *row, const int16_t *filter, int kernel_h, int32_t *acc) {
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int y = kernel_h; y > 0; y--, filter += BYTE_PLANE_FILTER_ROW) {
        const int32_t f02 = sb_read_s16x2(filter), f13 = sb_read_s16x2(filter + 2), f4 = sb_read_s16x2(filter + 4);
        const int32_t w0 = sb_read_s8x4(row), w1 = sb_read_s8x4(row + 4), w2 = sb_read_s8x4(row + 8);
        const int32_t e0 = sb_sxtb16(w0), o0 = sb_sxtb16_ror8(w0), e1 = sb_sxtb16(w1), o1 = sb_sxtb16_ror8(w1);
        const int32_t e2 = sb_sxtb16(w2), o2 = sb_sxtb16_ror8(w2);
        a0 = sb_smlad(e0, f02, a0), a0 = sb_smlad(o0, f13, a0), a0 = sb_smlabb(e1, f4, a0);
        a1 = sb_smladx(sb_join(e1, e0), f02, a1), a1 = sb_smladx(sb_join(o1, o0), f13, a1), a1 = sb_smlatb(e1, f4, a1);
        a2 = sb_smlad(e1, f02, a2), a2 = sb_smlad(o1, f13, a2), a2 = sb_smlabb(e2, f4, a2);
        a3 = sb_smladx(sb_join(e2, e1), f02, a3), a3 = sb_smladx(sb_join(o2, o1), f13, a3), a3 = sb_smlatb(e2, f4, a3);
        int32_t step;
        memcpy(&step, filter + 6, 4);
        row += step;
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}
#endif

/* one output of a 5-wide filter stored (f0, f2, f1, f3, f4, 0, row step) from an int8 plane */
static int32_t one_output_5_s8(const sb_depthwise_params *p, const int8_t *top, const int16_t *f, int32_t acc) {
    for (int y = 0; y < p->kernel_h; y++, top += p->plane_w, f += BYTE_PLANE_FILTER_ROW)
        acc += f[0] * top[0] + f[2] * top[1] + f[1] * top[2] + f[3] * top[3] + f[4] * top[4];
    return acc;
}

/* every output of one channel, stride 2, 5-wide filter, int8 plane */
__attribute__((noinline)) static void channel_stride2_5(const sb_depthwise_params *p, const int8_t *plane,
                                                        const int16_t *filter, int32_t bias, float scale,
                                                        int8_t *out) {
    const int out_w = p->out_w, kernel_h = p->kernel_h, row_step = p->stride_h * p->plane_w;
    const int32_t zero_point = p->output_zero_point;
    for (int oh = p->out_h; oh > 0; oh--, plane += row_step) {
        int ow = 0;
        for (; ow + 3 < out_w; ow += 4, out += 4) {
            int32_t a[4] = {bias, bias, bias, bias};
            four_outputs_5_s8(plane + 2 * ow, filter, kernel_h, a);
            out[0] = sb_requantize(a[0], scale, zero_point);
            out[1] = sb_requantize(a[1], scale, zero_point);
            out[2] = sb_requantize(a[2], scale, zero_point);
            out[3] = sb_requantize(a[3], scale, zero_point);
        }
        for (; ow < out_w; ow++) *out++ = sb_requantize(one_output_5_s8(p, plane + 2 * ow, filter, bias), scale, zero_point);
    }
}

/* one row of outputs of one channel; `top` is the plane row its receptive fields start on */
__attribute__((noinline)) static void output_row(const sb_depthwise_params *p, const int16_t *top,
                                                 const int16_t *filter, int32_t bias, float scale, int8_t *out) {
    const int pairs = p->kernel_w_even >> 1, out_w = p->out_w, kernel_h = p->kernel_h, row_words = p->plane_w >> 1;
    const int32_t zero_point = p->output_zero_point;
    int ow = 0;
    if (p->shifted) {  /* stride 1: output ow starts at value ow, word ow / 2 */
        for (; ow + 3 < out_w; ow += 4) {
            int32_t a[4] = {bias, bias, bias, bias};
            four_outputs_stride1_3((const sb_word *)top + (ow >> 1), (const sb_word *)filter, kernel_h, row_words, a);
            out[ow] = sb_requantize(a[0], scale, zero_point);
            out[ow + 1] = sb_requantize(a[1], scale, zero_point);
            out[ow + 2] = sb_requantize(a[2], scale, zero_point);
            out[ow + 3] = sb_requantize(a[3], scale, zero_point);
        }
        for (; ow < out_w; ow += 2) {
            int32_t a[2] = {bias, bias};
            two_outputs_stride1_3((const sb_word *)top + (ow >> 1), (const sb_word *)filter, kernel_h, row_words, a);
            out[ow] = sb_requantize(a[0], scale, zero_point);
            if (ow + 1 < out_w) out[ow + 1] = sb_requantize(a[1], scale, zero_point);
        }
    }
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

uint32_t sb_depthwise_conv_s8_scratch_bytes(const sb_depthwise_params *p) {
    const uint32_t plane = (uint32_t)p->plane_h * p->plane_w * (p->byte_plane ? 1u : 2u);
    return (plane + 3u) & ~3u;
}

void sb_depthwise_conv_s8(const sb_depthwise_params *p, const int8_t *input, const int16_t *weights,
                          const int32_t *bias, const float *scale, int8_t *output, int16_t *scratch) {
    const int filter_size = p->kernel_h * p->filter_row, row_step = p->stride_h * p->plane_w;
    if (p->byte_plane) {
        int8_t *plane = (int8_t *)scratch;
        memset(plane, p->input_zero_point, (unsigned)p->plane_h * p->plane_w);
        for (int c = 0; c < p->channels; c++) {
            copy_interior(p, input + c * p->in_h * p->in_w, plane);
            channel_stride2_5(p, plane, weights + c * p->kernel_h * BYTE_PLANE_FILTER_ROW, bias[c], scale[c], output + c * p->out_h * p->out_w);
        }
        return;
    }
    fill_plane((int32_t *)scratch, (p->plane_h * p->plane_w) >> 1, p->input_zero_point);
#if SB_STRIDE1_ASM
    if (p->shifted && p->kernel_h == 3) {
        const int out_w = p->out_w, whole = out_w >> 2, left = out_w & 3;
        sb_stride1_channel job = {.filter_row_bytes = 2 * p->plane_w, .plane = scratch,
                                  .zero_point = p->output_zero_point, .rows = p->out_h,
                                  .output_row_bytes = 2 * row_step};
        /* a row ending in 1 more than a group of 4 takes its last 5 outputs in one pass */
        job.groups = left == 1 && whole ? whole - 1 : whole;
        job.end = left == 1 && whole ? 5 : left;
        for (int c = 0; c < p->channels; c++) {
            widen_interior(p, input + c * p->in_h * p->in_w, scratch);
            job.scale = scale[c], job.bias = bias[c], job.filter = weights + c * filter_size;
            job.out = output + c * p->out_h * out_w;
            channel_stride1_3x3_asm(&job);
        }
        return;
    }
#endif
    for (int c = 0; c < p->channels; c++) {
        widen_interior(p, input + c * p->in_h * p->in_w, scratch);
        int8_t *out = output + c * p->out_h * p->out_w;
        const int16_t *filter = weights + c * filter_size;
        for (int oh = 0; oh < p->out_h; oh++, out += p->out_w)
            output_row(p, scratch + oh * row_step, filter, bias[c], scale[c], out);
    }
}
