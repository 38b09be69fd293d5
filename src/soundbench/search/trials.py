"""What a search records per trial: its overrides, its fit on the board (checked before any
training), why it was rejected, and what training gave."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from soundbench.deploy.feasibility import Feasibility
from soundbench.deploy.results import DeployReport

#: the objectives a search can optimise, their directions and the trial attribute they read
OBJECTIVES = {
    "accuracy": ("maximize", "val_accuracy"),
    "latency": ("minimize", "latency_ms"),
    "ram": ("minimize", "ram_kib"),
    "flash": ("minimize", "flash_kib"),
}


@dataclass(frozen=True)
class DeployedCheck:
    """A front member really deployed: does the trained model keep the promise its check
    made before training?"""

    fits: bool  # the budgets, the linker (model, and front end + model) and the duty cycle
    flash_kib: float  # int8 weights + front-end tables
    ram_kib: float  # activations + front-end buffers + stack
    duty_cycle: float
    latency_source: str
    linker: str
    int8_test_accuracy: float
    report: str  # the deploy report's path

    @classmethod
    def of(cls, report: DeployReport, max_duty_cycle: float, folder: Path) -> DeployedCheck:
        flash, ram = report.footprint.int8.budgets  # ModelFootprint.budgets: flash, then RAM
        linked = [
            r.linker_fits for r in (report.firmware, report.front_end) if r is not None and r.linker_fits is not None
        ]
        fits = report.footprint.int8.fits and all(linked) and report.latency.duty_cycle < max_duty_cycle
        return cls(
            fits,
            flash.need / 1024,
            ram.need / 1024,
            report.latency.duty_cycle,
            report.latency.cycles_per_macc_source,
            _linker_verdict(linked, report.firmware.skipped),
            report.accuracy.int8,
            str(folder / "report.md"),
        )

    def describe(self) -> str:
        return (
            f"{'fits' if self.fits else 'does NOT fit'} ({self.linker}): {self.ram_kib:.1f} KiB RAM, "
            f"{self.flash_kib:.1f} KiB flash, duty {self.duty_cycle:.0%}, int8 test {self.int8_test_accuracy:.3f}"
        )


def _linker_verdict(linked: list[bool], skipped: str | None) -> str:
    if not linked:
        return f"not linked ({skipped})"
    return "linked into the budget" if all(linked) else "does NOT link into the budget"


@dataclass
class TrialRecord:
    number: int
    overrides: list[str]
    feasibility: Feasibility | None = None
    rejected: str | None = None  # why it never trained (does not fit, cannot keep up, bad config)
    failed: str | None = None  # training raised
    repeat_of: int | None = None  # the same configuration as an earlier trial: its results reused
    val_accuracy: float | None = None  # drives the search
    test_accuracy: float | None = None  # revealed at the end, for the front only (reveal_test)
    cv_test_accuracy: float | None = None  # final.cv: the front's members over every fold
    run_id: str = ""
    checkpoint: str = ""
    train_seconds: float | None = None
    deployed: DeployedCheck | None = None  # final.deploy: what the linker and QEMU said
    #: the test accuracy the job reported, kept out of every table until the search is over
    sealed_test_accuracy: float | None = field(default=None, repr=False)

    def reveal_test(self) -> None:
        self.test_accuracy = self.sealed_test_accuracy

    @property
    def trained(self) -> bool:
        """Trained in this search (a repeat reuses an earlier trial's result instead)."""
        return self.val_accuracy is not None and self.repeat_of is None

    @property
    def latency_ms(self) -> float | None:
        return self.feasibility.latency_ms if self.feasibility else None

    @property
    def duty_cycle_pct(self) -> float | None:
        return 100 * self.feasibility.duty_cycle if self.feasibility else None

    @property
    def ram_kib(self) -> float | None:
        return self.feasibility.ram_bytes / 1024 if self.feasibility else None

    @property
    def flash_kib(self) -> float | None:
        return self.feasibility.flash_bytes / 1024 if self.feasibility else None

    def objective_values(self, objectives: list[str]) -> list[float]:
        return [getattr(self, OBJECTIVES[name][1]) for name in objectives]

    @property
    def status(self) -> str:
        if self.rejected:
            return "rejected"
        if self.failed:
            return "failed"
        if self.repeat_of is not None:
            return "repeat"
        return "trained" if self.trained else "pending"

    def row(self) -> dict:
        """One line of the trials table."""
        fe = self.feasibility
        return {
            "trial": self.number,
            "status": self.status,
            "overrides": " ".join(self.overrides),
            "val_accuracy": self.val_accuracy,
            "test_accuracy": self.test_accuracy,
            "cv_test_accuracy": self.cv_test_accuracy,
            "flash_kib": self.flash_kib,
            "ram_kib": self.ram_kib,
            "latency_ms": self.latency_ms,
            "duty_cycle": fe.duty_cycle if fe else None,
            "macc": fe.macc if fe else None,
            "parameters": fe.n_parameters if fe else None,
            "fits": fe.feasible if fe else None,
            "rejected_reason": self.rejected,
            "latency_source": fe.model_source if fe else None,
            "linker": fe.linker_verdict if fe else None,
            "check_s": fe.seconds if fe else None,
            "train_s": self.train_seconds,
            "repeat_of": self.repeat_of,
            "run_id": self.run_id,
            "failed": self.failed,
            **{f"deployed_{k}": v for k, v in (asdict(self.deployed) if self.deployed else {}).items()},
        }

    def to_dict(self) -> dict:
        fields = {k: v for k, v in asdict(self).items() if k != "sealed_test_accuracy"}
        return {**fields, "feasibility": self.feasibility.to_dict() if self.feasibility else None}
