"""The deploy report's parts as typed results: each step of :func:`soundbench.deploy.run.deploy`
returns one, and :class:`DeployReport` holds them. The JSON form (report.json, the DVC
stages' deploy.json, MLflow) is ``to_dict()`` and reads back with ``from_dict()``: the
schema is these classes and nowhere else, so a renamed field fails where it is used, by
name, not as a missing string key in another stage."""

from __future__ import annotations

import types
from dataclasses import asdict, dataclass, fields, is_dataclass
from typing import Any, Union, get_args, get_origin, get_type_hints

import numpy as np

from soundbench.artifacts.onnx_export import compare_logits


class Serializable:
    """``to_dict`` / ``from_dict`` for a dataclass of numbers, strings, tuples, dicts and
    other such dataclasses."""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict):
        hints = get_type_hints(cls)
        return cls(**{f.name: _convert(hints[f.name], data[f.name]) for f in fields(cls) if f.name in data})


def _convert(kind, value):
    if value is None:
        return None
    if get_origin(kind) in (Union, types.UnionType):
        kind = next((a for a in get_args(kind) if a is not type(None)), kind)
    if is_dataclass(kind):
        return kind.from_dict(value)
    if get_origin(kind) is tuple:
        return tuple(_convert(get_args(kind)[0], v) for v in value)
    return value


@dataclass(frozen=True)
class Parity(Serializable):
    """Two models' logits on the same windows."""

    max_abs_diff: float
    argmax_agreement: float

    @classmethod
    def of(cls, expected: np.ndarray, got: np.ndarray) -> Parity:
        return cls(**compare_logits(expected, got))

    @property
    def bit_exact(self) -> bool:
        return self.max_abs_diff == 0.0


@dataclass(frozen=True)
class Accuracy(Serializable):
    """Clip accuracy of the exported models on the run's test split (mean voting)."""

    float32: float
    int8: float
    test_clips: int
    test_windows: int

    @property
    def windows_per_clip(self) -> int:
        return int(round(self.test_windows / self.test_clips))


@dataclass(frozen=True)
class BudgetCheck(Serializable):
    what: str
    need: int
    budget: int
    fits: bool
    verdict: str


@dataclass(frozen=True)
class Footprint(Serializable):
    """One precision's size against the board's budgets."""

    n_parameters: int
    macc: int
    flash_bytes: int
    ram_bytes: int
    ram_lower_bound_bytes: int
    budgets: tuple[BudgetCheck, ...]

    @property
    def fits(self) -> bool:
        return all(b.fits for b in self.budgets)

    @property
    def flash_need(self) -> int:
        """Flash the budget check counts: weights, plus the front end's tables when it is on the device."""
        return self.budgets[0].need  # ModelFootprint.budgets: flash first, then RAM

    @property
    def ram_need(self) -> int:
        """RAM the budget check counts: the arena, the front end's buffers when it is on the device, the stack."""
        return self.budgets[1].need


@dataclass(frozen=True)
class Footprints(Serializable):
    float32: Footprint
    int8: Footprint


@dataclass(frozen=True)
class KernelPlacement(Serializable):
    """Which layers run on the int8 kernels, which on portable generated C and why."""

    on_kernels: tuple[str, ...]
    portable: tuple[str, ...]
    #: convolutions whose weight tables are copied into SRAM before they run ("node (bytes B)")
    staged: tuple[str, ...] = ()
    #: convolutions whose weights stay in flash because staging them would break the RAM budget
    weights_in_flash: tuple[str, ...] = ()


@dataclass(frozen=True)
class LayerTime(Serializable):
    node: str
    op_type: str
    runs_on: str
    cycles: float
    share: float
    macc: int
    cycles_per_macc: float | None = None


@dataclass(frozen=True)
class Latency(Serializable):
    """Time on the target. ``window_ms`` is the network's; the front end's work for one
    window hop (its frames and the window) is ``frontend_ms``, and the duty cycle counts both."""

    code_path: str
    cycles_per_macc_m4: float
    cycles_per_macc_source: str  # modelled from QEMU's trace, or estimated from the kernel table
    cycles_per_macc: float  # on this target, after core scaling
    cpu_mhz: float
    window_ms: float
    clip_ms: float
    windows_per_clip: int
    window_hop_ms: float
    duty_cycle: float  # (front end + network) per window hop / window hop
    frontend_ms: float | None = None  # per window hop; None: not measured (see frontend_source)
    frontend_source: str = ""
    margin: float = 0.0  # safety margin on the modelled figures: keeps up when duty × (1 + margin) < 1
    memory_model: str = ""  # the flash/cache model the cycles include

    @property
    def keeps_up(self) -> bool:
        return self.duty_cycle * (1 + self.margin) < 1.0

    @property
    def network_duty_cycle(self) -> float:
        return self.window_ms / self.window_hop_ms

    @property
    def total_ms(self) -> float:
        """Compute per window hop: front end (when measured) + network."""
        return self.window_ms + (self.frontend_ms or 0.0)


@dataclass(frozen=True)
class FrontEndCost(Serializable):
    """The streaming front end on the device (embedded/frontend, CMSIS-DSP): its memory,
    planned and (when linked) measured, and its cycles (when run in the emulator)."""

    features: str  # what it computes, e.g. "logmel 22050 Hz, n_fft 1024, hop 512, 60 mels"
    planned_ram_bytes: int  # samples + mel ring + PCM block (+ FFT scratch unless it shares the arena)
    scratch_bytes: int  # FFT buffers of one hop
    scratch_in_arena: bool  # laid over the model's arena (dead while the model runs)
    table_bytes: int  # window, filterbank, DCT, FFT twiddles and bit reversal: flash
    hops_per_window_hop: int
    hop_ms: float
    linker_fits: bool | None = None  # the application (front end + model) linked into the budget
    linker_verdict: str | None = None
    linker_flash_bytes: int | None = None  # the application's sections minus the model-only firmware's
    linker_ram_bytes: int | None = None
    cycles_per_hop: float | None = None  # the frame of each hop, Cortex-M4 timing model
    cycles_per_window: float | None = None  # the window: floor, DCT, standardisation
    skipped: str | None = None  # why the application was not built or run

    @property
    def cycles_per_window_hop(self) -> float | None:
        if self.cycles_per_hop is None or self.cycles_per_window is None:
            return None
        return self.hops_per_window_hop * self.cycles_per_hop + self.cycles_per_window


@dataclass(frozen=True)
class EndToEnd(Serializable):
    """The application in the emulator (PCM in, probabilities per window out) against host
    ``predict`` with the int8 bundle on the same recording, window by window."""

    recording: str
    recording_s: float
    windows: int
    argmax_agreement: float
    max_abs_diff_probability: float
    model_cycles_per_window: float
    # the event decision layer after the model (embedded/decision) against host predict's
    decision: str = ""  # its settings (JSON), or why it is not in the firmware
    host_events: int = 0
    device_events: int = 0
    event_agreement: float = float("nan")  # matching events (label, first and last window) / the longer list
    event_max_abs_diff_probability: float = float("nan")
    decision_cycles_per_window: float = 0.0  # softmax + decision layer, modelled as the model's cycles
    decision_ram_bytes: int = 0


@dataclass(frozen=True)
class EmulatorCheck(Serializable):
    """The firmware's run in QEMU against onnxruntime's int8 outputs."""

    emulator: str
    windows: int
    max_abs_diff_vs_onnxruntime: float
    argmax_agreement: float
    bit_exact: bool
    instructions_per_window: float
    cycles_per_window_m4: float
    instructions_per_macc: float
    cycles_per_macc: float
    instruction_mix: dict[str, Any]
    zero_wait_cycles_per_window_m4: float = 0.0  # the same trace with no flash stalls (all memory zero-wait)


@dataclass(frozen=True)
class FirmwareResult(Serializable):
    """The C code + linker + emulator check; ``skipped`` says why when it did not run."""

    skipped: str | None = None
    linker_fits: bool | None = None
    linker_verdict: str | None = None
    sections: dict[str, Any] | None = None
    flash_bytes: int | None = None
    ram_bytes: int | None = None
    c_source: str | None = None
    run: EmulatorCheck | None = None

    @property
    def fits(self) -> bool:
        """False only when the linker ran and refused the budget."""
        return self.linker_fits is not False


@dataclass(frozen=True)
class DeployReport(Serializable):
    model: str
    target: str
    board: str
    run_id: str
    checkpoint: str
    dataset: str
    fold: int | None
    onnx_parity: Parity
    accuracy: Accuracy
    int8_vs_float: Parity
    footprint: Footprints
    kernels: KernelPlacement
    firmware: FirmwareResult
    slowest_layers: tuple[LayerTime, ...]
    latency: Latency
    front_end: FrontEndCost | None = None  # None: the front end does not run on the device
    front_end_not_on_device: str | None = None  # why (waveform input, a setting the C code lacks)
    end_to_end: EndToEnd | None = None

    @property
    def fits(self) -> bool:
        """The int8 model (with the front end when it is on the device) fits the budgets,
        and the linker agrees when it ran."""
        app_fits = self.front_end is None or self.front_end.linker_fits is not False
        return self.footprint.int8.fits and self.firmware.fits and app_fits

    def to_dict(self) -> dict:
        return {**super().to_dict(), "fits": self.fits}
