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

/* Samples of earlier hops a frame still needs (the newest hop is the block being pushed). */
#define SB_FE_KEEP (SB_FE_N_FFT - SB_FE_HOP)

/* What persists between hops: the samples the next frame shares with earlier hops, kept as
 * the int16 they arrived as, and the mel ring buffer. */
typedef struct {
    int16_t history[SB_FE_KEEP];       /* the last n_fft - hop samples */
    int32_t filled;                    /* samples received so far, capped at n_fft */
    float ring[SB_FE_WINDOW_FRAMES][SB_FE_N_MELS];  /* dB per mel band of the last frames */
    int32_t frames;                    /* frames computed so far */
} sb_frontend;

/* Work buffers of one hop, dead between hops: the application may lay them over memory
 * that is idle while the front end runs (the model's activation arena does). */
typedef struct {
    float fft_in[SB_FE_N_FFT];         /* windowed frame (arm_rfft_fast_f32 works in place on it) */
    float fft_out[SB_FE_N_FFT];        /* packed spectrum */
    float power[SB_FE_N_FFT / 2 + 1];
} sb_frontend_scratch;

void sb_frontend_init(sb_frontend *fe);

/* Feed one block of SB_FE_HOP samples (the half of the microphone's DMA double buffer that
 * just filled); returns 1 when it completed a frame. */
int sb_frontend_push(sb_frontend *fe, const int16_t *block, sb_frontend_scratch *scratch);

/* 1 when the frames since the last window make a new analysis window (every
 * SB_FE_WINDOW_HOP_FRAMES frames once the ring is full). */
int sb_frontend_window_ready(const sb_frontend *fe);

/* The current window, SB_FE_OUT_BANDS x SB_FE_WINDOW_FRAMES floats, band-major (the
 * model's (1, bands, frames) input). */
void sb_frontend_window(const sb_frontend *fe, float *out);

#endif
