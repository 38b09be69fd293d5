"""Microcontroller board profiles (``conf/target/<name>.yaml``): memory, clock and core,
and the share of flash/RAM the model may use (the rest belongs to the application)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from omegaconf import OmegaConf

KIB = 1024
#: the firmware's stack: reserved by the linker script, so it counts against the RAM budget
STACK_BYTES = 4096


@dataclass(frozen=True)
class Target:
    name: str
    board: str
    core: str  # e.g. cortex-m4
    cpu_mhz: float
    flash_bytes: int
    ram_bytes: int
    budget_fraction: float = 1.0  # share of flash and RAM the model may take
    coremark_per_mhz: float = 3.40  # Arm's published CoreMark/MHz for the core (latency scaling)

    @property
    def flash_budget(self) -> int:
        return int(self.flash_bytes * self.budget_fraction)

    @property
    def ram_budget(self) -> int:
        return int(self.ram_bytes * self.budget_fraction)


def target_dir(root: str | Path) -> Path:
    return Path(root) / "conf" / "target"


def available_targets(root: str | Path) -> list[str]:
    return sorted(p.stem for p in target_dir(root).glob("*.yaml"))


def load_target(name: str, root: str | Path) -> Target:
    path = target_dir(root) / f"{name}.yaml"
    if not path.is_file():
        raise ValueError(
            f"unknown target {name!r}; available: {', '.join(available_targets(root))} "
            f"(add a board as {target_dir(root)}/<name>.yaml)"
        )
    return target_from_config(OmegaConf.to_container(OmegaConf.load(path), resolve=True))


def target_from_config(cfg: dict) -> Target:
    return Target(**cfg)
