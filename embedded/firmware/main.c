/* Test harness: read analysis windows (float32 features) from windows.bin on the host,
 * run the generated model on each, write the logits to logits.bin. The model call sits
 * between two marker functions so an emulator plugin can count its instructions, and the
 * model calls a third after each layer so the count splits by layer. */
#include <stdint.h>

#include "model_io.h"
#include "semihosting.h"

__attribute__((noinline, used)) void sb_marker_start(void) { __asm volatile("" ::: "memory"); }
__attribute__((noinline, used)) void sb_marker_stop(void) { __asm volatile("" ::: "memory"); }
/* called by the generated model after each layer: the emulator plugin closes a per-layer
 * count there */
__attribute__((noinline, used)) void sb_layer_done(void) { __asm volatile("" ::: "memory"); }

int main(void) {
    int in = sh_open("windows.bin", 1);
    int out = sh_open("logits.bin", 5);
    if (in < 0 || out < 0) {
        sh_write0("firmware: cannot open windows.bin / logits.bin in the emulator's working directory\n");
        return 2;
    }
    float *input = sb_model_input();
    float *output = sb_model_output();
    int windows = 0;
    while (sh_read(in, input, SB_INPUT_BYTES) == 0) {
        sb_marker_start();
        sb_model_run();
        sb_marker_stop();
        sh_write(out, output, SB_OUTPUT_BYTES);
        windows++;
    }
    sh_close(in);
    sh_close(out);
    return windows > 0 ? 0 : 4;
}
