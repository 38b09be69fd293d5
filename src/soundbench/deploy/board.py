"""A path to real silicon: the deployed model as firmware for the target's board, which sets
the clock tree and flash latency the timing model assumes, times each layer with the DWT
cycle counter and prints the cycles over semihosting (``embedded/board``); and the
comparison of such a printout with the modelled cycles per layer (``layers.csv``).

    python -m soundbench.deploy run=<run> target=stm32l476 board=true   # writes <out>/board/
    python -m soundbench.deploy.board <printout.txt> <deploy folder>    # error per layer

It builds and links here, and runs in QEMU as far as QEMU allows (built with
``SB_BOARD_EMULATED``: QEMU's machine has neither the L4's clock registers nor a DWT counter,
so it prints zeros); running it on a board needs the board and a debugger.
"""

from __future__ import annotations

import argparse
import csv
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from soundbench.deploy import codegen
from soundbench.deploy.targets import Target


@dataclass(frozen=True)
class BoardFirmware:
    folder: Path  # the project: src/, Makefile, the linked board firmware
    board: codegen.LinkResult  # for the board: clock set, DWT timing
    emulated: codegen.LinkResult  # the same with SB_BOARD_EMULATED, for QEMU


def write_board_project(model_c: Path, target: Target, root: str | Path, out_dir: str | Path) -> BoardFirmware:
    """``model_c``: the deploy's generated ``model.c`` (``model_io.h`` beside it)."""
    if target.clock is None:
        raise ValueError(
            f"target {target.name} has no clock: section (PLL and flash latency) in conf/target/{target.name}.yaml; "
            "board firmware is written for boards that have one (stm32l476, stm32l4r5)"
        )
    out_dir = Path(out_dir)
    src = out_dir / "src"
    src.mkdir(parents=True, exist_ok=True)
    root = Path(root)
    firmware = codegen.firmware_dir(root)
    board = root / "embedded" / "board"
    sources = [
        Path(model_c),
        firmware / "startup.c",
        firmware / "semihosting.c",
        *sorted(codegen.kernels_dir(root).glob("*.c")),
        board / "board_main.c",
        board / "board_clock_stm32l4.c",
    ]
    headers = [Path(model_c).parent / "model_io.h", firmware / "semihosting.h", board / "board_clock.h"]
    headers += sorted(codegen.kernels_dir(root).glob("*.h"))
    for path in [*sources, *headers]:
        shutil.copy2(path, src / path.name)
    clock = target.clock
    defines = (
        f"SB_PLLM={clock.pllm}",
        f"SB_PLLN={clock.plln}",
        f"SB_PLLR={clock.pllr}",
        f"SB_FLASH_LATENCY={clock.flash_latency}",
        f"SB_BOOST={int(clock.boost)}",
    )
    copied = sorted(src.glob("*.c"))
    linked = codegen.link(copied, [src], target, root, out_dir, defines=defines)
    emulated = codegen.link(copied, [src], target, root, out_dir / "emulated", defines=(*defines, "SB_BOARD_EMULATED"))
    (out_dir / "Makefile").write_text(_makefile(defines))
    return BoardFirmware(out_dir, linked, emulated)


def _makefile(defines: tuple[str, ...]) -> str:
    flags = " ".join([*codegen.CORTEX_M4F_FLAGS, "-O2", "-std=c99", "-ffunction-sections", "-fdata-sections"])
    return (
        "# Board firmware written by soundbench (python -m soundbench.deploy ... board=true).\n"
        "# make; flash firmware.elf with your debugger, run it with semihosting enabled and save\n"
        "# what it prints; then: python -m soundbench.deploy.board <printout> <deploy folder>\n"
        "CC = arm-none-eabi-gcc\n"
        f"CFLAGS = {flags} {' '.join('-D' + d for d in defines)} -Isrc\n"
        "firmware.elf: $(wildcard src/*.c) link.ld\n"
        "\t$(CC) $(CFLAGS) src/*.c -nostartfiles --specs=nano.specs -Wl,--gc-sections -T link.ld -lm -o $@\n"
    )


@dataclass(frozen=True)
class LayerTiming:
    node: str
    runs_on: str
    modelled: float  # cycles, from layers.csv
    measured: float  # cycles, from the board's printout

    @property
    def error(self) -> float:
        """How far the model is from the board: (modelled - measured) / measured."""
        return (self.modelled - self.measured) / self.measured if self.measured else float("nan")


def read_printout(text: str) -> tuple[list[int], int | None]:
    """The board's ``layer <k> <cycles>`` lines (in order) and its ``total <cycles>``."""
    layers: dict[int, int] = {}
    total = None
    for line in text.splitlines():
        if match := re.fullmatch(r"\s*layer (\d+) (\d+)\s*", line):
            layers[int(match[1])] = int(match[2])
        elif match := re.fullmatch(r"\s*total (\d+)\s*", line):
            total = int(match[1])
    if not layers:
        raise ValueError("no 'layer <k> <cycles>' lines: is this the board firmware's printout?")
    return [layers[k] for k in range(max(layers) + 1) if k in layers], total


def compare(printout: str, deploy_dir: str | Path) -> list[LayerTiming]:
    """Per layer (node order, as the model calls the layer marker): modelled vs measured cycles."""
    path = Path(deploy_dir) / "layers.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: give the folder python -m soundbench.deploy wrote (it holds layers.csv)")
    with path.open() as f:
        rows = [r for r in csv.DictReader(f) if r["precision"] == "int8"]
    measured, _ = read_printout(printout)
    if len(measured) < len(rows):
        raise ValueError(f"the printout has {len(measured)} layers, {path} {len(rows)}: not the same model?")
    return [
        LayerTiming(r["node"], r["runs_on"], float(r["cycles"] or 0), float(m))
        for r, m in zip(rows, measured[: len(rows)])
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description="Compare a board's printed cycles per layer with the modelled ones.")
    parser.add_argument("printout", type=Path, help="what the board firmware printed (layer/total lines)")
    parser.add_argument("deploy_dir", type=Path, help="the deploy folder of that model (layers.csv)")
    args = parser.parse_args()
    text = args.printout.read_text()
    timings = compare(text, args.deploy_dir)
    print("| layer | runs on | modelled cycles | measured cycles | model error |\n|---|---|---|---|---|")
    for t in timings:
        print(f"| {t.node} | {t.runs_on} | {t.modelled:,.0f} | {t.measured:,.0f} | {t.error:+.1%} |")
    modelled, measured = sum(t.modelled for t in timings), sum(t.measured for t in timings)
    print(f"| **all layers** | | {modelled:,.0f} | {measured:,.0f} | {(modelled - measured) / measured:+.1%} |")


if __name__ == "__main__":
    main()
