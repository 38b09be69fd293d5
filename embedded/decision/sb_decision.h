/* The event decision layer on the device: the C twin of soundbench.predict.decision
 * (its docstring is the specification; tests hold both to the same events).
 *
 * Per window: gate (silence and the background level: the quietest of the last
 * floor_windows windows), causal smoothing (mean or median of the last smooth_windows
 * windows), hysteresis thresholds with class switching, then gap merging and a minimum
 * length before an event is reported. Arithmetic in double, as the host does it: a few
 * hundred operations per window, small beside the network.
 *
 * The caller owns every buffer (sizes below), so the layer allocates nothing. */
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
    int32_t floor_windows;
    int32_t min_windows;
    int32_t max_gap_windows;
    double silence_db;
    double gate_db;            /* 0: no background gate */
    double release;            /* an event ends below release x its class's threshold */
    const double *thresholds;  /* n_classes */
} sb_decision_settings;

typedef struct {
    sb_decision_settings s;
    double *history;     /* smooth_windows x n_classes: the last gated posteriors */
    double *levels;      /* floor_windows: the last window levels (dB) */
    double *smoothed;    /* n_classes */
    double *cumulative;  /* n_classes: sums of the smoothed posteriors so far */
    double *sort;        /* smooth_windows: median workspace */
    int32_t t;           /* windows seen */
    int32_t active, first;
    double active_base;  /* cumulative[active] before its first window */
    int32_t pending_label, pending_first, pending_last;
    double pending_sum, pending_base;
    sb_event_sink sink;
    void *context;
} sb_decision;

/* doubles the buffers need: history, levels, smoothed, cumulative, sort */
#define SB_DECISION_DOUBLES(classes, smooth, floor) ((smooth) * (classes) + (floor) + 2 * (classes) + (smooth))

void sb_decision_init(sb_decision *d, const sb_decision_settings *settings, double *buffer, sb_event_sink sink,
                      void *context);
/* one window: its class probabilities and its level (RMS in dB re full scale) */
void sb_decision_push(sb_decision *d, const float *probabilities, double level_db);
/* the end of the stream: report what is still open */
void sb_decision_flush(sb_decision *d);

#endif
