"""Cortex-M4 cycles per MACC of SB-CNN and Stride-DS-24 (60 mels × 31 frames, 10 classes),
int8, on soundbench's kernels vs the portable generated C, per layer, in QEMU.

    python benchmarks/kernel_cycles.py            # needs make toolchain

Cycles are modelled: instruction counts × Cortex-M4 TRM timings (soundbench.deploy.emulator),
"zero-wait" as if all memory were SRAM, "flash model" with stm32l476's flash and ART
accelerator (4 wait states at 80 MHz, prefetch, 1 KB I-cache, 256 B D-cache); the
weights are random (cycle counts do not depend on the values) and calibration uses random
windows. SMLAD's ceiling is 0.5 cycles/MAC. For published real-board results, compare like
for like with benchmarks/mlperf_kws.py (MLPerf Tiny's DS-CNN on the NUCLEO-L4R5ZI).
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

MODELS = {"sbcnn": {}, "strided_ds": {"filters": 24}}
INPUT = (1, 60, 31)
HOP_S = 8192 / 22050  # the thesis window hop: 31 frames at 50 % overlap, 22.05 kHz


def measure(name: str, hparams: dict, work: Path, on_kernels: bool):
    torch.manual_seed(0)
    model = create_model(name, INPUT, 10, **hparams).eval()
    float_path = export_onnx(model, INPUT, work / "model.onnx")
    rng = np.random.default_rng(0)
    int8 = quantize_int8(float_path, work / "int8.onnx", rng.standard_normal((32, *INPUT)).astype(np.float32))
    graph = Graph(int8)
    layers = plan_kernels(graph) if on_kernels else None
    footprint = ModelFootprint.of(graph, "int8", scratch=scratch_by_node(layers or []), fused=fused_reads(layers or []))
    build = work / ("kernels" if on_kernels else "portable")
    source = codegen.generate_c(int8, build, footprint.plan, layers)
    target = load_target("stm32l476", ROOT)
    link = codegen.build_firmware(source, target, ROOT, build)
    windows = rng.standard_normal((2, *INPUT)).astype(np.float32)
    run = emulator.run_firmware(link.elf, windows, 10, ROOT, build, memory=target.memory)
    exact = np.array_equal(run.outputs, onnx_logits(int8, windows))
    return footprint, layers or plan_kernels(graph), run, exact, link


def main() -> None:
    missing = codegen.toolchain_missing() or emulator.emulator_missing()
    if missing:
        sys.exit(missing)
    for name, hparams in MODELS.items():
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            _, _, portable, _, _ = measure(name, hparams, work, on_kernels=False)
            footprint, layers, run, exact, link = measure(name, hparams, work, on_kernels=True)
        macc = footprint.macc
        print(f"\n== {name}: {macc:,} MACC per window, arena {footprint.ram_bytes / 1024:.1f} KiB, {link.message}")
        for what, r in (("portable C", portable), ("kernels", run)):
            zero, full = r.zero_wait_cycles_per_window, r.cycles_per_window
            print(
                f"{what:10s}: {zero / macc:5.2f} cycles/MACC zero-wait, {full / macc:5.2f} with the flash model "
                f"(+{full / zero - 1:.0%}; {full / 80e3:7.1f} ms at 80 MHz, duty cycle {full / 80e6 / HOP_S:.0%} "
                f"of a {HOP_S * 1e3:.0f} ms hop)"
            )
        print(f"bit-exact vs onnxruntime: {exact}")
        costs = {c.node: c.macc for c in footprint.layers}
        print(f"{'layer':28s} {'op':16s} {'runs on':22s} {'MACC':>10s} {'cycles':>11s} {'cyc/MACC':>17s}")
        for layer, cycles, stalls in zip(layers, run.segment_cycles, run.segment_stalls):
            m = costs.get(layer.node, 0)
            per = f"{(cycles - stalls) / m:5.2f} → {cycles / m:5.2f}" if m else f"{'-':>17s}"
            print(f"{layer.node[:28]:28s} {layer.op_type:16s} {layer.kernel:22s} {m:10,d} {cycles:11,.0f} {per:>17s}")


if __name__ == "__main__":
    main()
