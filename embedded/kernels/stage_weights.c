/* Weights staged in SRAM: a layer whose weight table is re-read from flash for every pixel
 * pair (and far exceeds the flash accelerator's data cache) copies it into its arena scratch
 * once per call, so each weight costs one flash read instead of one per pixel pair. The copy
 * moves four words per iteration (LDM/STM on the M4); newlib-nano's memcpy goes bytewise. */
#include "sb_nn.h"
#include "sb_simd.h"

void sb_stage_weights(int8_t *sram, const int8_t *flash, uint32_t bytes) {
    sb_word *out = (sb_word *)sram;
    const sb_word *in = (const sb_word *)flash;
    uint32_t words = bytes >> 2;
    for (; words >= 4; words -= 4, in += 4, out += 4) {
        const int32_t a = in[0], b = in[1], c = in[2], d = in[3];
        out[0] = a, out[1] = b, out[2] = c, out[3] = d;
    }
    for (; words > 0; words--) *out++ = *in++;
    sb_copy_s8((int8_t *)out, (const int8_t *)in, (int)(bytes & 3u));
}
