"""Microcontroller board profiles (``conf/target/<name>.yaml``): memory, clock and core,
and the share of flash/RAM the model may use (the rest belongs to the application)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from omegaconf import OmegaConf

KIB = 1024
#: the firmware's stack: reserved by the linker script, so it counts against the RAM budget
STACK_BYTES = 4096


#: where the firmware's linker script puts flash (every STM32 maps it here)
FLASH_ORIGIN = 0x08000000


@dataclass(frozen=True)
class FlashMemory:
    """How the target's flash feeds the core, as the emulator's memory model charges it
    (``embedded/qemu/insn_count.c``): each flash read of ``word_bytes`` not served by the
    instruction prefetch or a cache stalls the core ``wait_states`` cycles (the reference
    manual's wait states at ``cpu_mhz``); SRAM never stalls."""

    wait_states: int
    word_bytes: int = 8  # one flash read (64 bits on the L4)
    icache_bytes: int = 0  # the flash accelerator's instruction cache
    dcache_bytes: int = 0  # its data cache (weights and tables read from flash go through it)
    ways: int = 4  # associativity modelled (the manuals do not state it): LRU within a set
    source: str = ""  # the reference manual sections the numbers come from

    def describe(self) -> str:
        return (
            f"{self.wait_states} flash wait states, {self.word_bytes * 8}-bit flash reads, "
            f"{self.icache_bytes} B instruction cache + prefetch, {self.dcache_bytes} B data cache"
        )


@dataclass(frozen=True)
class BoardClock:
    """How the board's firmware (``deploy ... board=true``) sets the clock the timing model
    assumes: SYSCLK = 4 MHz MSI / pllm × plln / pllr, with ``flash_latency`` wait states;
    ``boost``: voltage range 1 boost mode, which an STM32L4+ needs above 80 MHz (RM0432 §5.1.8)."""

    pllm: int
    plln: int
    pllr: int
    flash_latency: int
    boost: bool = False

    def mhz(self) -> float:
        return 4.0 / self.pllm * self.plln / self.pllr


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
    memory: FlashMemory | None = None  # None: zero-wait memory (no stalls modelled)
    clock: BoardClock | None = None  # None: no board firmware written for it yet

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
    memory, clock = cfg.get("memory"), cfg.get("clock")
    board_clock = BoardClock(**clock) if clock else None
    if board_clock and abs(board_clock.mhz() - cfg["cpu_mhz"]) > 1e-6:
        raise ValueError(
            f"target {cfg.get('name')}: its clock: section gives {board_clock.mhz():g} MHz "
            f"(4 MHz / pllm {board_clock.pllm} × plln {board_clock.plln} / pllr {board_clock.pllr}) but cpu_mhz is "
            f"{cfg['cpu_mhz']}; the board firmware must run at the clock the timing model assumes"
        )
    return Target(**{**cfg, "memory": FlashMemory(**memory) if memory else None, "clock": board_clock})
