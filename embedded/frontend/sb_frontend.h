/* Streaming audio front end on CMSIS-DSP: int16 PCM in hop-sized blocks -> mel frames in a
 * ring buffer of the last SB_FE_WINDOW_FRAMES frames -> on request, the analysis window as
 * the model's float input (log-mel or MFCC, floored top_db under the window's peak and
 * standardised per window), exactly as soundbench's Python front end with framing=stream.
 *
 * The geometry and tables come from the generated sb_frontend_config.h /
 * sb_frontend_tables.c (soundbench.deploy.frontend_c), made from the trained run's
 * features config. */
#ifndef SB_FRONTEND_H
#define SB_FRONTEND_H

#include <stdint.h>

#include "sb_frontend_config.h"

typedef struct {
    float samples[SB_FE_N_FFT];        /* the last n_fft samples: the next frame's input */
    int32_t filled;                    /* samples received so far, capped at n_fft */
    float fft_in[SB_FE_N_FFT];         /* windowed frame (arm_rfft_fast_f32 works in place on it) */
    float fft_out[SB_FE_N_FFT];        /* packed spectrum */
    float power[SB_FE_N_FFT / 2 + 1];
    float ring[SB_FE_WINDOW_FRAMES][SB_FE_N_MELS];  /* dB per mel band of the last frames */
    int32_t frames;                    /* frames computed so far */
} sb_frontend;

void sb_frontend_init(sb_frontend *fe);

/* Feed one block of SB_FE_HOP samples; returns 1 when it completed a frame. */
int sb_frontend_push(sb_frontend *fe, const int16_t *block);

/* 1 when the frames since the last window make a new analysis window (every
 * SB_FE_WINDOW_HOP_FRAMES frames once the ring is full). */
int sb_frontend_window_ready(const sb_frontend *fe);

/* The current window, SB_FE_OUT_BANDS x SB_FE_WINDOW_FRAMES floats, band-major (the
 * model's (1, bands, frames) input). */
void sb_frontend_window(const sb_frontend *fe, float *out);

#endif
