/* Front-end harness: stream pcm.bin (int16 mono at the front end's rate) through the
 * front end one hop-sized block at a time, as a microphone DMA delivers it, and write
 * every analysis window's features (float32, the model's input) to features.bin. The
 * push and window calls sit between the marker functions so an emulator plugin counts
 * the front end's instructions, split between the hop's frame and the window. */
#include <stdint.h>

#include "sb_frontend.h"
#include "semihosting.h"

__attribute__((noinline, used)) void sb_marker_start(void) { __asm volatile("" ::: "memory"); }
__attribute__((noinline, used)) void sb_marker_stop(void) { __asm volatile("" ::: "memory"); }
/* splits the count: segment 0 the hop's frame, segment 1 the window */
__attribute__((noinline, used)) void sb_layer_done(void) { __asm volatile("" ::: "memory"); }

static sb_frontend frontend;
static int16_t dma[2][SB_FE_HOP];   /* the PCM DMA double buffer */
static sb_frontend_scratch scratch;
static float window[SB_FE_OUT_BANDS * SB_FE_WINDOW_FRAMES];

int main(void) {
    int in = sh_open("pcm.bin", 1);
    int out = sh_open("features.bin", 5);
    if (in < 0 || out < 0) {
        sh_write0("front end: cannot open pcm.bin / features.bin in the emulator's working directory\n");
        return 2;
    }
    sb_frontend_init(&frontend);
    int windows = 0;
    /* the microphone's circular DMA fills one half while the CPU works on the other */
    for (int half = 0; sh_read(in, dma[half], sizeof(dma[half])) == 0; half ^= 1) {
        const int16_t *block = dma[half];
        sb_marker_start();
        sb_frontend_push(&frontend, block, &scratch);
        sb_layer_done();
        int ready = sb_frontend_window_ready(&frontend);
        if (ready) {
            sb_frontend_window(&frontend, window);
        }
        sb_marker_stop();
        if (ready) {
            sh_write(out, window, sizeof(window));
            windows++;
        }
    }
    sh_close(in);
    sh_close(out);
    return windows > 0 ? 0 : 4;
}
