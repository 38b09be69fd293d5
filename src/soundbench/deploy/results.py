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


@dataclass(frozen=True)
class Footprints(Serializable):
    float32: Footprint
    int8: Footprint


@dataclass(frozen=True)
class KernelPlacement(Serializable):
    """Which layers run on the int8 kernels, which on portable generated C and why."""
    on_kernels: tuple[str, ...]
    portable: tuple[str, ...]


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
    code_path: str
    cycles_per_macc_m4: float
    cycles_per_macc_source: str   # measured in QEMU, or estimated from the kernel table
    cycles_per_macc: float        # on this target, after core scaling
    cpu_mhz: float
    window_ms: float
    clip_ms: float
    windows_per_clip: int
    window_hop_ms: float
    duty_cycle: float

    @property
    def keeps_up(self) -> bool:
        return self.duty_cycle < 1.0


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

    @property
    def fits(self) -> bool:
        """The int8 model fits the budgets, and the linker agrees when it ran."""
        return self.footprint.int8.fits and self.firmware.fits

    def to_dict(self) -> dict:
        return {**super().to_dict(), "fits": self.fits}
