/* See sb_frontend.h. Per hop: one windowed real FFT (arm_rfft_fast_f32), the power
 * spectrum, the sparse mel filterbank and a log10 per band. Per window: the dB floor,
 * (MFCC) the DCT of each frame, and the standardisation. */
#include "sb_frontend.h"

#include <math.h>
#include <string.h>

#include "arm_math.h"

static arm_rfft_fast_instance_f32 rfft;

void sb_frontend_init(sb_frontend *fe) {
    memset(fe, 0, sizeof(*fe));
    /* the size's own init, not arm_rfft_fast_init_f32: that one references every size's
     * twiddle tables, and the linker would keep them all */
    SB_FE_RFFT_INIT(&rfft);
}

static void compute_frame(const sb_frontend *fe, const int16_t *block, sb_frontend_scratch *work, float *db) {
    arm_q15_to_float((const q15_t *)fe->history, work->fft_in, SB_FE_KEEP);
    arm_q15_to_float((const q15_t *)block, work->fft_in + SB_FE_KEEP, SB_FE_HOP);
    arm_mult_f32(work->fft_in, sb_fe_window, work->fft_in, SB_FE_N_FFT);
    arm_rfft_fast_f32(&rfft, work->fft_in, work->fft_out, 0);
    /* packed output: [re0, re(n/2), re1, im1, ...]: DC and Nyquist are real */
    work->power[0] = work->fft_out[0] * work->fft_out[0];
    work->power[SB_FE_N_FFT / 2] = work->fft_out[1] * work->fft_out[1];
    arm_cmplx_mag_squared_f32(work->fft_out + 2, work->power + 1, SB_FE_N_FFT / 2 - 1);
    for (int m = 0; m < SB_FE_N_MELS; m++) {
        float energy;
        arm_dot_prod_f32(work->power + sb_fe_mel_first[m], sb_fe_mel_weights + sb_fe_mel_offset[m],
                         sb_fe_mel_count[m], &energy);
        db[m] = 10.0f * log10f(energy > 1e-10f ? energy : 1e-10f);
    }
}

/* history := the last SB_FE_KEEP samples of history + block */
static void keep_history(sb_frontend *fe, const int16_t *block) {
    if (SB_FE_KEEP > SB_FE_HOP) {
        memmove(fe->history, fe->history + SB_FE_HOP, (SB_FE_KEEP - SB_FE_HOP) * sizeof(int16_t));
        memcpy(fe->history + SB_FE_KEEP - SB_FE_HOP, block, SB_FE_HOP * sizeof(int16_t));
    } else {
        memcpy(fe->history, block + SB_FE_HOP - SB_FE_KEEP, SB_FE_KEEP * sizeof(int16_t));
    }
}

int sb_frontend_push(sb_frontend *fe, const int16_t *block, sb_frontend_scratch *scratch) {
    fe->filled = fe->filled + SB_FE_HOP < SB_FE_N_FFT ? fe->filled + SB_FE_HOP : SB_FE_N_FFT;
    const int complete = fe->filled == SB_FE_N_FFT;
    if (complete) {
        compute_frame(fe, block, scratch, fe->ring[fe->frames % SB_FE_WINDOW_FRAMES]);
        fe->frames++;
    }
    keep_history(fe, block);
    return complete;
}

int sb_frontend_window_ready(const sb_frontend *fe) {
    return fe->frames >= SB_FE_WINDOW_FRAMES
           && (fe->frames - SB_FE_WINDOW_FRAMES) % SB_FE_WINDOW_HOP_FRAMES == 0;
}

void sb_frontend_window(const sb_frontend *fe, float *out) {
    float peak = -INFINITY;
    for (int f = 0; f < SB_FE_WINDOW_FRAMES; f++) {
        for (int m = 0; m < SB_FE_N_MELS; m++) {
            peak = fe->ring[f][m] > peak ? fe->ring[f][m] : peak;
        }
    }
    const float floor_db = peak - SB_FE_TOP_DB;
    const int oldest = fe->frames % SB_FE_WINDOW_FRAMES;
    for (int t = 0; t < SB_FE_WINDOW_FRAMES; t++) {
        const float *frame = fe->ring[(oldest + t) % SB_FE_WINDOW_FRAMES];
        float floored[SB_FE_N_MELS];
        for (int m = 0; m < SB_FE_N_MELS; m++) {
            floored[m] = frame[m] > floor_db ? frame[m] : floor_db;
        }
#if SB_FE_N_MFCC
        for (int c = 0; c < SB_FE_N_MFCC; c++) {  /* DCT-II (ortho) of the frame's dB bands */
            arm_dot_prod_f32(sb_fe_dct + c * SB_FE_N_MELS, floored, SB_FE_N_MELS, &out[c * SB_FE_WINDOW_FRAMES + t]);
        }
#else
        for (int m = 0; m < SB_FE_N_MELS; m++) {
            out[m * SB_FE_WINDOW_FRAMES + t] = floored[m];
        }
#endif
    }
#if SB_FE_NORMALIZE
    const int n = SB_FE_OUT_BANDS * SB_FE_WINDOW_FRAMES;
    float mean, variance;
    arm_mean_f32(out, n, &mean);
    float sum_sq = 0.0f;
    for (int i = 0; i < n; i++) {
        const float d = out[i] - mean;
        sum_sq += d * d;
    }
    variance = sum_sq / (float)n;
    const float scale = 1.0f / (sqrtf(variance) + 1e-5f);
    for (int i = 0; i < n; i++) {
        out[i] = (out[i] - mean) * scale;
    }
#endif
}
