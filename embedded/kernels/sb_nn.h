/* soundbench int8 kernels for Cortex-M4/M7 (DSP extension), tensors in NCHW as ONNX lays
 * them out. Technique after CMSIS-NN: convolutions gather the receptive field of two output
 * pixels into int16 columns (im2col) and multiply them with two output channels' int8
 * weights at a time, sign-extending four weights per load with SXTB16 and doing two
 * multiply-accumulates per cycle with SMLAD. Results equal onnxruntime's QOperator kernels
 * bit for bit (see sb_requantize.h).
 *
 * The code generator (soundbench.deploy.kernels) prepares the constants at build time:
 *  - weights: one row per output channel, padded with zeros to the column length, and each
 *    group of 4 stored as (k0, k2, k1, k3) so SXTB16 yields (k0, k1) and ROR-8 (k2, k3);
 *    sb_conv_s8 interleaves channel pairs tap by tap instead (see conv_s8.c); depthwise filters are stored
 *    as int16 rows rounded up to an even width;
 *  - bias: bias - input_zero_point × Σ weights, so the kernels multiply raw inputs (padding
 *    holds the input zero point, i.e. real 0, as in onnxruntime);
 *  - scale: per output channel, input_scale × weight_scale / output_scale in float32. */
#ifndef SB_NN_H
#define SB_NN_H

#include <stdint.h>

typedef struct {
    uint16_t in_c, in_h, in_w;
    uint16_t out_c, out_h, out_w;
    uint8_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left;
    uint16_t column_length;         /* in_c × kernel_h × kernel_w rounded up to 4, or to 2 if that is 2 mod 4 */
    uint16_t padded_h, padded_w;    /* the input with its padding (= in_h, in_w without) */
    int8_t input_zero_point, output_zero_point;
    uint16_t quads;                 /* leading groups of 4 taps that are neighbours in memory */
    const uint16_t *offsets;        /* tap offsets into the padded input, column_length rounded up to 4 */
} sb_conv_params;

typedef struct {
    uint16_t channels, in_h, in_w, out_h, out_w;
    uint8_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left;
    uint16_t plane_w;               /* padded row length in values (even, with one spare tap) */
    uint16_t plane_h;
    uint8_t kernel_w_even;          /* kernel_w rounded up to 2 */
    uint8_t byte_plane;             /* stride 2, 5 wide: int8 plane (plane_w a multiple of 4 bytes) */
    uint8_t shifted;                /* stride 1, 3 wide: each filter row also stored shifted by one tap */
    uint8_t filter_row;             /* int16 values per stored filter row */
    int8_t input_zero_point, output_zero_point;
} sb_depthwise_params;

typedef struct {
    uint16_t in_features, out_features;
    uint16_t row_length;            /* in_features rounded up to 4 */
    int8_t input_zero_point, output_zero_point;
} sb_fully_connected_params;

typedef struct {
    uint16_t channels, in_h, in_w, out_h, out_w;
    uint8_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left;
} sb_pool_params;

/* Scratch bytes each kernel needs for its parameters (as CMSIS-NN's *_get_buffer_size):
 * sb_conv_s8 two int16 columns + the padded input, depthwise the padded plane, fully
 * connected the widened input row. The code generator plans the same sizes in the arena;
 * the generated sb_model_report_scratch lets a host build check that both agree. */
uint32_t sb_conv_s8_scratch_bytes(const sb_conv_params *p);
uint32_t sb_depthwise_conv_s8_scratch_bytes(const sb_depthwise_params *p);
uint32_t sb_fully_connected_s8_scratch_bytes(const sb_fully_connected_params *p);
void sb_conv_s8(const sb_conv_params *p, const int8_t *input, const int8_t *weights, const int32_t *bias,
                const float *scale, int8_t *output, int16_t *scratch);
void sb_depthwise_conv_s8(const sb_depthwise_params *p, const int8_t *input, const int16_t *weights,
                          const int32_t *bias, const float *scale, int8_t *output, int16_t *scratch);
void sb_fully_connected_s8(const sb_fully_connected_params *p, const int8_t *input, const int8_t *weights,
                           const int32_t *bias, const float *scale, int8_t *output, int16_t *scratch);
uint32_t sb_max_pool_s8_scratch_bytes(const sb_pool_params *p);
void sb_max_pool_s8(const sb_pool_params *p, const int8_t *input, int8_t *output, int8_t *scratch);
/* copy a layer's weight table (4-byte aligned both sides) from flash into SRAM scratch */
void sb_stage_weights(int8_t *sram, const int8_t *flash, uint32_t bytes);
void sb_quantize_f32_s8(const float *input, uint32_t n, float scale, int8_t zero_point, int8_t *output);
void sb_dequantize_s8_f32(const int8_t *input, uint32_t n, float scale, int8_t zero_point, float *output);
/* DequantizeLinear then ReduceMean over each channel's plane, without the float tensor (mean_s8.c) */
void sb_mean_s8_f32(const int8_t *input, uint32_t channels, uint32_t plane, float scale, int8_t zero_point,
                    float *output);

#endif
