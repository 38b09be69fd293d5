/* The event decision layer on the device: the C twin of soundbench.predict.decision
 * (its docstring is the specification; tests hold both to the same events).
 *
 * Per window: gate (silence and the background level: the quietest of the last
 * floor_windows windows), causal smoothing (mean or median of the last smooth_windows
 * windows), hysteresis thresholds with class switching, then gap merging and a minimum
 * length before an event is reported. Posteriors and levels are kept as float, as the host
 * keeps them, so both make the same comparisons; what is kept is only the smoothing
 * history (smooth_windows x classes floats) and, with the background gate, the last
 * floor_windows levels in 0.01 dB (int16): a few hundred bytes, beside a board's 64 KiB.
 *
 * The caller owns the buffer (SB_DECISION_FLOATS floats), so the layer allocates nothing. */
#ifndef SB_DECISION_H
#define SB_DECISION_H

#include <stdint.h>

typedef struct {
    int32_t label;         /* class index */
    int32_t first_window;  /* windows are counted from 0 in stream order */
    int32_t last_window;   /* inclusive; the host maps windows to seconds */
    float probability;     /* mean smoothed posterior of its label over its windows */
} sb_event;

typedef void (*sb_event_sink)(const sb_event *event, void *context);

typedef struct {
    int32_t n_classes;
    int32_t smooth_windows;
    int32_t median;            /* 1: median smoothing, 0: mean */
    int32_t floor_windows;     /* levels kept for the background gate (1 without it) */
    int32_t min_windows;
    int32_t max_gap_windows;
    double silence_db;
    double gate_db;            /* 0: no background gate */
    double release;            /* an event ends below release x its class's threshold */
    const double *thresholds;  /* n_classes; INFINITY: never an event (a background class) */
} sb_decision_settings;

typedef struct {
    sb_decision_settings s;
    float *history;   /* smooth_windows x n_classes: the last gated posteriors */
    int16_t *levels;  /* floor_windows: the last window levels, in 0.01 dB (the gate's resolution) */
    float *sort;     /* smooth_windows: smoothing workspace */
    int32_t t;       /* windows seen */
    int32_t active, first;
    double active_sum;  /* smoothed posterior of the active class, summed over its windows */
    int32_t pending_label, pending_first, pending_last;
    double pending_sum, gap_sum;  /* a closed run that a run of its class may still join */
    sb_event_sink sink;
    void *context;
} sb_decision;

/* the buffer, in floats: the history, the sort workspace and the levels (two per float) */
#define SB_DECISION_FLOATS(classes, smooth, floor) ((smooth) * (classes) + (smooth) + ((floor) + 1) / 2)

void sb_decision_init(sb_decision *d, const sb_decision_settings *settings, float *buffer, sb_event_sink sink,
                      void *context);
/* one window: its class probabilities and its level (RMS in dB re full scale) */
void sb_decision_push(sb_decision *d, const float *probabilities, double level_db);
/* the end of the stream: report what is still open */
void sb_decision_flush(sb_decision *d);

#endif
