"""Does an *untrained* configuration fit a board and keep up with a live stream? The check a
hardware-aware search runs before it spends a training run on a trial (seconds, no data).

Sizes and time do not depend on the weights' values: the model is built, exported and
quantized like a trained one (calibrated on a few standard-normal windows, the distribution
of per-window standardised features), then the deploy check's own pieces measure it: the
memory plan with the kernels' scratch (the RAM the linker places), the front end on the
device (its tables and buffers; its cycles modelled in QEMU once per front-end geometry) and,
when the memory fits, the model's firmware linked into the budget and run in QEMU: the same
modelled cycle count the deploy report gives (instruction trace + Cortex-M4 timings + the
target's flash/cache model), with the same safety margin (conf/deploy.yaml latency.margin).
Without the Arm toolchain, time is estimated (MACC ×
each kernel's measured cycles/MACC; the front end scaled from the thesis log-mel) and the
result says so: that estimate is off by up to 2× for some layer shapes (DS-CNN's 3×3
depthwise convolutions run at 19.6 cycles/MACC, the table's 3.6 is Stride-DS-24's 5×5).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from soundbench.artifacts.onnx_export import OPSET, export_onnx
from soundbench.deploy import codegen, emulator
from soundbench.deploy.decision_c import application_ram
from soundbench.deploy.fit import ModelFootprint
from soundbench.deploy.frontend_c import DeviceFrontEnd, FrontEndNotSupported, build_stream_firmware, run_stream
from soundbench.deploy.graph import Graph
from soundbench.deploy.kernels import KernelLayer
from soundbench.deploy.latency import CORTEX_M4_COREMARK_PER_MHZ, KERNEL_CYCLES_PER_MACC_M4, layer_cycles_estimate
from soundbench.deploy.quantize import quantize_int8
from soundbench.deploy.staging import AUTO, plan_with_staging
from soundbench.deploy.targets import Target
from soundbench.features.frontends import FrontEnd
from soundbench.predict.decision import EventDecision

#: standard-normal windows the int8 ranges are calibrated on: enough for sizes and cycles
CALIBRATION_WINDOWS = 4
#: the thesis log-mel (n_fft 1024, 60 mels × 31 frames) modelled in QEMU, zero-wait (docs/deploy.md):
#: Cortex-M4 cycles per hop (one frame) and per window (dB floor, standardisation). Without
#: the toolchain a front end is costed from it: frames by n_fft·log2(n_fft), windows by size.
REFERENCE_N_FFT, REFERENCE_CYCLES_PER_HOP = 1024, 124_900
REFERENCE_WINDOW_VALUES, REFERENCE_CYCLES_PER_WINDOW = 60 * 31, 114_700


@dataclass(frozen=True)
class FrontEndCycles:
    cycles_per_window_hop: float  # Cortex-M4 cycles: the frames of one window hop + the window's own work
    source: str


@dataclass(frozen=True)
class Feasibility:
    """Flash, RAM and time of a configuration's int8 model + device front end on a target."""

    target: str
    n_parameters: int
    macc: int
    flash_bytes: int  # int8 weights + front-end tables
    ram_bytes: int  # planned arena + front-end buffers + stack
    flash_budget: int
    ram_budget: int
    model_ms: float  # per window
    frontend_ms: float  # per window hop
    window_hop_ms: float
    max_duty_cycle: float
    model_source: str  # modelled from QEMU's trace (with the target's flash model), or estimated (and why)
    frontend_source: str
    linker_verdict: str | None  # the model's firmware linked into the budget (None: not linked)
    seconds: float  # what the check took
    linker_fits: bool | None = None  # None: not linked (no toolchain, or the planned memory already fails)
    margin: float = 0.0  # safety margin on the modelled time: rejected when duty × (1 + margin) >= the limit

    @property
    def latency_ms(self) -> float:
        """Compute per window hop: front end + network."""
        return self.model_ms + self.frontend_ms

    @property
    def duty_cycle(self) -> float:
        return self.latency_ms / self.window_hop_ms

    @property
    def reason(self) -> str | None:
        """Why the configuration is rejected, or None when it fits and keeps up."""
        problems = []
        if self.flash_bytes > self.flash_budget:
            problems.append(f"flash {self.flash_bytes / 1024:.1f} KiB > budget {self.flash_budget / 1024:.0f} KiB")
        if self.ram_bytes > self.ram_budget:
            problems.append(f"RAM {self.ram_bytes / 1024:.1f} KiB > budget {self.ram_budget / 1024:.0f} KiB")
        if self.linker_fits is False:  # the code itself (not counted in the plan) overflows the budget
            problems.append(f"the model's firmware does not link: {self.linker_verdict}")
        if self.duty_cycle * (1 + self.margin) >= self.max_duty_cycle:
            margin = f" with a {self.margin:.0%} margin" if self.margin else ""
            problems.append(
                f"duty cycle {self.duty_cycle:.0%}{margin} >= {self.max_duty_cycle:.0%} "
                f"({self.latency_ms:.0f} ms per {self.window_hop_ms:.0f} ms hop)"
            )
        return "; ".join(problems) or None

    @property
    def feasible(self) -> bool:
        return self.reason is None

    def to_dict(self) -> dict:
        return {
            **asdict(self),
            "latency_ms": self.latency_ms,
            "duty_cycle": self.duty_cycle,
            "feasible": self.feasible,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ModelCycles:
    cycles_per_window: float  # Cortex-M4 cycles of one inference
    source: str
    linker_verdict: str | None = None  # the model's firmware linked into the budget (None: not linked)
    linker_fits: bool | None = None


class DeviceCosts:
    """Cycles on the device: the front end's per window hop (measured once per front-end
    geometry), the model's per window (its firmware run in QEMU), or estimates without the
    toolchain."""

    def __init__(
        self,
        root: str | Path,
        cycles_per_macc_m4: dict[str, float] | None = None,
        margin: float = 0.0,
        stage_weights: str | int = AUTO,
    ):
        """``stage_weights``: conf/deploy.yaml's kernels.stage_weights, so the check plans as deploy does."""
        self.root, self.margin, self.stage_weights = Path(root), margin, stage_weights
        self.cycles_per_macc_m4 = {**KERNEL_CYCLES_PER_MACC_M4, **(cycles_per_macc_m4 or {})}
        self._front_ends: dict[tuple, FrontEndCycles] = {}

    def model(
        self,
        int8_path: Path,
        footprint: ModelFootprint,
        layers: list[KernelLayer],
        target: Target,
        window: np.ndarray,
        n_outputs: int,
        measure: bool,
    ) -> ModelCycles:
        """``window``: one model input to run; ``measure=False`` (the memory does not fit
        anyway): the estimate, which takes no time."""
        missing = codegen.toolchain_missing() or emulator.emulator_missing()
        if missing or not measure:
            why = f"not measured: {missing}" if missing else "not measured: the memory does not fit"
            return ModelCycles(
                self._estimate(footprint, layers), f"estimated, MACC × each kernel's cycles/MACC ({why})"
            )
        build = int8_path.parent / "firmware"
        link = codegen.build_firmware(
            codegen.generate_c(int8_path, build, footprint.plan, layers), target, self.root, build
        )
        if not link.fits:
            return ModelCycles(
                self._estimate(footprint, layers), "estimated (the firmware does not link)", link.message, False
            )
        run = emulator.run_firmware(link.elf, window[None], n_outputs, self.root, build, memory=target.memory)
        return ModelCycles(run.cycles_per_window, emulator.timing_label(target.memory), link.message, True)

    def _estimate(self, footprint: ModelFootprint, layers: list[KernelLayer]) -> float:
        return sum(layer_cycles_estimate(layers, footprint.layers, self.cycles_per_macc_m4).values())

    def front_end(self, device: DeviceFrontEnd, target: Target) -> FrontEndCycles:
        key = (
            target.name,  # its flash model
            device.sample_rate,
            device.n_fft,
            device.hop,
            device.n_mels,
            device.n_mfcc,
            device.window_frames,
            device.window_hop_frames,
            device.normalize,
        )
        if key not in self._front_ends:
            self._front_ends[key] = self._measure_front_end(device, target)
        return self._front_ends[key]

    def _measure_front_end(self, device: DeviceFrontEnd, target: Target) -> FrontEndCycles:
        missing = codegen.toolchain_missing() or emulator.emulator_missing()
        if missing:
            per_hop = (
                REFERENCE_CYCLES_PER_HOP
                * (device.n_fft * np.log2(device.n_fft))
                / (REFERENCE_N_FFT * np.log2(REFERENCE_N_FFT))
            )
            per_window = REFERENCE_CYCLES_PER_WINDOW * device.out_bands * device.window_frames / REFERENCE_WINDOW_VALUES
            return FrontEndCycles(
                device.window_hop_frames * per_hop + per_window,
                f"scaled from the measured thesis log-mel (not measured: {missing})",
            )
        # seeded noise, one window and a few window hops long: the cycles hardly depend on the signal
        samples = (device.window_frames - 1 + 4 * device.window_hop_frames) * device.hop + device.n_fft
        pcm = (np.random.default_rng(0).standard_normal(samples) * 3000).astype(np.int16)
        with tempfile.TemporaryDirectory(prefix="sb-frontend-") as work:
            firmware = build_stream_firmware(device, target, self.root, work).elf
            run = run_stream(firmware, pcm, device, self.root, work, memory=target.memory)
        return FrontEndCycles(
            device.window_hop_frames * run.cycles_per_hop + run.cycles_per_window,
            f"{emulator.timing_label(target.memory)}, in QEMU on noise",
        )


def check_untrained(
    model: nn.Module, frontend: FrontEnd, target: Target, max_duty_cycle: float, costs: DeviceCosts, opset: int = OPSET
) -> Feasibility:
    """Export and quantize ``model`` (untrained: its sizes are what matter) for ``frontend``'s
    windows and check it, with the front end on the device, against ``target``."""
    started = time.perf_counter()
    device = DeviceFrontEnd.of(frontend.eval())  # FrontEndNotSupported names the setting
    input_shape = frontend.output_shape()
    calibration = np.random.default_rng(0).standard_normal((CALIBRATION_WINDOWS, *input_shape)).astype(np.float32)
    with torch.no_grad():
        n_outputs = model.eval()(torch.from_numpy(calibration[:1])).shape[-1]
    with tempfile.TemporaryDirectory(prefix="sb-feasibility-") as work:
        float_path = export_onnx(model, input_shape, Path(work) / "model.onnx", opset)
        int8_path = quantize_int8(float_path, Path(work) / "model_int8.onnx", calibration)
        graph = Graph(int8_path)
        memory = device.memory()
        decision_ram = application_ram(device, EventDecision(), n_outputs)  # as deploy plans it, default settings

        def outside_arena(fp: ModelFootprint) -> int:
            return memory.ram_beside(fp.ram_bytes) + decision_ram

        plan = plan_with_staging(graph, target, costs.stage_weights, outside_arena)
        layers, footprint = plan.layers, plan.footprint
        fe_ram = outside_arena(footprint)
        budgets = footprint.budgets(target, memory.table_bytes, fe_ram)
        flash, ram = (budget.need for budget in budgets)
        fits_memory = all(budget.fits for budget in budgets)
        model_cycles = costs.model(int8_path, footprint, layers, target, calibration[0], n_outputs, fits_memory)
    fe = costs.front_end(device, target)
    to_ms = CORTEX_M4_COREMARK_PER_MHZ / target.coremark_per_mhz / (target.cpu_mhz * 1e3)
    return Feasibility(
        target.name,
        footprint.n_parameters,
        footprint.macc,
        flash,
        ram,
        target.flash_budget,
        target.ram_budget,
        model_cycles.cycles_per_window * to_ms,
        fe.cycles_per_window_hop * to_ms,
        frontend.window_hop_samples / frontend.sample_rate * 1e3,
        max_duty_cycle,
        model_cycles.source,
        fe.source,
        model_cycles.linker_verdict,
        time.perf_counter() - started,
        model_cycles.linker_fits,
        costs.margin,
    )


__all__ = ["DeviceCosts", "Feasibility", "FrontEndNotSupported", "check_untrained"]
