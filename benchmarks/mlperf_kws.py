"""Like for like with published real-board results: MLPerf Tiny's keyword-spotting DS-CNN
(mlcommons/tiny reference: 49 × 10 MFCC, a 10 × 4 stride-2 conv with TensorFlow 'same'
padding, 4 depthwise-separable blocks of 64 channels, average pooling, 12 classes;
2,656,768 MACs) as int8 on soundbench's kernels, on the NUCLEO-L4R5ZI (Cortex-M4 at
120 MHz, 5 flash wait states), its latency modelled in QEMU with and without the board's
flash model, beside what MLPerf Tiny submitters measured on that board.

    python benchmarks/mlperf_kws.py            # needs make toolchain

The weights are random (cycles do not depend on their values); calibration uses random
windows. Ours is modelled (QEMU instruction trace + Cortex-M4 timings + flash/cache model);
the others are measured on the board by the MLPerf Tiny harness.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from soundbench.artifacts.onnx_export import export_onnx, onnx_logits
from soundbench.deploy import codegen, emulator
from soundbench.deploy.fit import ModelFootprint
from soundbench.deploy.graph import Graph
from soundbench.deploy.kernels import fused_reads, plan_kernels, scratch_by_node
from soundbench.deploy.quantize import quantize_int8
from soundbench.deploy.targets import load_target
from soundbench.models import create_model
from soundbench.project import project_root

ROOT = project_root()
#: (bands, frames): the reference's 49 frames × 10 MFCC in soundbench's layout
INPUT = (1, 10, 49)
REFERENCE_MACS = 2_656_768
#: NUCLEO-L4R5ZI keyword spotting, median latency per inference measured on the board
PUBLISHED = [
    ("X-CUBE-AI 10.2 (STMicroelectronics)", 43.5, "MLPerf Tiny v1.3",
     "mlcommons/tiny_results_v1.3 closed/STMicroelectronics/results/NUCLEO_L4R5ZI-P/kws/performance/results.txt"),
    ("Plumerai inference engine", 47.8, "MLPerf Tiny v1.1", "mlcommons/tiny_results_v1.1 closed/Plumerai"),
    ("Bosch HALE", 62.7, "MLPerf Tiny v1.1", "mlcommons/tiny_results_v1.1 closed/Bosch"),
    ("X-CUBE-AI 8.1", 62.9, "MLPerf Tiny v1.1", "mlcommons/tiny_results_v1.1 closed/STMicroelectronics"),
    ("microTVM + CMSIS-NN", 99.8, "MLPerf Tiny v1.1", "mlcommons/tiny_results_v1.1 closed/OctoML"),
    ("TFLite Micro reference", 181.9, "MLPerf Tiny v0.5", "mlcommons/tiny_results_v0.5 closed/reference"),
]  # fmt: skip


#: stage every convolution's weights (at most 4 KiB each here) in SRAM: the RAM-for-time trade it reports
STAGE_UP_TO = 8192


def build(work: Path, stage_weights_up_to: int = 0):
    torch.manual_seed(0)
    model = create_model("dscnn", INPUT, 12, first_kernel=(4, 10), padding="tf_same").eval()
    rng = np.random.default_rng(0)
    float_path = export_onnx(model, INPUT, work / "dscnn.onnx")
    int8 = quantize_int8(float_path, work / "dscnn_int8.onnx", rng.standard_normal((32, *INPUT)).astype(np.float32))
    graph = Graph(int8)
    layers = plan_kernels(graph, stage_weights_up_to)
    footprint = ModelFootprint.of(graph, "int8", scratch=scratch_by_node(layers), fused=fused_reads(layers))
    return int8, layers, footprint


def main() -> None:
    missing = codegen.toolchain_missing() or emulator.emulator_missing()
    if missing:
        sys.exit(missing)
    target = load_target("stm32l4r5", ROOT)
    staged = measure(target, STAGE_UP_TO)
    int8, layers, footprint, link, run, exact = measure(target, 0)
    macc, mhz = footprint.macc, target.cpu_mhz
    print(f"DS-CNN (MLPerf Tiny KWS reference): {macc:,} MACC (reference {REFERENCE_MACS:,}), "
          f"arena {footprint.ram_bytes / 1024:.1f} KiB; {link.message}; bit-exact vs onnxruntime: {exact}")  # fmt: skip
    zero, full = run.zero_wait_cycles_per_window, run.cycles_per_window
    print(f"\n| {target.board} (Cortex-M4, {mhz:g} MHz) | latency | cycles/MAC | source |")
    print("|---|---|---|---|")
    print(f"| soundbench kernels, modelled with the flash model ({target.memory.describe()}) | "
          f"**{full / mhz / 1e3:.1f} ms** | {full / macc:.2f} | QEMU trace + M4 timings + flash model |")  # fmt: skip
    print(f"| soundbench kernels, modelled zero-wait | {zero / mhz / 1e3:.1f} ms | {zero / macc:.2f} | QEMU trace + "
          "Cortex-M4 timings |")  # fmt: skip
    s_fp, s_run = staged[2], staged[4]
    s_cycles = s_run.cycles_per_window
    print(f"| soundbench kernels, conv weights staged in SRAM (arena {s_fp.ram_bytes / 1024:.1f} KiB, "
          f"{footprint.ram_bytes / 1024:.1f} without), with the flash model | **{s_cycles / mhz / 1e3:.1f} ms** | "
          f"{s_cycles / macc:.2f} | QEMU trace + M4 timings + flash model; bit-exact: {staged[5]} |")  # fmt: skip
    for who, ms, round_, where in PUBLISHED:
        print(f"| {who} | {ms:.1f} ms | {ms * mhz * 1e3 / REFERENCE_MACS:.2f} | measured, {round_} ({where}) |")
    costs = {c.node: c.macc for c in footprint.layers}
    print(
        f"\n{'layer':28s} {'op':16s} {'runs on':22s} {'MACC':>9s} {'cycles':>10s} {'cyc/MACC zero-wait → flash':>27s}"
    )
    for layer, cycles, stalls in zip(layers, run.segment_cycles, run.segment_stalls):
        m = costs.get(layer.node, 0)
        per = f"{(cycles - stalls) / m:5.2f} → {cycles / m:5.2f}" if m else "-"
        print(f"{layer.node[:28]:28s} {layer.op_type:16s} {layer.kernel:22s} {m:9,d} {cycles:10,.0f} {per:>27s}")


def measure(target, stage_weights_up_to: int):
    """(int8 model, kernel layers, footprint, link, emulator run, bit-exact) of DS-CNN on ``target``."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        int8, layers, footprint = build(work, stage_weights_up_to)
        source = codegen.generate_c(int8, work / "fw", footprint.plan, layers)
        link = codegen.build_firmware(source, target, ROOT, work / "fw")
        if not link.fits:
            sys.exit(f"DS-CNN does not link into {target.name}: {link.message}")
        windows = np.random.default_rng(1).standard_normal((2, *INPUT)).astype(np.float32)
        run = emulator.run_firmware(link.elf, windows, 12, ROOT, work / "fw", memory=target.memory)
        return int8, layers, footprint, link, run, np.array_equal(run.outputs, onnx_logits(int8, windows))


if __name__ == "__main__":
    main()
