/* Host harness: the same generated model and kernels as the firmware, built with the host's
 * C compiler, so the kernels' plain-C path (sb_simd.h without the DSP extension) runs and is
 * compared with onnxruntime without an Arm toolchain or an emulator.
 *   model_host <windows.bin> <logits.bin>   (float32 model inputs in, float32 outputs out)
 *   model_host --scratch                    (per kernel layer: planned and needed scratch bytes) */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "model_io.h"

void sb_layer_done(void) {}

static void print_scratch(int layer, uint32_t planned, uint32_t needed) {
    printf("%d %lu %lu\n", layer, (unsigned long)planned, (unsigned long)needed);
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--scratch") == 0) {
        sb_model_report_scratch(print_scratch);
        return 0;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: %s <windows.bin> <logits.bin>\n", argv[0]);
        return 1;
    }
    FILE *in = fopen(argv[1], "rb");
    FILE *out = fopen(argv[2], "wb");
    if (in == NULL || out == NULL) {
        fprintf(stderr, "model_host: cannot open %s or %s\n", argv[1], argv[2]);
        return 2;
    }
    float *input = sb_model_input();
    float *output = sb_model_output();
    int windows = 0;
    while (fread(input, 1, SB_INPUT_BYTES, in) == SB_INPUT_BYTES) {
        sb_model_run();
        fwrite(output, 1, SB_OUTPUT_BYTES, out);
        windows++;
    }
    fclose(in);
    fclose(out);
    return windows > 0 ? 0 : 4;
}
