"""Which layers of an int8 QOperator model run on soundbench's Cortex-M4 kernels
(``embedded/kernels``), with the constants each kernel call needs, prepared at build time.

For every node :func:`plan_kernels` returns a :class:`KernelLayer`: the kernel that runs it
(``sb_conv_s8``, ``sb_depthwise_conv_s8``, ``sb_fully_connected_s8``, ``sb_max_pool_s8``,
``sb_quantize_f32_s8``, ``sb_dequantize_s8_f32``, a ``view`` for reshapes), or ``portable``
with the reason, in which case the firmware keeps emx-onnx-cgen's generated loop for it.
Each kernel layer also states the scratch bytes it needs (im2col columns, a padded plane);
the memory planner places them in the arena next to the activations.

Constants follow ``embedded/kernels/sb_nn.h``: weight rows padded to a multiple of 4 and
stored (k0, k2, k1, k3) per group, biases with the input zero point folded in, and the
per-channel requantization scale computed in float32 exactly as onnxruntime does.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from soundbench.deploy.graph import Graph, attribute, node_label

PORTABLE = "portable"
VIEW = "view"
#: a node whose work a later kernel does (its output tensor is never written; see ``reads``)
FUSED = "fused"
#: ops that only relabel their input's bytes
VIEW_OPS = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"}


class NotOnKernels(Exception):
    """This node stays on the portable generated code; the message says why."""


@dataclass(frozen=True)
class KernelLayer:
    index: int  # position in the graph's node list
    node: str
    op_type: str
    kernel: str  # kernel function, VIEW, or PORTABLE
    reason: str = ""  # why the node stays portable
    scratch_bytes: int = 0  # planned in the arena, alive during this node only
    constants: str = ""  # C definitions (weights, biases, scales, parameters)
    call: str = ""  # C statement; {input}, {output} and {scratch} are arena addresses
    weight_bytes: int = 0  # the weight table in flash
    staged_bytes: int = 0  # of the scratch: the weights copied into SRAM for the call (0: read from flash)
    weight_reads: int = 0  # how often one call reads its whole weight table (sb_conv_s8: once per pixel group)
    #: the tensor the call reads as {input} instead of the node's own input, when it does the
    #: work of that input's producer too (node ``fuses``, then FUSED; its output is never written)
    reads: str = ""
    fuses: int = -1

    @property
    def on_kernels(self) -> bool:
        return self.kernel != PORTABLE


def plan_kernels(graph: Graph, stage_weights_up_to: int = 0) -> list[KernelLayer]:
    """``stage_weights_up_to``: convolutions whose weight table is at most this many bytes
    copy it into SRAM scratch before running (one flash read per weight instead of one per
    pixel pair; the scratch grows by the table), 0: none."""
    layers = []
    for index, node in enumerate(graph.nodes):
        builder = _BUILDERS.get(node.op_type)
        if builder is None:
            layers.append(KernelLayer(index, node_label(node), node.op_type, PORTABLE, f"no kernel for {node.op_type}"))
            continue
        try:
            layer = builder(graph, node, index)
        except NotOnKernels as why:
            layer = KernelLayer(index, node_label(node), node.op_type, PORTABLE, str(why))
        layers.append(staged(layer) if 0 < layer.weight_bytes <= stage_weights_up_to else layer)
    for layer in [layer for layer in layers if layer.fuses >= 0]:
        producer = layers[layer.fuses]
        done_by = f"/* done by {layer.kernel} in the next layer */"
        layers[layer.fuses] = KernelLayer(producer.index, producer.node, producer.op_type, FUSED, call=done_by)
    return layers


def can_stage(layer: KernelLayer) -> bool:
    return layer.kernel == "sb_conv_s8" and layer.weight_bytes > 0 and not layer.staged_bytes


def staged(layer: KernelLayer) -> KernelLayer:
    """``sb_conv_s8`` with its weights copied into SRAM ahead of its own scratch (other layers as they are)."""
    if not can_stage(layer):
        return layer
    name, table = f"sb_layer{layer.index}", _round_up(layer.weight_bytes, 4)
    # the staged table first (word-aligned), the kernel's own scratch after it
    call = _call(layer.kernel, name, scratch=True, weights="(const int8_t *)({scratch})", scratch_at=table)
    return dataclasses.replace(
        layer,
        scratch_bytes=table + layer.scratch_bytes,
        call=f"sb_stage_weights((int8_t *)({{scratch}}), {name}_weights, {layer.weight_bytes}u); {call}",
        staged_bytes=table,
    )


def scratch_by_node(layers: list[KernelLayer]) -> dict[int, int]:
    """Node index → scratch bytes, for the memory planner."""
    return {layer.index: layer.scratch_bytes for layer in layers if layer.scratch_bytes}


def fused_reads(layers: list[KernelLayer]) -> dict[int, str]:
    """Node index → the tensor its kernel reads in place of its input (which is then never
    written), for the memory planner."""
    return {layer.index: layer.reads for layer in layers if layer.reads}


# --- one builder per op ---------------------------------------------------------------


@dataclass(frozen=True)
class _ConvNode:
    """What a QLinearConv node gives both convolution kernels: its int8 weights, geometry,
    requantization scale, bias and zero points."""

    weights: np.ndarray
    kernel: list[int]
    strides: list[int]
    pads: list[int]
    in_c: int
    in_h: int
    in_w: int
    out_c: int
    out_h: int
    out_w: int
    group: int
    scale: np.ndarray
    bias: np.ndarray  # int64, before the input zero point is folded in
    x_zp: int
    y_zp: int

    @classmethod
    def of(cls, graph: Graph, node) -> _ConvNode:
        x, x_scale, x_zero, w, w_scale, w_zero, y_scale, y_zero = node.input[:8]
        _require_int8(graph, node, x, node.output[0])
        weights = _constant(graph, w)
        _require_symmetric(graph, w_zero)
        kernel, strides, pads = _window(node, weights.shape[2:])
        (_, in_c, in_h, in_w) = _as_2d(graph.value(x).shape)
        (_, out_c, out_h, out_w) = _as_2d(graph.value(node.output[0], node).shape)
        has_bias = len(node.input) > 8 and node.input[8]
        return cls(
            weights,
            kernel,
            strides,
            pads,
            in_c,
            in_h,
            in_w,
            out_c,
            out_h,
            out_w,
            attribute(node, "group", 1),
            _requantization_scale(graph, x_scale, w_scale, y_scale, weights.shape[0]),
            _constant(graph, node.input[8]).astype(np.int64) if has_bias else np.zeros(weights.shape[0], np.int64),
            int(_scalar(graph, x_zero)),
            int(_scalar(graph, y_zero)),
        )

    @property
    def geometry(self) -> dict[str, int]:
        return dict(
            kernel_h=self.kernel[0],
            kernel_w=self.kernel[1],
            stride_h=self.strides[0],
            stride_w=self.strides[1],
            pad_top=self.pads[0],
            pad_left=self.pads[1],
        )

    def folded_bias(self) -> np.ndarray:
        """bias - input zero point × Σ weights: the kernels multiply raw inputs."""
        return self.bias - self.x_zp * self.weights.reshape(self.out_c, -1).astype(np.int64).sum(axis=1)

    def padded_extent(self, kernel_w: int) -> tuple[int, int]:
        """Rows and columns of the input with its padding, as the windows read it."""
        return (
            max((self.out_h - 1) * self.strides[0] + self.kernel[0], self.pads[0] + self.in_h),
            max((self.out_w - 1) * self.strides[1] + kernel_w, self.pads[1] + self.in_w),
        )


def _qlinear_conv(graph: Graph, node, index: int) -> KernelLayer:
    conv = _ConvNode.of(graph, node)
    if conv.group == 1:
        return _conv_layer(conv, node, index)
    if conv.group == conv.in_c == conv.out_c and conv.weights.shape[1] == 1:
        return _depthwise_layer(conv, node, index)
    raise NotOnKernels(f"grouped convolution (group={conv.group}, {conv.in_c} input channels)")


def _conv_layer(conv: _ConvNode, node, index: int) -> KernelLayer:
    """``sb_conv_s8`` (conv_s8.c): im2col of two pixels into int16 columns, two channels at a time."""
    name = f"sb_layer{index}"
    rows = conv.weights.reshape(conv.out_c, -1).astype(np.int64)
    # conv_s8.c's four_pixels_at_a_time: channels in pairs and ≥ 4 pixels take the 2 × 4 loop,
    # whose rows are whole 4-tap steps (a 25-tap row padded to 28 runs faster there than 26 in 2 × 2)
    four_pixels = conv.out_c % 2 == 0 and conv.out_h * conv.out_w >= 4
    length = _round_up(rows.shape[1], 4) if four_pixels else _column_length(rows.shape[1])
    padded_h, padded_w = conv.padded_extent(conv.kernel[1])
    padded_bytes = 0 if (padded_h, padded_w) == (conv.in_h, conv.in_w) else conv.in_c * padded_h * padded_w
    order, quads = _tap_order(conv.in_c, conv.kernel)
    offsets = _tap_offsets(order, conv.in_c, conv.kernel, padded_h, padded_w, _round_up(length, 4))
    params = dict(
        in_c=conv.in_c,
        in_h=conv.in_h,
        in_w=conv.in_w,
        out_c=conv.out_c,
        out_h=conv.out_h,
        out_w=conv.out_w,
        **conv.geometry,
        column_length=length,
        padded_h=padded_h,
        padded_w=padded_w,
        input_zero_point=conv.x_zp,
        output_zero_point=conv.y_zp,
        quads=quads,
        offsets=f"{name}_offsets",
    )
    weights = _conv_weights(rows[:, order], length)
    constants = f"static const uint16_t {name}_offsets[{offsets.size}] = {_array(offsets)};\n" + _constants(
        name, "sb_conv_params", params, weights, conv.folded_bias(), conv.scale
    )
    columns_bytes = (4 if four_pixels else 2) * 2 * offsets.size  # int16 taps of four pixels, or two
    return KernelLayer(
        index,
        node_label(node),
        node.op_type,
        "sb_conv_s8",
        scratch_bytes=columns_bytes + padded_bytes,
        constants=constants,
        call=_call("sb_conv_s8", name, scratch=True),
        weight_bytes=weights.size,
        weight_reads=_pixel_groups(conv.out_h * conv.out_w, four_pixels),
    )


def _depthwise_layer(conv: _ConvNode, node, index: int) -> KernelLayer:
    """``sb_depthwise_conv_s8`` (depthwise_conv_s8.c): one padded plane per channel."""
    name = f"sb_layer{index}"
    kernel, strides, out_c = conv.kernel, conv.strides, conv.out_c
    kernel_w_even = _round_up(kernel[1], 2)
    byte_plane = strides[1] == 2 and kernel[1] == 5  # int8 plane, even/odd split (depthwise_conv_s8.c)
    shifted = strides[1] == 1 and kernel[1] == 3  # rows also stored shifted by a tap: 4 outputs per pass
    plane_h, plane_w = conv.padded_extent(kernel_w_even)
    if byte_plane:  # groups of 4 outputs read 12 bytes from byte 8g; rows stay word-aligned
        plane_w = _round_up(max((conv.out_w - 1) * 2 + 5, conv.pads[1] + conv.in_w, conv.out_w // 4 * 8 + 4), 4)
    else:
        plane_w = _round_up(plane_w, 2)
    params = dict(
        channels=conv.in_c,
        in_h=conv.in_h,
        in_w=conv.in_w,
        out_h=conv.out_h,
        out_w=conv.out_w,
        **conv.geometry,
        plane_w=plane_w,
        plane_h=plane_h,
        kernel_w_even=kernel_w_even,
        byte_plane=byte_plane,
        shifted=shifted,
        input_zero_point=conv.x_zp,
        output_zero_point=conv.y_zp,
    )
    widened = np.zeros((out_c, kernel[0], kernel_w_even), np.int16)  # rows padded with a zero tap
    widened[:, :, : kernel[1]] = conv.weights.reshape(out_c, kernel[0], kernel[1])
    if shifted:  # per row (f0, f1, f2, 0) then (0, f0, f1, f2): the odd outputs' taps on the same words
        widened = np.concatenate([widened, np.roll(widened, 1, axis=2)], axis=2)
    if byte_plane:  # per row (f0, f2, f1, f3, f4, 0) and the row step in bytes as an int32
        step = np.array([plane_w], "<i4").view("<i2")
        widened = np.concatenate(
            [widened[:, :, [0, 2, 1, 3, 4, 5]], np.broadcast_to(step, (out_c, kernel[0], 2))], axis=2
        )
    params["filter_row"] = widened.shape[2]  # int16 per stored filter row, whichever layout above
    constants = _constants(name, "sb_depthwise_params", params, widened, conv.folded_bias(), conv.scale)
    plane_bytes = plane_h * plane_w * (1 if byte_plane else 2)
    return KernelLayer(
        index,
        node_label(node),
        node.op_type,
        "sb_depthwise_conv_s8",
        scratch_bytes=_round_up(plane_bytes, 4),
        constants=constants,
        call=_call("sb_depthwise_conv_s8", name, scratch=True),
    )


def _qgemm(graph: Graph, node, index: int) -> KernelLayer:
    if len(node.input) < 9 or not node.input[7]:
        raise NotOnKernels("QGemm with a float output")
    a, a_scale, a_zero, b, b_scale, b_zero, c, y_scale, y_zero = node.input[:9]
    _require_int8(graph, node, a, node.output[0])
    if attribute(node, "transA", 0) or not attribute(node, "transB", 0) or attribute(node, "alpha", 1.0) != 1.0:
        raise NotOnKernels("QGemm other than y = a·Bᵀ + c")
    if graph.value(a).shape[0] != 1:
        raise NotOnKernels("QGemm with more than one input row")
    weights = _constant(graph, b).astype(np.int64)
    _require_symmetric(graph, b_zero)
    out_features, in_features = weights.shape
    bias = _constant(graph, c).astype(np.int64) if c else np.zeros(out_features, np.int64)
    a_zp, y_zp = int(_scalar(graph, a_zero)), int(_scalar(graph, y_zero))
    length = _round_up(in_features, 4)
    params = dict(
        in_features=in_features,
        out_features=out_features,
        row_length=length,
        input_zero_point=a_zp,
        output_zero_point=y_zp,
    )
    scale = _requantization_scale(graph, a_scale, b_scale, y_scale, out_features)
    name = f"sb_layer{index}"
    constants = _constants(
        name,
        "sb_fully_connected_params",
        params,
        _reordered_rows(weights, length),
        bias - a_zp * weights.sum(axis=1),
        scale,
    )
    return KernelLayer(
        index,
        node_label(node),
        node.op_type,
        "sb_fully_connected_s8",
        scratch_bytes=2 * length,
        constants=constants,
        call=_call("sb_fully_connected_s8", name, scratch=True),
    )


def _max_pool(graph: Graph, node, index: int) -> KernelLayer:
    x = node.input[0]
    _require_int8(graph, node, x, node.output[0])
    if attribute(node, "storage_order", 0):
        raise NotOnKernels("column-major max pooling")
    kernel, strides, pads = _window(node, [])
    (_, channels, in_h, in_w), (_, _, out_h, out_w) = (
        _as_2d(graph.value(x).shape),
        _as_2d(graph.value(node.output[0], node).shape),
    )
    params = dict(
        channels=channels,
        in_h=in_h,
        in_w=in_w,
        out_h=out_h,
        out_w=out_w,
        kernel_h=kernel[0],
        kernel_w=kernel[1],
        stride_h=strides[0],
        stride_w=strides[1],
        pad_top=pads[0],
        pad_left=pads[1],
    )
    name = f"sb_layer{index}"
    constants = f"static const sb_pool_params {name}_params = {_struct(params)};\n"
    return KernelLayer(
        index,
        node_label(node),
        node.op_type,
        "sb_max_pool_s8",
        scratch_bytes=_round_up(in_w, 4),  # one row of column maxima (pooling_s8.c)
        constants=constants,
        call=(
            f"sb_max_pool_s8(&{name}_params, (const int8_t *)({{input}}), (int8_t *)({{output}}), "
            "(int8_t *)({scratch}));"
        ),
    )


def _boundary(kernel: str, source: type, sink: type):
    """QuantizeLinear (float32 → int8) or DequantizeLinear (int8 → float32), per tensor."""
    c_type = {np.float32: "float", np.int8: "int8_t"}

    def build(graph: Graph, node, index: int) -> KernelLayer:
        x, scale, zero = node.input[:3]
        if graph.value(x).dtype != source or graph.value(node.output[0], node).dtype != sink:
            raise NotOnKernels(f"{node.op_type} other than {np.dtype(source)} → {np.dtype(sink)}")
        n = int(np.prod(graph.value(x).shape))
        s, z = _scalar(graph, scale), int(_scalar(graph, zero))
        return KernelLayer(
            index,
            node_label(node),
            node.op_type,
            kernel,
            call=f"{kernel}((const {c_type[source]} *)({{input}}), {n}u, {_float(s)}, {z}, "
            f"({c_type[sink]} *)({{output}}));",
        )

    return build


def _mean_of_dequantized(graph: Graph, node, index: int) -> KernelLayer:
    """``sb_mean_s8_f32`` (mean_s8.c): ReduceMean over the last two axes of a tensor that a
    DequantizeLinear made float from int8 and nothing else reads. The kernel reads the int8
    tensor; the DequantizeLinear becomes FUSED and its float output is never written."""
    x = node.input[0]
    found = graph.producer(x)
    if found is None or found[1].op_type != "DequantizeLinear":
        raise NotOnKernels("ReduceMean of a tensor that no DequantizeLinear made")
    producer_index, producer = found
    if graph.consumers(x) != [index] or x in graph.outputs:
        raise NotOnKernels("the dequantized tensor is read elsewhere too")
    shape = graph.value(x).shape
    axes = _reduce_axes(graph, node, len(shape))
    if len(shape) != 4 or axes != [2, 3]:
        raise NotOnKernels(f"ReduceMean over axes {axes} of a {len(shape)}-D tensor (the kernel: the last two of 4)")
    source = producer.input[0]
    if graph.value(source).dtype != np.int8 or graph.value(node.output[0], node).dtype != np.float32:
        raise NotOnKernels("ReduceMean other than of dequantized int8 to float32")
    scale = _scalar(graph, producer.input[1])
    zero_point = int(_scalar(graph, producer.input[2])) if len(producer.input) > 2 and producer.input[2] else 0
    channels, plane = shape[0] * shape[1], shape[2] * shape[3]
    return KernelLayer(
        index,
        node_label(node),
        node.op_type,
        "sb_mean_s8_f32",
        call=f"sb_mean_s8_f32((const int8_t *)({{input}}), {channels}u, {plane}u, {_float(scale)}, {zero_point}, "
        "(float *)({output}));",
        reads=source,
        fuses=producer_index,
    )


def _reduce_axes(graph: Graph, node, rank: int) -> list[int]:
    """A Reduce node's axes, non-negative and sorted (from its input since opset 18, else its attribute)."""
    if len(node.input) > 1 and node.input[1]:
        axes = [int(a) for a in _constant(graph, node.input[1]).reshape(-1)]
    else:
        axes = list(attribute(node, "axes", []) or [])
    return sorted(a % rank for a in axes) if axes else list(range(rank))


def _view(graph: Graph, node, index: int) -> KernelLayer:
    nbytes = graph.value(node.output[0], node).nbytes
    # a no-op when the memory plan put the output on its input (in place), else one copy
    return KernelLayer(index, node_label(node), node.op_type, VIEW, call=f"sb_view({{input}}, {{output}}, {nbytes}u);")


_BUILDERS = {
    "QLinearConv": _qlinear_conv,
    "QGemm": _qgemm,
    "MaxPool": _max_pool,
    "QuantizeLinear": _boundary("sb_quantize_f32_s8", np.float32, np.int8),
    "DequantizeLinear": _boundary("sb_dequantize_s8_f32", np.int8, np.float32),
    "ReduceMean": _mean_of_dequantized,
    **{op: _view for op in VIEW_OPS},
}


# --- helpers --------------------------------------------------------------------------


def _require_int8(graph: Graph, node, *names: str) -> None:
    for name in names:
        if graph.value(name, node).dtype != np.int8:
            raise NotOnKernels(f"{graph.value(name, node).dtype} tensor {name!r} (the kernels take int8)")


def _window(node, default_kernel) -> tuple[list[int], list[int], list[int]]:
    """kernel, strides and pads (top, left, bottom, right) of a convolution or pooling node;
    a 1-D one becomes 2-D of height 1."""
    if attribute(node, "auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise NotOnKernels("auto_pad is not NOTSET")
    if any(d != 1 for d in attribute(node, "dilations", [1])):
        raise NotOnKernels("dilated window")
    kernel = list(attribute(node, "kernel_shape", default_kernel))
    strides = list(attribute(node, "strides", [1] * len(kernel)))
    pads = list(attribute(node, "pads", [0] * 2 * len(kernel)))
    if len(kernel) == 1:
        return [1, *kernel], [1, *strides], [0, pads[0], 0, pads[1]]
    return kernel, strides, pads


def _require_symmetric(graph: Graph, weight_zero_point: str) -> None:
    if np.any(_constant(graph, weight_zero_point) != 0):
        raise NotOnKernels("weights with a non-zero zero point")


def _constant(graph: Graph, name: str) -> np.ndarray:
    if name not in graph.initializers:
        raise NotOnKernels(f"input {name!r} is computed at run time (the kernels need it constant)")
    return graph.initializers[name]


def _scalar(graph: Graph, name: str):
    value = _constant(graph, name)
    if value.size != 1:
        raise NotOnKernels(f"per-axis {name!r} (the kernels take one scale and zero point per tensor)")
    return value.reshape(()).item()


def _requantization_scale(graph, x_scale, w_scale, y_scale, channels: int) -> np.ndarray:
    """float32 (x_scale × w_scale[c]) / y_scale, the order onnxruntime computes it in."""
    xs = np.float32(_scalar(graph, x_scale))
    ys = np.float32(_scalar(graph, y_scale))
    ws = np.broadcast_to(_constant(graph, w_scale).astype(np.float32).reshape(-1), (channels,))
    return ((xs * ws).astype(np.float32) / ys).astype(np.float32)


def _as_2d(shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    if len(shape) == 3:  # (N, C, L) → (N, C, 1, L)
        return shape[0], shape[1], 1, shape[2]
    if len(shape) != 4:
        raise NotOnKernels(f"{len(shape)}-D tensor (the kernels take 1-D or 2-D feature maps)")
    return shape


def _round_up(n: int, multiple: int) -> int:
    return -(-n // multiple) * multiple


def _reordered_rows(rows: np.ndarray, length: int) -> np.ndarray:
    """Rows padded with zeros to ``length`` and each group of four stored (k0, k2, k1, k3):
    SXTB16 of the loaded word then gives the pair (k0, k1), SXTB16 with ROR #8 (k2, k3)."""
    padded = np.zeros((rows.shape[0], length), np.int8)
    padded[:, : rows.shape[1]] = rows
    return padded.reshape(rows.shape[0], -1, 4)[:, :, [0, 2, 1, 3]].reshape(rows.shape[0], length)


def _pixel_groups(pixels: int, four_at_a_time: bool) -> int:
    """How many times sb_conv_s8 runs its channel loop (and reads the weight table): once per
    group of four pixels and per pair (or single pixel) left, or once per pair."""
    if four_at_a_time:
        return pixels // 4 + -(-(pixels % 4) // 2)
    return -(-pixels // 2)


def _column_length(taps: int) -> int:
    """Taps per im2col column: rounded up to 4 (whole SMLAD steps), or to 2 when that is
    2 mod 4, which the kernel finishes with one 2-tap step (25 taps → 26, not 28)."""
    return _round_up(taps, 4) if taps % 4 in (0, 3) else _round_up(taps, 2)


def _conv_weights(rows: np.ndarray, length: int) -> np.ndarray:
    """sb_conv_s8's weights: the rows of channels 2i and 2i+1 interleaved tap by tap, so
    each word holds (c0 k, c1 k, c0 k+1, c1 k+1): SXTB16 gives channel 0's pair (k, k+1),
    SXTB16 ROR 8 channel 1's, one load for both channels (a 2-tap tail is one such word).
    An odd last row follows alone, each group of four stored (k0, k2, k1, k3) (see
    _reordered_rows) and its 2-tap tail as (k, 0, k+1, 0)."""
    full = length // 4 * 4
    padded = np.zeros((rows.shape[0], length), np.int8)
    padded[:, : rows.shape[1]] = rows
    even = rows.shape[0] // 2 * 2
    parts = [np.stack([padded[c], padded[c + 1]], axis=1).reshape(-1) for c in range(0, even, 2)]
    if even < rows.shape[0]:
        parts.append(_reordered_rows(padded[even : even + 1, :full], full).reshape(-1))
        tail = padded[even, full:]
        parts.append(np.stack([tail, np.zeros_like(tail)], axis=1).reshape(-1))
    return np.concatenate(parts).astype(np.int8)


def _tap_order(in_c: int, kernel: list[int]) -> tuple[np.ndarray, int]:
    """The order of the taps in an im2col column (indices into the channel-major flattening
    of the weights) and how many quads lead it. Every row of a receptive field gives one
    quad per 4 neighbouring taps, ordered (x, x+2, x+1, x+3): sb_conv_s8 loads such a quad
    as one word and SXTB16 splits it into those pairs, no byte gathering. The taps left over
    (a 5-wide row's fifth, all of a 1×1 or 3-wide kernel) follow in their natural order."""
    kernel_h, kernel_w = kernel
    natural = np.arange(in_c * kernel_h * kernel_w).reshape(in_c * kernel_h, kernel_w)
    quad_columns = kernel_w // 4 * 4
    quads = natural[:, :quad_columns].reshape(-1, 4)[:, [0, 2, 1, 3]].reshape(-1)
    order = np.concatenate([quads, natural[:, quad_columns:].reshape(-1)])
    return order, quads.size // 4


def _tap_offsets(
    order: np.ndarray, in_c: int, kernel: list[int], padded_h: int, padded_w: int, length: int
) -> np.ndarray:
    """Position of each tap (in ``order``) relative to the first tap of a receptive field
    in the padded input; the tail up to ``length`` reads offset 0."""
    c, y, x = np.meshgrid(np.arange(in_c), np.arange(kernel[0]), np.arange(kernel[1]), indexing="ij")
    offsets = np.zeros(length, np.int64)
    offsets[: order.size] = (c * padded_h * padded_w + y * padded_w + x).reshape(-1)[order]
    if offsets.max() >= 2**16:
        raise NotOnKernels(f"input of {in_c}×{padded_h}×{padded_w} is too large for 16-bit tap offsets")
    return offsets


_C_TYPES = {np.dtype(np.int8): "int8_t", np.dtype(np.int16): "int16_t"}


def _constants(
    name: str, params_type: str, params: dict, weights: np.ndarray, bias: np.ndarray, scale: np.ndarray
) -> str:
    if np.abs(bias).max(initial=0) >= 2**31:
        raise NotOnKernels("the folded bias does not fit int32")
    return "\n".join(
        [
            f"static const {params_type} {name}_params = {_struct(params)};",
            f"static const {_C_TYPES[weights.dtype]} {name}_weights[{weights.size}] __attribute__((aligned(8))) = "
            f"{_array(weights)};",
            f"static const int32_t {name}_bias[{bias.size}] = {_array(bias)};",
            f"static const float {name}_scale[{scale.size}] = {{{', '.join(_float(v) for v in scale)}}};",
            "",
        ]
    )


def _call(kernel: str, name: str, scratch: bool, weights: str = "", scratch_at: int = 0) -> str:
    """The kernel call; ``weights``: where the weights are read (default: the table in
    flash), ``scratch_at``: where the kernel's scratch starts in the planned scratch."""
    at = f"(int8_t *)({{scratch}}) + {scratch_at}" if scratch_at else "{scratch}"
    tail = f", (int16_t *)({at})" if scratch else ""
    return (
        f"{kernel}(&{name}_params, (const int8_t *)({{input}}), {weights or name + '_weights'}, {name}_bias, "
        f"{name}_scale, (int8_t *)({{output}}){tail});"
    )


def _struct(fields: dict) -> str:
    """Designated initializer; numbers as integers, strings (addresses) as they are."""
    return (
        "{"
        + ", ".join(f".{key} = {value if isinstance(value, str) else int(value)}" for key, value in fields.items())
        + "}"
    )


def _array(values: np.ndarray) -> str:
    flat = [str(int(v)) for v in np.asarray(values).reshape(-1)]
    return "{" + ",".join(flat) + "}" if flat else "{0}"


def _float(value) -> str:
    """A C float literal that is exactly this float32 (hexadecimal, so no decimal rounding)."""
    return f"{float(np.float32(value)).hex()}f"
