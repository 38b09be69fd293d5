/* The device application: int16 PCM arrives one hop-sized block at a time (as a microphone
 * DMA delivers it), the front end turns each block into mel frames in its ring buffer, and
 * every window hop it writes the analysis window straight into the model's input in the
 * arena, the int8 model runs, and the class probabilities (softmax) go out. In the
 * emulator the PCM comes from pcm.bin and the probabilities go to probs.bin. With
 * SB_APP_DECISION, the event decision layer (embedded/decision, settings in the generated
 * sb_decision_config.h) turns each window's probabilities and level into events, which go
 * to events.bin.
 *
 * Markers for the instruction counter (segments between sb_marker_start/stop, split at
 * sb_layer_done): 0 the hop's frame (and its energy, for the window level), 1 the window
 * (floor, DCT, standardisation), 2.. the model's layers; with SB_APP_DECISION, the segment
 * after the model's last layer marker is the softmax and the decision layer. */
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

#if SB_APP_DECISION
#include "sb_decision.h"
#include "sb_decision_config.h"

/* The window's level as host predict measures it: the RMS of its samples, in dB re full
 * scale. A window is the last SB_APP_WINDOW_HOPS hops, so each hop's energy is kept. */
static float hop_energy[SB_APP_WINDOW_HOPS]; /* a hop's sum of squares (exact in int64, kept as float) */
static float decision_buffer[SB_DECISION_FLOATS(SB_DECISION_CLASSES, SB_DECISION_SMOOTH, SB_DECISION_FLOOR)];
static sb_decision decision;

static void write_event(const sb_event *event, void *context) { sh_write(*(int *)context, event, sizeof(*event)); }

static float energy(const int16_t *block) {
    int64_t sum = 0;
    for (int i = 0; i < SB_FE_HOP; i++) {
        sum += (int32_t)block[i] * block[i];
    }
    return (float)sum;
}

static double window_level_db(void) {
    double sum = 0.0;
    for (int i = 0; i < SB_APP_WINDOW_HOPS; i++) {
        sum += hop_energy[i];
    }
    const double mean = sum / ((double)SB_APP_WINDOW_HOPS * SB_FE_HOP * 32768.0 * 32768.0);
    return 10.0 * log10(mean > 1e-20 ? mean : 1e-20);
}
#endif

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
#if SB_APP_DECISION
    int events = sh_open("events.bin", 5);
    if (events < 0) {
        sh_write0("device app: cannot open events.bin in the emulator's working directory\n");
        return 2;
    }
    sb_decision_init(&decision, &sb_decision_config, decision_buffer, write_event, &events);
    int hop = 0;
#endif
    /* the microphone's circular DMA fills one half while the CPU works on the other */
    for (int half = 0; sh_read(in, dma[half], sizeof(dma[half])) == 0; half ^= 1) {
        const int16_t *block = dma[half];
        sb_marker_start();
        sb_frontend_push(&frontend, block, SCRATCH);
#if SB_APP_DECISION
        hop_energy[hop++ % SB_APP_WINDOW_HOPS] = energy(block);
#endif
        sb_layer_done();
        int ready = sb_frontend_window_ready(&frontend);
        if (ready) {
            sb_frontend_window(&frontend, input);
            sb_layer_done();
            sb_model_run();
#if SB_APP_DECISION /* the segment after the model's last layer marker: softmax + decision */
            softmax(output, SB_OUTPUT_BYTES / sizeof(float));
            sb_decision_push(&decision, output, window_level_db());
#endif
        }
        sb_marker_stop();
        if (ready) {
#if !SB_APP_DECISION
            softmax(output, SB_OUTPUT_BYTES / sizeof(float));
#endif
            sh_write(out, output, SB_OUTPUT_BYTES);
            windows++;
        }
    }
#if SB_APP_DECISION
    sb_decision_flush(&decision);
    sh_close(events);
#endif
    sh_close(in);
    sh_close(out);
    return windows > 0 ? 0 : 4;
}
