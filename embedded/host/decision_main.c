/* Host harness of the event decision layer: the C the device runs, built with the host's
 * compiler and held to soundbench.predict.decision on the same windows.
 *   decision_host <decision_in.bin> <events.bin>
 * decision_in.bin: int32 n_classes, smooth_windows, median, floor_windows, min_windows,
 * max_gap_windows; double silence_db, gate_db, release; double thresholds[n_classes];
 * int32 n_windows; float32 probabilities[n_windows][n_classes]; double levels[n_windows].
 * events.bin: one sb_event (int32 label, first, last; float32 probability) per event. */
#include <stdio.h>
#include <stdlib.h>

#include "sb_decision.h"

static void write_event(const sb_event *event, void *context) { fwrite(event, sizeof(*event), 1, (FILE *)context); }

static int read_all(FILE *in, void *to, size_t bytes) { return fread(to, 1, bytes, in) == bytes; }

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s <decision_in.bin> <events.bin>\n", argv[0]);
        return 1;
    }
    FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
    if (in == NULL || out == NULL) {
        fprintf(stderr, "decision_host: cannot open %s or %s\n", argv[1], argv[2]);
        return 2;
    }
    int32_t ints[6], n_windows;
    double reals[3];
    sb_decision_settings s;
    if (!read_all(in, ints, sizeof(ints)) || !read_all(in, reals, sizeof(reals))) {
        return 3;
    }
    s.n_classes = ints[0];
    s.smooth_windows = ints[1];
    s.median = ints[2];
    s.floor_windows = ints[3];
    s.min_windows = ints[4];
    s.max_gap_windows = ints[5];
    s.silence_db = reals[0];
    s.gate_db = reals[1];
    s.release = reals[2];
    double *thresholds = malloc(sizeof(double) * s.n_classes);
    if (!read_all(in, thresholds, sizeof(double) * s.n_classes) || !read_all(in, &n_windows, sizeof(n_windows))) {
        return 3;
    }
    s.thresholds = thresholds;
    float *probabilities = malloc(sizeof(float) * n_windows * s.n_classes);
    double *levels = malloc(sizeof(double) * n_windows);
    if (!read_all(in, probabilities, sizeof(float) * n_windows * s.n_classes) ||
        !read_all(in, levels, sizeof(double) * n_windows)) {
        return 3;
    }
    float *buffer = malloc(sizeof(float) * SB_DECISION_FLOATS(s.n_classes, s.smooth_windows, s.floor_windows));
    sb_decision d;
    sb_decision_init(&d, &s, buffer, write_event, out);
    for (int32_t t = 0; t < n_windows; t++) {
        sb_decision_push(&d, &probabilities[t * s.n_classes], levels[t]);
    }
    sb_decision_flush(&d);
    fclose(in);
    fclose(out);
    return 0;
}
