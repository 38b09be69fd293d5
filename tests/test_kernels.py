"""The Cortex-M4 int8 kernels (embedded/kernels) against onnxruntime, bit for bit: one
small float model per shape, quantized to QOperator int8 by onnxruntime, compiled into the
firmware with the kernels and run in QEMU on random inputs. Shapes cover strides 1/2,
padding, channel counts that are not a multiple of 4, odd widths and kernels 1/3/5."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from soundbench.artifacts.onnx_export import onnx_logits
from soundbench.deploy import codegen, emulator, kernels
from soundbench.deploy.fit import ModelFootprint
from soundbench.deploy.graph import Graph
from soundbench.deploy.kernels import PORTABLE, fused_reads, plan_kernels, scratch_by_node
from soundbench.deploy.quantize import quantize_int8
from soundbench.deploy.targets import load_target
from tests.conftest import ROOT

needs_toolchain = pytest.mark.skipif(
    bool(codegen.toolchain_missing() or emulator.emulator_missing()),
    reason="Arm toolchain / QEMU not installed (make toolchain installs gcc-arm-none-eabi, "
    "libnewlib-arm-none-eabi, qemu-system-arm)",
)


def _model(path, shape, nodes, inits, out_shape):
    graph = helper.make_graph(
        nodes,
        "k",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, *shape])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, *out_shape])],
        inits,
    )
    onnx.save(helper.make_model(graph, ir_version=9, opset_imports=[helper.make_opsetid("", 18)]), path)
    return path


def _tensor(name, array):
    return helper.make_tensor(name, TensorProto.FLOAT, array.shape, array.reshape(-1).tolist())


def conv_model(path, rng, in_c, h, w, out_c, k, stride, pad, group=1, relu=True):
    weight = rng.standard_normal((out_c, in_c // group, k, k)).astype(np.float32) / np.sqrt(in_c // group * k * k)
    bias = rng.standard_normal(out_c).astype(np.float32) * 0.1
    nodes = [
        helper.make_node(
            "Conv",
            ["x", "w", "b"],
            ["c"],
            name="conv",
            kernel_shape=[k, k],
            strides=[stride] * 2,
            pads=[pad] * 4,
            group=group,
        )
    ]
    nodes.append(helper.make_node("Relu" if relu else "Identity", ["c"], ["y"], name="act"))
    out_h, out_w = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    return _model(path, (in_c, h, w), nodes, [_tensor("w", weight), _tensor("b", bias)], (out_c, out_h, out_w))


def dense_model(path, rng, n_in, n_out):
    weight = rng.standard_normal((n_out, n_in)).astype(np.float32) / np.sqrt(n_in)  # torch's Linear layout
    bias = rng.standard_normal(n_out).astype(np.float32) * 0.1
    nodes = [helper.make_node("Gemm", ["x", "w", "b"], ["y"], name="dense", transB=1)]
    return _model(path, (n_in,), nodes, [_tensor("w", weight), _tensor("b", bias)], (n_out,))


def pool_model(path, rng, c, h, w, k, stride, pad=0):
    """``k``, ``stride``: ints (square) or (rows, columns); ceil_mode on, ``pad`` on every side."""
    (kh, kw), (sh, sw) = ((k, k) if isinstance(k, int) else k), ((stride,) * 2 if isinstance(stride, int) else stride)
    out_h, out_w = -(-(h + 2 * pad - kh) // sh) + 1, -(-(w + 2 * pad - kw) // sw) + 1
    weight = np.eye(c, dtype=np.float32).reshape(c, c, 1, 1)  # a conv first, so the pool runs on int8
    pool = dict(kernel_shape=[kh, kw], strides=[sh, sw], ceil_mode=1, pads=[pad] * 4)
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv"),
        helper.make_node("MaxPool", ["c"], ["y"], name="pool", **pool),
    ]
    return _model(path, (c, h, w), nodes, [_tensor("w", weight)], (c, out_h, out_w))


def mean_model(path, rng, c, h, w):
    """A convolution, then the mean over each channel's map (global average pooling as a
    QDQ model has it: DequantizeLinear, then ReduceMean in float)."""
    weight = rng.standard_normal((c, c, 1, 1)).astype(np.float32) / np.sqrt(c)
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv"),
        helper.make_node("Relu", ["c"], ["r"], name="act"),
        helper.make_node("ReduceMean", ["r", "axes"], ["y"], name="mean", keepdims=1),
    ]
    axes = helper.make_tensor("axes", TensorProto.INT64, [2], [2, 3])
    return _model(path, (c, h, w), nodes, [_tensor("w", weight), axes], (c, 1, 1))


def generate_on_kernels(float_model, tmp_path, rng, stage_weights_up_to=0):
    """Quantize, plan which kernels run it, generate its C; returns (model.c, int8 model,
    kernel layers, input shape)."""
    shape = Graph(float_model).values["x"].shape[1:]
    calibration = rng.standard_normal((16, *shape)).astype(np.float32)
    int8 = quantize_int8(float_model, tmp_path / "int8.onnx", calibration, input_name="x")
    graph = Graph(int8)
    layers = plan_kernels(graph, stage_weights_up_to)
    footprint = ModelFootprint.of(graph, "int8", scratch=scratch_by_node(layers), fused=fused_reads(layers))
    return codegen.generate_c(int8, tmp_path / "fw", footprint.plan, layers), int8, layers, shape


def run_on_kernels(float_model, tmp_path, rng, windows=3):
    """Build and run the firmware in QEMU; returns (emulator outputs, onnxruntime outputs,
    kernel layers)."""
    source, int8, layers, shape = generate_on_kernels(float_model, tmp_path, rng)
    link = codegen.build_firmware(source, load_target("stm32l476", ROOT), ROOT, tmp_path / "fw")
    x = rng.standard_normal((windows, *shape)).astype(np.float32) * 1.5
    expected = onnx_logits(int8, x)
    run = emulator.run_firmware(
        link.elf, x, expected.shape[1] if expected.ndim == 2 else expected[0].size, ROOT, tmp_path / "fw"
    )
    return run.outputs.reshape(expected.shape), expected, layers


def _kernels_used(layers):
    return {layer.kernel for layer in layers if layer.op_type not in ("QuantizeLinear", "DequantizeLinear")}


CONV_SHAPES = [  # in_c, h, w, out_c, kernel, stride, pad
    (1, 12, 9, 5, 5, 1, 2),  # one input channel, odd out_c, 25 taps (not a multiple of 4)
    (3, 9, 7, 6, 3, 2, 1),  # stride 2, odd width, 27 taps
    (5, 6, 5, 7, 1, 1, 0),  # pointwise, channels not a multiple of 4
    (4, 7, 8, 3, 5, 2, 0),  # no padding, stride 2
    (6, 5, 5, 7, 3, 1, 1),  # odd pixel count (25) and out_c, 54 taps: 13 steps + a 2-tap tail (2 × 2)
    (2, 4, 6, 5, 1, 1, 0),  # 2 taps: only the 2-tap tail (odd out_c: 2 × 2)
    (1, 12, 9, 6, 5, 1, 2),  # SB-CNN's first layer: 25 taps padded to 28 for four pixels at a time
    (64, 25, 5, 64, 1, 1, 0),  # MLPerf KWS DS-CNN's pointwise: 31 groups of four pixels, then one
    (12, 6, 7, 10, 1, 1, 0),  # four pixels at a time over 3 steps (the loop does 4 per turn), then a pair left
    (20, 4, 5, 6, 1, 1, 0),  # 5 steps: the first turn does 1
    (24, 5, 3, 4, 1, 1, 0),  # 6 steps: the first turn does 2; 15 pixels: a pair and one left
]


@needs_toolchain
@pytest.mark.slow
@pytest.mark.parametrize("in_c,h,w,out_c,k,stride,pad", CONV_SHAPES)
def test_conv_kernel_is_bit_exact(tmp_path, in_c, h, w, out_c, k, stride, pad):
    rng = np.random.default_rng(in_c * 100 + k)
    model = conv_model(tmp_path / "conv.onnx", rng, in_c, h, w, out_c, k, stride, pad)
    got, expected, layers = run_on_kernels(model, tmp_path, rng)
    assert _kernels_used(layers) == {"sb_conv_s8"}
    np.testing.assert_array_equal(got, expected)


DEPTHWISE_SHAPES = [  # channels, h, w, kernel, stride, pad
    (5, 13, 16, 5, 2, 2),  # the Stride-DS block: int8 plane, even/odd split, 4 outputs at a time
    (3, 9, 13, 5, 2, 2),  # the same with 3 outputs left over per row (7 wide)
    (2, 12, 15, 6, 2, 2),  # 6×6 stride 2: int16 plane, 3 pairs per filter row, a remainder
    (3, 9, 11, 3, 2, 1),  # 3×3 stride 2 (2 pairs per filter row), odd width
    (6, 7, 9, 3, 1, 1),  # stride 1 3×3: a group of 4, then the row's last 5 in one pass
    (4, 5, 25, 3, 1, 1),  # MLPerf KWS DS-CNN's 5 × 25 maps: 5 groups of 4, then the last 5 in one pass
    (3, 7, 5, 3, 1, 1),  # 5-wide rows: one pass of 5 each
    (3, 6, 7, 3, 1, 1),  # 4 + 3 per row (a group of 4, its last dropped)
    (3, 5, 6, 3, 1, 1),  # 4 + 2 per row
    (2, 6, 12, 3, 1, 1),  # three groups of 4 per row, nothing left
    (2, 4, 1, 3, 1, 1),  # one output per row
    (2, 10, 7, 5, 1, 0),  # no padding
]


@needs_toolchain
@pytest.mark.slow
@pytest.mark.parametrize("channels,h,w,k,stride,pad", DEPTHWISE_SHAPES)
def test_depthwise_kernel_is_bit_exact(tmp_path, channels, h, w, k, stride, pad):
    rng = np.random.default_rng(channels * 10 + k)
    model = conv_model(tmp_path / "dw.onnx", rng, channels, h, w, channels, k, stride, pad, group=channels)
    got, expected, layers = run_on_kernels(model, tmp_path, rng)
    assert _kernels_used(layers) == {"sb_depthwise_conv_s8"}
    np.testing.assert_array_equal(got, expected)


@needs_toolchain
@pytest.mark.slow
@pytest.mark.parametrize("c,h,w", [(6, 5, 7), (4, 4, 4)])  # a plane of 35 (three left after groups of 4), of 16
def test_the_fused_mean_equals_dequantize_then_mean(tmp_path, c, h, w):
    """sb_mean_s8_f32 gives bit for bit what the DequantizeLinear kernel and the generated
    ReduceMean loop give with the float map in between (summed in order). onnxruntime sums in
    its own (vectorised) order, so its float mean may differ in the last bit: within 1e-6."""
    rng = np.random.default_rng(c * h)
    model = mean_model(tmp_path / "mean.onnx", rng, c, h, w)
    shape = (c, h, w)
    int8 = quantize_int8(
        model, tmp_path / "int8.onnx", rng.standard_normal((16, *shape)).astype(np.float32), input_name="x"
    )
    graph = Graph(int8)
    fused = plan_kernels(graph)
    mean = next(layer for layer in fused if layer.kernel == "sb_mean_s8_f32")
    assert fused[mean.fuses].kernel == "fused"
    separate = list(fused)  # the same nodes, the DequantizeLinear kernel then the generated ReduceMean
    separate[mean.fuses] = kernels._BUILDERS["DequantizeLinear"](graph, graph.nodes[mean.fuses], mean.fuses)
    separate[mean.index] = dataclasses.replace(mean, kernel=PORTABLE, reads="", fuses=-1)
    x = rng.standard_normal((4, *shape)).astype(np.float32) * 1.5
    outputs = {}
    for name, layers in (("fused", fused), ("separate", separate)):
        plan = ModelFootprint.of(graph, "int8", scratch=scratch_by_node(layers), fused=fused_reads(layers)).plan
        source = codegen.generate_c(int8, tmp_path / name, plan, layers)
        link = codegen.build_firmware(source, load_target("stm32l476", ROOT), ROOT, tmp_path / name)
        outputs[name] = emulator.run_firmware(link.elf, x, c, ROOT, tmp_path / name).outputs
    np.testing.assert_array_equal(outputs["fused"], outputs["separate"])
    np.testing.assert_allclose(outputs["fused"], onnx_logits(int8, x).reshape(4, c), rtol=1e-6)


def test_the_fused_mean_plans_no_float_map(tmp_path):
    """The DequantizeLinear before a ReduceMean writes nothing, so its float map (4× the int8
    one) takes no RAM; the int8 map it would have read lives until the mean has run."""
    rng = np.random.default_rng(2)
    model = mean_model(tmp_path / "mean.onnx", rng, 16, 10, 12)
    int8 = quantize_int8(
        model, tmp_path / "int8.onnx", rng.standard_normal((8, 16, 10, 12)).astype(np.float32), input_name="x"
    )
    graph = Graph(int8)
    layers = plan_kernels(graph)
    mean = next(layer for layer in layers if layer.kernel == "sb_mean_s8_f32")
    dequantize = graph.nodes[mean.fuses]
    plan = ModelFootprint.of(graph, "int8", scratch=scratch_by_node(layers), fused=fused_reads(layers)).plan
    unfused = ModelFootprint.of(graph, "int8", scratch=scratch_by_node(layers)).plan
    float_map = next(b for b in plan.buffers if dequantize.output[0] in b.tensors)
    int8_map = next(b for b in plan.buffers if mean.reads in b.tensors)
    assert float_map.size == 0 and int8_map.last == mean.index
    assert plan.arena_bytes < unfused.arena_bytes


@needs_toolchain
@pytest.mark.slow
@pytest.mark.parametrize("n_in,n_out", [(37, 9), (64, 10), (3, 1)])
def test_fully_connected_kernel_is_bit_exact(tmp_path, n_in, n_out):
    rng = np.random.default_rng(n_in)
    got, expected, layers = run_on_kernels(dense_model(tmp_path / "fc.onnx", rng, n_in, n_out), tmp_path, rng)
    assert _kernels_used(layers) == {"sb_fully_connected_s8"}
    np.testing.assert_array_equal(got, expected)


@needs_toolchain
@pytest.mark.slow
@pytest.mark.parametrize(
    "c,h,w,k,stride,pad",
    [
        (3, 10, 8, 3, 3, 0),  # windows cut by ceil_mode
        (2, 7, 9, 2, 2, 0),  # a column left after the words
        (4, 17, 13, (4, 2), (4, 2), 0),  # SB-CNN's 4 × 2 pooling
        (2, 8, 10, 3, 2, 1),  # padded: the border is ignored, not a zero
        (2, 12, 9, 5, 4, 0),  # windows of more than 4 rows (the general loop)
    ],
)
def test_max_pool_kernel_is_bit_exact(tmp_path, c, h, w, k, stride, pad):
    rng = np.random.default_rng(c + w)
    model = pool_model(tmp_path / "pool.onnx", rng, c, h, w, k, stride, pad)
    got, expected, layers = run_on_kernels(model, tmp_path, rng)
    assert "sb_max_pool_s8" in _kernels_used(layers)
    np.testing.assert_array_equal(got, expected)


@needs_toolchain
def test_the_flash_model_charges_the_wait_states_that_prefetch_and_caches_do_not_hide(tmp_path):
    """The emulator's flash model on one convolution: it never changes what runs (outputs,
    zero-wait cycles), adds nothing at 0 wait states, charges stalls in proportion to the
    wait states, and fewer the larger the caches (with caches that hold the whole image, only
    the first touch of each flash word misses)."""
    import dataclasses

    rng = np.random.default_rng(7)
    source, int8, layers, shape = generate_on_kernels(
        conv_model(tmp_path / "c.onnx", rng, 8, 10, 10, 16, 3, 1, 1), tmp_path, rng
    )
    target = load_target("stm32l476", ROOT)
    link = codegen.build_firmware(source, target, ROOT, tmp_path / "fw")
    x = rng.standard_normal((2, *shape)).astype(np.float32)
    l476 = target.memory

    def run(memory):
        return emulator.run_firmware(link.elf, x, 16 * 100, ROOT, tmp_path / "fw", memory=memory)

    runs = {
        "none": run(None),
        "0 ws": run(dataclasses.replace(l476, wait_states=0)),
        "l476": run(l476),
        "no caches": run(dataclasses.replace(l476, icache_bytes=0, dcache_bytes=0)),
        "no caches, 8 ws": run(dataclasses.replace(l476, icache_bytes=0, dcache_bytes=0, wait_states=8)),
        "huge caches": run(dataclasses.replace(l476, icache_bytes=1 << 20, dcache_bytes=1 << 20)),
    }
    stalls = {k: r.stall_cycles_per_window for k, r in runs.items()}
    assert all(np.array_equal(r.outputs, runs["none"].outputs) for r in runs.values())
    assert {r.zero_wait_cycles_per_window for r in runs.values()} == {runs["none"].cycles_per_window}
    assert stalls["none"] == stalls["0 ws"] == 0
    # the padded 3×3 convolution's im2col reads words at byte offsets: charged (TRM §3.3.2)
    # the same under every memory model, inside the zero-wait cycles
    unaligned = {sum(r.segment_unaligned) for r in runs.values()}
    assert len(unaligned) == 1 and unaligned.pop() > 0
    assert stalls["no caches, 8 ws"] == 2 * stalls["no caches"] > stalls["no caches"] > stalls["l476"] > 0
    image_words = sum(codegen.elf_sections(link.elf)[s] for s in ("text", "data")) / 8
    assert 0 < stalls["huge caches"] < stalls["l476"] and stalls["huge caches"] * 2 <= 4 * image_words


@needs_toolchain
def test_weights_staged_in_sram_give_the_same_outputs_with_fewer_flash_stalls(tmp_path):
    """A convolution whose weight table is copied into its SRAM scratch before it runs: the
    same outputs as onnxruntime (bit-exact), the scratch grown by the table, and fewer
    modelled flash stalls than reading the weights from flash for every pixel pair."""
    target = load_target("stm32l476", ROOT)
    runs = {}
    for stage in (0, 1 << 20):
        rng = np.random.default_rng(3)
        work = tmp_path / f"stage{stage}"
        work.mkdir()
        model = conv_model(work / "c.onnx", rng, 16, 8, 8, 32, 3, 1, 1)
        source, int8, layers, shape = generate_on_kernels(model, work, rng, stage_weights_up_to=stage)
        conv = next(layer for layer in layers if layer.kernel == "sb_conv_s8")
        link = codegen.build_firmware(source, target, ROOT, work / "fw")
        x = rng.standard_normal((2, *shape)).astype(np.float32)
        run = emulator.run_firmware(link.elf, x, 32 * 64, ROOT, work / "fw", memory=target.memory)
        np.testing.assert_array_equal(run.outputs.reshape(2, -1), onnx_logits(int8, x).reshape(2, -1))
        runs[stage] = (conv, run)
    (plain, from_flash), (staged, from_sram) = runs[0], runs[1 << 20]
    assert plain.staged_bytes == 0 and staged.staged_bytes >= staged.weight_bytes == plain.weight_bytes > 0
    assert staged.scratch_bytes == plain.scratch_bytes + staged.staged_bytes
    assert from_sram.stall_cycles_per_window < from_flash.stall_cycles_per_window / 2


HOST_CASES = {  # one per kernel and per special path: the QEMU tests above cover every shape
    "conv stride 2, odd width, 27 taps": lambda p, rng: conv_model(p, rng, *CONV_SHAPES[1]),
    "conv with a 2-tap tail only": lambda p, rng: conv_model(p, rng, *CONV_SHAPES[5]),
    "depthwise int8 plane (Stride-DS)": lambda p, rng: conv_model(p, rng, 5, 13, 16, 5, 5, 2, 2, group=5),
    "depthwise int16 plane 6x6": lambda p, rng: conv_model(p, rng, 2, 12, 15, 2, 6, 2, 2, group=2),
    "depthwise stride 1": lambda p, rng: conv_model(p, rng, 6, 7, 9, 6, 3, 1, 1, group=6),
    "fully connected": lambda p, rng: dense_model(p, rng, 37, 9),
    "max pool": lambda p, rng: pool_model(p, rng, 3, 10, 8, 3, 3),
    "conv with its weights staged in SRAM": lambda p, rng: conv_model(p, rng, *CONV_SHAPES[1]),
}


@pytest.mark.skipif(shutil.which(codegen.HOST_CC) is None, reason="no host C compiler (apt-get install gcc)")
@pytest.mark.parametrize("case", list(HOST_CASES))
def test_the_plain_c_kernels_on_the_host_are_bit_exact(tmp_path, case):
    """The kernels' plain-C path (no DSP extension: what a host or a Cortex-M0 build runs),
    in the generated model built with the host compiler, against onnxruntime."""
    rng = np.random.default_rng(len(case))
    stage = 1 << 20 if "staged" in case else 0
    source, int8, layers, shape = generate_on_kernels(
        HOST_CASES[case](tmp_path / "m.onnx", rng), tmp_path, rng, stage_weights_up_to=stage
    )
    assert any(layer.staged_bytes for layer in layers) == bool(stage)
    assert all(layer.on_kernels for layer in layers)
    x = rng.standard_normal((4, *shape)).astype(np.float32) * 1.5
    expected = onnx_logits(int8, x)
    program = codegen.build_host(source, ROOT, tmp_path / "host")
    np.testing.assert_array_equal(codegen.run_host(program, x, expected[0].size).reshape(expected.shape), expected)
    # the scratch the generator planned is what each kernel's own *_scratch_bytes asks for
    planned = {layer.index: layer.scratch_bytes - layer.staged_bytes for layer in layers if layer.scratch_bytes}
    reported = codegen.host_scratch(program)
    assert {layer: p for layer, p, _ in reported} == planned and all(p == n for _, p, n in reported), reported


def test_unsupported_layers_stay_portable_and_say_why(tmp_path):
    rng = np.random.default_rng(0)
    grouped = conv_model(tmp_path / "grouped.onnx", rng, 4, 6, 6, 4, 3, 1, 1, group=2)
    int8 = quantize_int8(
        grouped, tmp_path / "int8.onnx", rng.standard_normal((4, 4, 6, 6)).astype(np.float32), input_name="x"
    )
    conv = next(layer for layer in plan_kernels(Graph(int8)) if layer.op_type == "QLinearConv")
    assert conv.kernel == PORTABLE and "group=2" in conv.reason


def test_conv_scratch_is_planned_in_the_arena(tmp_path):
    rng = np.random.default_rng(1)
    int8 = quantize_int8(
        conv_model(tmp_path / "c.onnx", rng, 3, 9, 7, 6, 3, 2, 1),
        tmp_path / "int8.onnx",
        rng.standard_normal((4, 3, 9, 7)).astype(np.float32),
        input_name="x",
    )
    graph = Graph(int8)
    layers = plan_kernels(graph)
    conv = next(layer for layer in layers if layer.kernel == "sb_conv_s8")
    # four int16 columns (6 channels pair up, 28 taps: 27 rounded up to 4, whole steps) + the
    # padded input: 3 channels × (9 + 1 + 1) rows × 9 columns (4 outputs of stride 2 reach
    # column (4-1)·2 + 3 = 9)
    assert conv.scratch_bytes == 4 * 2 * 28 + 3 * 11 * 9
    plan = ModelFootprint.of(graph, "int8", scratch=scratch_by_node(layers), fused=fused_reads(layers)).plan
    without = ModelFootprint.of(graph, "int8").plan
    assert plan.arena_bytes >= without.arena_bytes
    scratch = next(b for b in plan.buffers if b.tensors == [f"scratch:{conv.index}"])
    assert scratch.first == scratch.last == conv.index
    # the scratch overlaps no tensor alive while the convolution runs
    for other in plan.buffers:
        if other is not scratch and other.alive_with(scratch):
            assert other.offset + other.size <= scratch.offset or scratch.offset + scratch.size <= other.offset


@pytest.mark.parametrize("compiler", ["gcc", "arm-none-eabi-gcc"])
def test_the_kernels_compile_without_a_warning(compiler, tmp_path):
    """Every kernel file under -Wall -Wextra -Werror: on the Cortex-M4F (the SIMD and
    assembly paths) and on the host (the plain-C path the device build falls back to)."""
    import subprocess

    if shutil.which(compiler) is None:
        pytest.skip(f"{compiler} is not installed (make toolchain installs the Arm one)")
    flags = list(codegen.CORTEX_M4F_FLAGS) if compiler.startswith("arm") else []
    kernels = codegen.kernels_dir(ROOT)
    for source in sorted(kernels.glob("*.c")):
        done = subprocess.run(
            [
                compiler,
                *flags,
                "-O2",
                "-std=c99",
                "-Wall",
                "-Wextra",
                "-Werror",
                f"-I{kernels}",
                "-c",
                str(source),
                "-o",
                str(tmp_path / "kernel.o"),
            ],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, f"{source.name}:\n{done.stderr[-2000:]}"


@needs_toolchain
@pytest.mark.parametrize("board_name,latency,boost", [("stm32l476", 4, 0), ("stm32l4r5", 5, 1)])
def test_board_firmware_links_runs_and_its_printout_is_compared_per_layer(tmp_path, board_name, latency, boost):
    """deploy ... board=true: firmware for the board (clock, flash latency, DWT timing) that
    links into its budget; the emulated build runs in QEMU and prints a line per layer (zeros:
    QEMU has no cycle counter); a printout is compared with layers.csv per layer."""
    from soundbench.deploy.board import compare, read_printout, write_board_project

    rng = np.random.default_rng(5)
    source, int8, layers, shape = generate_on_kernels(
        conv_model(tmp_path / "c.onnx", rng, 3, 9, 7, 6, 3, 2, 1), tmp_path, rng
    )
    target = load_target(board_name, ROOT)
    board = write_board_project(source, target, ROOT, tmp_path / "board")
    assert board.board.fits and board.emulated.fits and (board.folder / "Makefile").is_file()
    assert f"SB_FLASH_LATENCY={latency}" in (board.folder / "Makefile").read_text()
    assert f"SB_BOOST={boost}" in (board.folder / "Makefile").read_text()  # the L4R5's 120 MHz needs boost mode
    printed, total = read_printout(emulator.run_console(board.emulated.elf, tmp_path))
    assert len(printed) == len(layers) and total == 0
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "layers.csv").write_text(
        "precision,node,op_type,output_shape,macc,runs_on,cycles,cycles_per_macc\n"
        + "".join(
            f"int8,{layer.node},{layer.op_type},,0,{layer.kernel},{110 * (k + 1)},\n" for k, layer in enumerate(layers)
        )
    )
    board_printout = "".join(f"layer {k} {100 * (k + 1)}\n" for k in range(len(layers))) + "total 999\n"
    timings = compare(board_printout, tmp_path / "deploy")
    assert [round(t.error, 3) for t in timings] == [0.1] * len(layers)  # the model says 10 % more than the board
    with pytest.raises(ValueError, match="layer <k> <cycles>"):
        read_printout("hello\n")
