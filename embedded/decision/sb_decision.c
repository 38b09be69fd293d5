/* The event decision layer (see sb_decision.h). */
#include "sb_decision.h"

#include <math.h>

void sb_decision_init(sb_decision *d, const sb_decision_settings *settings, float *buffer, sb_event_sink sink,
                      void *context) {
    d->s = *settings;
    d->history = buffer;
    d->sort = d->history + settings->smooth_windows * settings->n_classes;
    d->levels = (int16_t *)(d->sort + settings->smooth_windows);
    d->t = 0;
    d->active = -1;
    d->first = 0;
    d->active_sum = 0.0;
    d->pending_label = -1;
    d->pending_first = d->pending_last = 0;
    d->pending_sum = d->gap_sum = 0.0;
    d->sink = sink;
    d->context = context;
}

static int32_t min_i(int32_t a, int32_t b) { return a < b ? a : b; }

/* the quietest of the last floor_windows levels (0.01 dB), this one included */
static int16_t background_level(const sb_decision *d) {
    const int32_t n = min_i(d->t + 1, d->s.floor_windows);
    int16_t floor = INT16_MAX;
    for (int32_t i = 0; i < n; i++) {
        const int16_t level = d->levels[(d->t - i) % d->s.floor_windows];
        floor = level < floor ? level : floor;
    }
    return floor;
}

/* a level in 0.01 dB, as the host rounds it (float32 multiply, round half to even) */
static int16_t centi_db(float level) {
    const float scaled = rintf(level * 100.0f);
    return (int16_t)(scaled > 32767.0f ? 32767.0f : scaled < -32768.0f ? -32768.0f : scaled);
}

/* class k's posterior smoothed over the last smooth_windows windows (fewer at the start):
 * the float arithmetic of the host's nanmean (oldest first) and nanmedian */
static float smoothed(sb_decision *d, int32_t k) {
    const int32_t c = d->s.n_classes, size = d->s.smooth_windows, n = min_i(d->t + 1, size);
    for (int32_t i = 0; i < n; i++) { /* oldest first */
        d->sort[i] = d->history[((d->t - n + 1 + i) % size) * c + k];
    }
    if (!d->s.median) {
        float sum = 0.0f;
        for (int32_t i = 0; i < n; i++) {
            sum += d->sort[i];
        }
        return (float)((double)sum / n);
    }
    for (int32_t i = 1; i < n; i++) { /* insertion sort: n is a handful */
        const float v = d->sort[i];
        int32_t j = i - 1;
        while (j >= 0 && d->sort[j] > v) {
            d->sort[j + 1] = d->sort[j];
            j--;
        }
        d->sort[j + 1] = v;
    }
    return n % 2 ? d->sort[n / 2] : (d->sort[n / 2 - 1] + d->sort[n / 2]) / 2.0f;
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
    d->pending_sum = d->active_sum;
    d->gap_sum = 0.0;
    d->active = -1;
}

static void start_run(sb_decision *d, int32_t label) {
    if (d->pending_label == label && d->t - d->pending_last - 1 <= d->s.max_gap_windows) {
        d->active = label; /* it joins the pending event, the gap's windows included */
        d->first = d->pending_first;
        d->active_sum = d->pending_sum + d->gap_sum;
        d->pending_label = -1;
        return;
    }
    report_pending(d);
    d->active = label;
    d->first = d->t;
    d->active_sum = 0.0;
}

void sb_decision_push(sb_decision *d, const float *probabilities, double level_db) {
    const int32_t c = d->s.n_classes;
    const float level = (float)level_db;
    const int16_t level_q = centi_db(level);
    d->levels[d->t % d->s.floor_windows] = level_q;
    int quiet = level < d->s.silence_db;
    if (d->s.gate_db > 0.0) {
        quiet |= level_q / 100.0 < background_level(d) / 100.0 + d->s.gate_db;
    }
    float *row = &d->history[(d->t % d->s.smooth_windows) * c];
    for (int32_t k = 0; k < c; k++) {
        row[k] = quiet || isnan(probabilities[k]) ? 0.0f : probabilities[k];
    }
    int32_t top = 0;
    float s_top = -1.0f, s_active = 0.0f, s_pending = 0.0f;
    for (int32_t k = 0; k < c; k++) {
        const float s = smoothed(d, k);
        if (s > s_top) {
            top = k;
            s_top = s;
        }
        s_active = k == d->active ? s : s_active;
        s_pending = k == d->pending_label ? s : s_pending;
    }
    if (d->active >= 0) {
        const int switches = top != d->active && s_top >= d->s.thresholds[top];
        if (s_active < d->s.release * d->s.thresholds[d->active] || switches) {
            close_run(d);
            s_pending = s_active; /* the class that just closed is the pending one */
        }
    }
    if (d->active < 0 && s_top >= d->s.thresholds[top] && s_top > 0.0f) {
        start_run(d, top);
        s_active = s_top;
    }
    if (d->active < 0 && d->pending_label >= 0 && d->t - d->pending_last > d->s.max_gap_windows) {
        report_pending(d); /* nothing can join it any more */
    }
    if (d->active >= 0) {
        d->active_sum += s_active;
    } else if (d->pending_label >= 0) {
        d->gap_sum += s_pending;
    }
    d->t++;
}

void sb_decision_flush(sb_decision *d) {
    if (d->active >= 0) {
        close_run(d);
    }
    report_pending(d);
}
