/* The device application: int16 PCM arrives one hop-sized block at a time (as a microphone
 * DMA delivers it), the front end turns each block into mel frames in its ring buffer, and
 * every window hop it writes the analysis window straight into the model's input in the
 * arena, the int8 model runs, and the class probabilities (softmax) go out. In the
 * emulator the PCM comes from pcm.bin and the probabilities go to probs.bin.
 *
 * Markers for the instruction counter (segments between sb_marker_start/stop, split at
 * sb_layer_done): 0 the hop's frame, 1 the window (floor, DCT, standardisation), 2.. the
 * model's layers. */
#include <math.h>
#include <stdint.h>

#include "model_io.h"
#include "sb_frontend.h"
#include "semihosting.h"

__attribute__((noinline, used)) void sb_marker_start(void) { __asm volatile("" ::: "memory"); }
__attribute__((noinline, used)) void sb_marker_stop(void) { __asm volatile("" ::: "memory"); }
__attribute__((noinline, used)) void sb_layer_done(void) { __asm volatile("" ::: "memory"); }

_Static_assert(SB_INPUT_BYTES == sizeof(float) * SB_FE_OUT_BANDS * SB_FE_WINDOW_FRAMES,
               "the front end's window is not the model's input");

static sb_frontend frontend;
static int16_t dma[2][SB_FE_HOP];   /* the PCM DMA double buffer */

#if SB_APP_SCRATCH_IN_ARENA
/* The front end's per-hop work buffers lie over the model's arena: they are dead before
 * the window is written into the model's input and the model runs. */
_Static_assert(sizeof(sb_frontend_scratch) <= SB_ARENA_BYTES, "front-end scratch larger than the arena");
#define SCRATCH ((sb_frontend_scratch *)sb_arena)
#else
static sb_frontend_scratch scratch_buffers;
#define SCRATCH (&scratch_buffers)
#endif

static void softmax(float *x, int n) {
    float top = x[0];
    for (int i = 1; i < n; i++) {
        top = x[i] > top ? x[i] : top;
    }
    float sum = 0.0f;
    for (int i = 0; i < n; i++) {
        x[i] = expf(x[i] - top);
        sum += x[i];
    }
    for (int i = 0; i < n; i++) {
        x[i] /= sum;
    }
}

int main(void) {
    int in = sh_open("pcm.bin", 1);
    int out = sh_open("probs.bin", 5);
    if (in < 0 || out < 0) {
        sh_write0("device app: cannot open pcm.bin / probs.bin in the emulator's working directory\n");
        return 2;
    }
    sb_frontend_init(&frontend);
    float *input = sb_model_input();
    float *output = sb_model_output();
    int windows = 0;
    /* the microphone's circular DMA fills one half while the CPU works on the other */
    for (int half = 0; sh_read(in, dma[half], sizeof(dma[half])) == 0; half ^= 1) {
        const int16_t *block = dma[half];
        sb_marker_start();
        sb_frontend_push(&frontend, block, SCRATCH);
        sb_layer_done();
        int ready = sb_frontend_window_ready(&frontend);
        if (ready) {
            sb_frontend_window(&frontend, input);
            sb_layer_done();
            sb_model_run();
        }
        sb_marker_stop();
        if (ready) {
            softmax(output, SB_OUTPUT_BYTES / sizeof(float));
            sh_write(out, output, SB_OUTPUT_BYTES);
            windows++;
        }
    }
    sh_close(in);
    sh_close(out);
    return windows > 0 ? 0 : 4;
}
