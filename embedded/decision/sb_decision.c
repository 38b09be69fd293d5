/* The event decision layer (see sb_decision.h). */
#include "sb_decision.h"

#include <math.h>

void sb_decision_init(sb_decision *d, const sb_decision_settings *settings, double *buffer, sb_event_sink sink,
                      void *context) {
    const int32_t c = settings->n_classes, n = settings->smooth_windows;
    d->s = *settings;
    d->history = buffer;
    d->levels = d->history + n * c;
    d->smoothed = d->levels + settings->floor_windows;
    d->cumulative = d->smoothed + c;
    d->sort = d->cumulative + c;
    for (int32_t i = 0; i < c; i++) {
        d->cumulative[i] = 0.0;
    }
    d->t = 0;
    d->active = -1;
    d->first = 0;
    d->active_base = 0.0;
    d->pending_label = -1;
    d->pending_first = d->pending_last = 0;
    d->pending_sum = d->pending_base = 0.0;
    d->sink = sink;
    d->context = context;
}

static int32_t min_i(int32_t a, int32_t b) { return a < b ? a : b; }

/* the quietest of the last floor_windows levels, this one included */
static double background_level(const sb_decision *d) {
    const int32_t n = min_i(d->t + 1, d->s.floor_windows);
    double floor = INFINITY;
    for (int32_t i = 0; i < n; i++) {
        const int32_t slot = (d->t - i) % d->s.floor_windows;
        floor = d->levels[slot] < floor ? d->levels[slot] : floor;
    }
    return floor;
}

static double median(double *values, int32_t n) {
    for (int32_t i = 1; i < n; i++) { /* insertion sort: n is a handful */
        const double v = values[i];
        int32_t j = i - 1;
        while (j >= 0 && values[j] > v) {
            values[j + 1] = values[j];
            j--;
        }
        values[j + 1] = v;
    }
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

static void smooth(sb_decision *d) {
    const int32_t c = d->s.n_classes, size = d->s.smooth_windows, n = min_i(d->t + 1, size);
    for (int32_t k = 0; k < c; k++) {
        double sum = 0.0;
        for (int32_t i = 0; i < n; i++) {
            const double v = d->history[((d->t - i) % size) * c + k];
            d->sort[i] = v;
            sum += v;
        }
        /* the host's nanmean sums oldest first */
        if (!d->s.median) {
            sum = 0.0;
            for (int32_t i = n - 1; i >= 0; i--) {
                sum += d->sort[i];
            }
        }
        d->smoothed[k] = d->s.median ? median(d->sort, n) : sum / n;
    }
}

static void report(sb_decision *d, int32_t label, int32_t first, int32_t last, double sum) {
    if (last - first + 1 < d->s.min_windows) {
        return;
    }
    const sb_event event = {label, first, last, (float)(sum / (last - first + 1))};
    d->sink(&event, d->context);
}

static void report_pending(sb_decision *d) {
    if (d->pending_label >= 0) {
        report(d, d->pending_label, d->pending_first, d->pending_last, d->pending_sum);
        d->pending_label = -1;
    }
}

/* the active run ends at window t - 1: it waits as pending while a run of its class may still join it */
static void close_run(sb_decision *d) {
    d->pending_label = d->active;
    d->pending_first = d->first;
    d->pending_last = d->t - 1;
    d->pending_sum = d->cumulative[d->active] - d->active_base;
    d->pending_base = d->active_base;
    d->active = -1;
}

static void start_run(sb_decision *d, int32_t label) {
    const int32_t gap = d->t - d->pending_last - 1;
    if (d->pending_label == label && gap <= d->s.max_gap_windows) { /* it joins the pending event */
        d->active = label;
        d->first = d->pending_first;
        d->active_base = d->pending_base;
        d->pending_label = -1;
        return;
    }
    report_pending(d);
    d->active = label;
    d->first = d->t;
    d->active_base = d->cumulative[label];
}

void sb_decision_push(sb_decision *d, const float *probabilities, double level_db) {
    const int32_t c = d->s.n_classes;
    d->levels[d->t % d->s.floor_windows] = level_db;
    int quiet = level_db < d->s.silence_db;
    if (d->s.gate_db > 0.0) {
        quiet |= level_db < background_level(d) + d->s.gate_db;
    }
    double *row = &d->history[(d->t % d->s.smooth_windows) * c];
    for (int32_t k = 0; k < c; k++) {
        row[k] = quiet || isnan(probabilities[k]) ? 0.0 : (double)probabilities[k];
    }
    smooth(d);
    const double *s = d->smoothed;
    int32_t top = 0;
    for (int32_t k = 1; k < c; k++) {
        top = s[k] > s[top] ? k : top;
    }
    if (d->active >= 0) {
        const int switches = top != d->active && s[top] >= d->s.thresholds[top];
        if (s[d->active] < d->s.release * d->s.thresholds[d->active] || switches) {
            close_run(d);
        }
    }
    if (d->active < 0 && s[top] >= d->s.thresholds[top] && s[top] > 0.0) {
        start_run(d, top);
    }
    if (d->active < 0 && d->pending_label >= 0 && d->t - d->pending_last > d->s.max_gap_windows) {
        report_pending(d); /* nothing can join it any more */
    }
    for (int32_t k = 0; k < c; k++) {
        d->cumulative[k] += s[k];
    }
    d->t++;
}

void sb_decision_flush(sb_decision *d) {
    if (d->active >= 0) {
        close_run(d);
    }
    report_pending(d);
}
