/* Firmware for a real board: the generated model and kernels with the clock tree and flash
 * latency the timing model assumes, each layer and the whole model timed with the DWT cycle
 * counter, the cycles printed over semihosting (a debugger with semihosting enabled, e.g.
 * `openocd ... -c "arm semihosting enable"` or pyOCD), one line each:
 *   layer <k> <cycles>      (k: the model's node order, as layers.csv lists them)
 *   total <cycles>
 * `python -m soundbench.deploy.board <printout> <deploy folder>` compares them with the
 * modelled cycles per layer. The input is all zeros: the kernels' cycles do not depend on
 * the values. Built with SB_BOARD_EMULATED (QEMU: no L4 clock registers, no DWT counter)
 * the clock set-up is skipped and the counts read 0. */
#include <stdint.h>

#include "board_clock.h"
#include "model_io.h"
#include "semihosting.h"

#define SB_MAX_LAYERS 512
#define DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)
#define DEMCR_TRCENA (1u << 24)
#define DWT_CYCCNTENA 1u

static uint32_t layer_cycles[SB_MAX_LAYERS];
static int layers;
static uint32_t layer_start;

/* the generated model calls this after every node */
void sb_layer_done(void) {
    const uint32_t now = DWT_CYCCNT;
    if (layers < SB_MAX_LAYERS) layer_cycles[layers] = now - layer_start;
    layers++;
    layer_start = DWT_CYCCNT;  /* the bookkeeping above is not charged to the next layer */
}

static void print_line(const char *what, int index, uint32_t value) {
    char line[48], digits[12];
    int n = 0, d = 0;
    for (const char *c = what; *c;) line[n++] = *c++;
    if (index >= 0) {
        line[n++] = ' ';
        do digits[d++] = (char)('0' + index % 10), index /= 10; while (index);
        while (d) line[n++] = digits[--d];
    }
    line[n++] = ' ';
    do digits[d++] = (char)('0' + value % 10), value /= 10; while (value);
    while (d) line[n++] = digits[--d];
    line[n++] = '\n';
    line[n] = 0;
    sh_write0(line);
}

int main(void) {
#ifndef SB_BOARD_EMULATED
    sb_board_clock();
    DEMCR |= DEMCR_TRCENA;
    DWT_CYCCNT = 0;
    DWT_CTRL |= DWT_CYCCNTENA;
#endif
    float *input = sb_model_input();
    for (unsigned i = 0; i < SB_INPUT_BYTES / sizeof(float); i++) input[i] = 0.0f;
    sb_model_run();  /* once to warm the flash accelerator's caches, as a stream would */
    layers = 0;
    const uint32_t start = DWT_CYCCNT;
    layer_start = start;
    sb_model_run();
    const uint32_t total = DWT_CYCCNT - start;
    for (int k = 0; k < layers && k < SB_MAX_LAYERS; k++) print_line("layer", k, layer_cycles[k]);
    print_line("total", -1, total);
    return 0;
}
