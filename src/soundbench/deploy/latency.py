"""Inference latency estimate on a target: MACC × cycles per MACC of the code path.

Cycles per MACC are measured on a Cortex-M4 (``soundbench.deploy.emulator``: instructions
counted per layer in QEMU, turned into cycles with the Cortex-M4 per-instruction-class
timing of Arm's Technical Reference Manual). Without the emulator, each layer's cycles are
its MACC × the cycles/MACC measured for the kernel that runs it (``conf/deploy.yaml``).
Other cores are scaled by Arm's published CoreMark/MHz relative to the Cortex-M4 (3.40), a
first-order model of their wider pipelines (M7 dual issue).
"""

from __future__ import annotations

from dataclasses import dataclass

from soundbench.deploy.targets import Target

CORTEX_M4_COREMARK_PER_MHZ = 3.40

#: Cortex-M4 cycles per MACC of each kernel, measured in QEMU on SB-CNN and Stride-DS-24
#: (per-layer counts, README "Deploying"); "portable" is emx-onnx-cgen's generated loops.
#: conf/deploy.yaml's latency.cycles_per_macc_m4 may override entries.
KERNEL_CYCLES_PER_MACC_M4 = {
    "sb_conv_s8": 2.0,
    "sb_depthwise_conv_s8": 3.6,
    "sb_fully_connected_s8": 2.9,
    "sb_max_pool_s8": 9.0,
    "sb_mean_s8_f32": 8.6,  # per value averaged (MLPerf KWS DS-CNN's global average pooling)
    "portable": 34.7,
}


@dataclass(frozen=True)
class LatencyEstimate:
    code_path: str
    cycles_per_macc: float  # on this target, after core scaling
    macc: int
    cpu_mhz: float
    window_hop_s: float  # time between consecutive analysis windows
    windows_per_clip: int

    @property
    def cycles_per_window(self) -> float:
        return self.macc * self.cycles_per_macc

    @property
    def window_s(self) -> float:
        return self.cycles_per_window / (self.cpu_mhz * 1e6)

    @property
    def clip_s(self) -> float:
        return self.window_s * self.windows_per_clip

    @property
    def duty_cycle(self) -> float:
        """Share of CPU time spent classifying when a window arrives every hop (must be < 1
        to keep up with a live stream)."""
        return self.window_s / self.window_hop_s


def estimate_latency(
    macc: int, target: Target, cycles_per_macc_m4: float, code_path: str, window_hop_s: float, windows_per_clip: int
) -> LatencyEstimate:
    scale = CORTEX_M4_COREMARK_PER_MHZ / target.coremark_per_mhz
    return LatencyEstimate(code_path, cycles_per_macc_m4 * scale, macc, target.cpu_mhz, window_hop_s, windows_per_clip)


def layer_cycles_estimate(layers, costs, cycles_per_macc: dict[str, float]) -> dict[str, float]:
    """Cycles per layer (node name → cycles) from MACC × the kernel's cycles/MACC; layers
    without MACC (quantize, reshape) count 0."""
    macc = {c.node: c.macc for c in costs}
    fallback = cycles_per_macc.get("portable", KERNEL_CYCLES_PER_MACC_M4["portable"])
    return {layer.node: macc.get(layer.node, 0) * cycles_per_macc.get(layer.kernel, fallback) for layer in layers}
