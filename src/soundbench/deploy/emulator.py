"""Run the firmware in QEMU (netduinoplus2: STM32F405, Cortex-M4F), feed it real test
windows over semihosting, compare its outputs with onnxruntime's, and count the
instructions the model executes, per layer.

Instruction counts come from a small QEMU plugin (``embedded/qemu/insn_count.c``) that
counts each instruction executed between the firmware's ``sb_marker_start`` and
``sb_marker_stop``, split at every ``sb_layer_done`` the model calls after a layer. Cycles
follow from the Cortex-M4 timing of each instruction class (Arm Cortex-M4 Technical
Reference Manual, "Instruction set summary"). Given the target's flash memory
(:class:`~soundbench.deploy.targets.FlashMemory`), the plugin also models the flash
accelerator (prefetch, instruction and data caches, wait states) and adds the stall cycles
of every fetch and read it does not serve; without it memory is zero-wait. No interrupts.
Every cycle figure is modelled, not measured: QEMU's instruction trace + Cortex-M4 timings
(+ the flash/cache model).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from soundbench.deploy.codegen import TOOLCHAIN_HINT
from soundbench.deploy.targets import FLASH_ORIGIN, FlashMemory

QEMU = "qemu-system-arm"
MACHINE = "netduinoplus2"
#: the end of the STM32 memory map's flash region (code and constants live below it)
FLASH_END = 0x10000000

#: Cortex-M4 cycles per instruction class (Arm Cortex-M4 TRM r0p1, table 3-1 and §3.3.2;
#: FPU table 7-1). A load or store single costs 2, or 1 where it pipelines after a load
#: single (see ``_pipelined``); LDRD/STRD 3; LDM/STM/PUSH/POP/VLDM/VSTM 1 + one per register;
#: a branch taken 1 + 2 for the pipeline refill (the TRM gives 1–3), a conditional branch not
#: taken 1 (see ``_not_taken``); a VMOV of two registers 2. Unaligned loads and stores add
#: 1–2 cycles each, counted by the QEMU plugin from their addresses. STR with an immediate
#: offset is charged 2 although §3.3.2 says its data phase overlaps the next instruction:
#: where the TRM leaves a choice, the estimate leans high.
CYCLES = {
    "alu": 1,
    "multiply": 1,
    "mac": 1,
    "divide": 7,
    "load": 2,
    "store": 2,
    "load_pair": 3,
    "store_pair": 3,
    "load_multiple": 1,
    "store_multiple": 1,
    "branch": 3,
    "fp": 1,
    "fp_mac": 3,
    "fp_divide": 14,
    "fp_load": 2,
    "fp_store": 2,
    "other": 1,
}
_CONDITIONS = "eq|ne|cs|cc|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|hs|lo"
_CONDITIONAL_BRANCH = re.compile(rf"^(b({_CONDITIONS})(\.w|\.n)?|cbn?z(\.n)?)$")
_DIRECT_BRANCH = re.compile(rf"^(b|bl|b({_CONDITIONS})|cbn?z)(\.w|\.n)?$")
_LOAD_SINGLE = re.compile(r"^ldr(b|h|sb|sh|ex)?(\.w|\.n)?$")
_STORE_SINGLE = re.compile(r"^str(b|h)?(\.w|\.n)?$")


def classify(mnemonic: str) -> str:
    m = mnemonic.lower().split(".")[0]
    if m.startswith("v"):
        if m in ("vdiv", "vsqrt"):
            return "fp_divide"
        if m in ("vmla", "vmls", "vfma", "vfms", "vnmla", "vnmls", "vfnma", "vfnms"):
            return "fp_mac"
        if m.startswith(("vldr", "vldm", "vpop")):
            return "fp_load"
        if m.startswith(("vstr", "vstm", "vpush")):
            return "fp_store"
        return "fp"
    if m in ("sdiv", "udiv"):
        return "divide"
    if re.match(r"^(smla|smlal|umlal|smlsd|smlad|smmla|mla|mls|umaal|smlaw)", m):
        return "mac"
    if re.match(r"^(mul|smul|umul|smmul|smuad|smusd)", m):
        return "multiply"
    if m.startswith(("ldm", "pop")):
        return "load_multiple"
    if m.startswith(("stm", "push")):
        return "store_multiple"
    if m.startswith("ldrd"):
        return "load_pair"
    if m.startswith("strd"):
        return "store_pair"
    if m.startswith("ldr") or m.startswith("ldrex"):
        return "load"
    if m.startswith("str"):
        return "store"
    if re.match(r"^(b|bl|blx|bx|cbz|cbnz|tbb|tbh)(eq|ne|cs|cc|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|hs|lo|al)?(\.w|\.n)?$", m):
        return "branch"
    return "alu"


@dataclass
class EmulatorRun:
    outputs: np.ndarray  # (windows, classes) as the firmware computed them
    instructions_per_window: float
    cycles_per_window: float  # Cortex-M4 timing model
    class_counts: dict[str, int]  # instructions per class, all windows
    windows: int
    #: per window, by segment: segment k is the model's k-th layer (node order); a last
    #: segment after the final layer marker holds the model's return
    segment_instructions: list[float] = field(default_factory=list)
    segment_cycles: list[float] = field(default_factory=list)
    segment_stalls: list[float] = field(default_factory=list)  # of segment_cycles, per window: flash wait states
    #: of segment_cycles, per window: the extra cycles of unaligned loads and stores
    segment_unaligned: list[float] = field(default_factory=list)

    @property
    def stall_cycles_per_window(self) -> float:
        """Of cycles_per_window: the flash wait states the memory model did not hide."""
        return sum(self.segment_stalls)

    @property
    def zero_wait_cycles_per_window(self) -> float:
        return self.cycles_per_window - self.stall_cycles_per_window


def timing_label(memory: FlashMemory | None) -> str:
    """What a cycle figure is: always modelled, with or without the memory system."""
    return "modelled: QEMU instruction trace + Cortex-M4 timings" + (
        " + flash/cache model" if memory else ", zero-wait memory"
    )


def emulator_missing() -> str | None:
    return (
        None if shutil.which(QEMU) and shutil.which("arm-none-eabi-objdump") else f"{QEMU} not found; {TOOLCHAIN_HINT}"
    )


def build_plugin(root: str | Path, out_dir: str | Path) -> Path:
    plugin = Path(out_dir) / "libinsn_count.so"
    source = Path(root) / "embedded" / "qemu" / "insn_count.c"
    subprocess.run(
        ["cc", "-O2", "-shared", "-fPIC", "-o", str(plugin), str(source)], check=True, capture_output=True, text=True
    )
    return plugin


def run_firmware(
    elf: Path,
    windows: np.ndarray,
    n_outputs: int,
    root: str | Path,
    work_dir: str | Path,
    timeout_s: float = 600,
    memory: FlashMemory | None = None,
) -> EmulatorRun:
    """Feed ``windows`` (float32, one model input each) through the firmware in QEMU;
    ``memory``: the target's flash, whose stalls the cycles then include."""
    work_dir = Path(work_dir).resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    np.ascontiguousarray(windows, dtype="<f4").tofile(work_dir / "windows.bin")
    (work_dir / "logits.bin").unlink(missing_ok=True)
    counts = run_with_markers(elf, root, work_dir, timeout_s, memory)
    outputs = np.fromfile(work_dir / "logits.bin", dtype="<f4").reshape(-1, n_outputs)
    n = len(outputs)
    return EmulatorRun(
        outputs,
        counts.instructions / n,
        counts.cycles / n,
        counts.per_class,
        n,
        [i / n for i in counts.segment_instructions],
        [c / n for c in counts.segment_cycles],
        [s / n for s in counts.segment_stalls],
        [u / n for u in counts.segment_unaligned],
    )


@dataclass
class MarkedCounts:
    """Instructions and modelled Cortex-M4 cycles executed between the firmware's
    sb_marker_start/stop calls, over the whole run, by segment (split at sb_layer_done)."""

    per_class: dict[str, int]
    segment_instructions: list[float]
    segment_cycles: list[float]  # including the memory model's stalls, when it ran
    segment_stalls: list[float] = field(default_factory=list)  # flash wait-state cycles, by segment
    segment_unaligned: list[float] = field(default_factory=list)  # unaligned-access cycles, by segment

    @property
    def instructions(self) -> float:
        return sum(self.segment_instructions)

    @property
    def cycles(self) -> float:
        return sum(self.segment_cycles)


def run_with_markers(
    elf: Path, root: str | Path, work_dir: Path, timeout_s: float = 600, memory: FlashMemory | None = None
) -> MarkedCounts:
    """Run ``elf`` in QEMU in ``work_dir`` (its semihosting files are there) with the
    instruction-count plugin on the marked region (and its flash model, given ``memory``)."""
    missing = emulator_missing()
    if missing:
        raise RuntimeError(missing)
    symbols = _symbols(elf)
    counts_file = work_dir / "insn_counts.txt"
    plugin = build_plugin(root, work_dir)
    markers = f"start={symbols['sb_marker_start']:#x},stop={symbols['sb_marker_stop']:#x}"
    if "sb_layer_done" in symbols:
        markers += f",layer={symbols['sb_layer_done']:#x}"
    if memory:
        markers += "," + _memory_arguments(memory)
    _run_qemu(elf, work_dir, timeout_s, "-plugin", f"{plugin},{markers},out={counts_file}")
    code = _disassembly(elf)
    flow = _ControlFlow.of(code)
    per_class, instructions, cycles = Counter(), [], []
    executions, stalls, unaligned = _executions(counts_file)
    for executed, extra in zip(executions, unaligned):
        classes = _instruction_classes(code, executed)
        per_class.update(classes)
        instructions.append(sum(classes.values()))
        cycles.append(_cycles(classes, code, executed, flow) + extra)
    return MarkedCounts(dict(per_class), instructions, [c + s for c, s in zip(cycles, stalls)], stalls, unaligned)


def _memory_arguments(memory: FlashMemory) -> str:
    """The plugin's flash model: the STM32 flash region (code, weights, tables) and the target's accelerator."""
    return (
        f"flash={FLASH_ORIGIN:#x}:{FLASH_END:#x},ws={memory.wait_states},word={memory.word_bytes},"
        f"icache={memory.icache_bytes},dcache={memory.dcache_bytes},ways={memory.ways}"
    )


def _run_qemu(elf: Path, work_dir: Path, timeout_s: float, *plugin: str) -> subprocess.CompletedProcess:
    """Run ``elf`` on the emulated board in ``work_dir`` (its semihosting files are there);
    a non-zero exit is an error with QEMU's output."""
    missing = emulator_missing()
    if missing:
        raise RuntimeError(missing)
    command = [
        QEMU,
        "-M",
        MACHINE,
        "-nographic",
        "-monitor",
        "none",
        "-serial",
        "none",
        "-semihosting-config",
        "enable=on,target=native",
        "-kernel",
        str(elf.resolve()),
        *plugin,
    ]
    result = subprocess.run(command, cwd=work_dir, capture_output=True, text=True, timeout=timeout_s)
    if result.returncode != 0:
        raise RuntimeError(f"firmware exited with {result.returncode} in QEMU: {result.stdout}{result.stderr}".strip())
    return result


def run_console(elf: Path, work_dir: Path, timeout_s: float = 120) -> str:
    """Run ``elf`` in QEMU and return what it wrote to the semihosting console (QEMU puts it
    on stderr, with any warnings of its own)."""
    result = _run_qemu(elf, work_dir, timeout_s)
    return result.stdout + result.stderr


def _cycles(per_class: Counter, code: dict[int, tuple[str, str]], executed: Counter, flow: _ControlFlow) -> float:
    """Cycles of one segment: the class costs, then what the TRM gives back or adds."""
    return (
        sum(CYCLES[c] * n for c, n in per_class.items())
        + _register_transfer_cycles(code, executed)
        - (CYCLES["branch"] - 1) * _not_taken(code, executed, flow)
        - (CYCLES["load"] - 1) * _pipelined(code, executed, flow)
        + _two_register_vmovs(code, executed)
    )


@dataclass(frozen=True)
class _ControlFlow:
    """The static layout the cycle corrections need: each instruction's successor in memory
    and every address a direct branch can jump to."""

    following: dict[int, int]
    preceding: dict[int, int]
    targets: frozenset[int]

    @classmethod
    def of(cls, code: dict[int, tuple[str, str]]) -> _ControlFlow:
        addresses = sorted(code)
        targets = set()
        for mnemonic, operands in code.values():
            if _DIRECT_BRANCH.match(mnemonic.lower()):
                target = re.search(r"([0-9a-f]+)\s*<", operands)
                if target:
                    targets.add(int(target.group(1), 16))
        return cls(dict(zip(addresses, addresses[1:])), dict(zip(addresses[1:], addresses)), frozenset(targets))


def _not_taken(code: dict[int, tuple[str, str]], executed: Counter, flow: _ControlFlow) -> int:
    """Executions of conditional branches that fell through. The instruction after a
    conditional branch is reached only by falling through, unless some branch targets it:
    then its count is not the branch's, and every execution is charged as taken."""
    count = 0
    for address, n in executed.items():
        mnemonic = code.get(address, ("", ""))[0].lower()
        if not _CONDITIONAL_BRANCH.match(mnemonic):
            continue
        following = flow.following.get(address)
        if following is not None and following not in flow.targets:
            count += min(n, executed.get(following, 0))
    return count


def _pipelined(code: dict[int, tuple[str, str]], executed: Counter, flow: _ControlFlow) -> int:
    """Executions of load/store singles that follow a load single whose result does not form
    their address (TRM §3.3.2: one cycle is removed from the second). Only instructions no
    branch targets count, so the one before is always what ran before."""
    count = 0
    for address, n in executed.items():
        mnemonic, operands = code.get(address, ("", ""))
        if address in flow.targets or not (
            _LOAD_SINGLE.match(mnemonic.lower()) or _STORE_SINGLE.match(mnemonic.lower())
        ):
            continue
        before = code.get(flow.preceding.get(address, -1), ("", ""))
        if not _LOAD_SINGLE.match(before[0].lower()):
            continue
        loaded = before[1].split(",")[0].strip()
        if loaded == "pc" or loaded in _address_registers(operands):
            continue
        count += n
    return count


def _address_registers(operands: str) -> set[str]:
    inside = re.search(r"\[([^\]]*)\]", operands)
    return {part.strip().split()[0] for part in inside.group(1).split(",")} if inside else set()


def _two_register_vmovs(code: dict[int, tuple[str, str]], executed: Counter) -> int:
    """VMOV of two core registers to or from two singles (or a double): 2 cycles, one more
    than the class cost (FPU table 7-1)."""
    return sum(
        n
        for address, n in executed.items()
        if code.get(address, ("", ""))[0].lower().startswith("vmov") and code[address][1].count(",") >= 2
    )


def _symbols(elf: Path) -> dict[str, int]:
    output = subprocess.run(["arm-none-eabi-nm", str(elf)], capture_output=True, text=True, check=True).stdout
    table = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 3:
            table[parts[2]] = int(parts[0], 16) & ~1  # Thumb function addresses carry bit 0
    return table


def _disassembly(elf: Path) -> dict[int, tuple[str, str]]:
    """address → (mnemonic, operands)."""
    output = subprocess.run(
        ["arm-none-eabi-objdump", "-d", "--no-show-raw-insn", str(elf)], capture_output=True, text=True, check=True
    ).stdout
    table = {}
    for line in output.splitlines():
        match = re.match(r"^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$", line)
        if match:
            table[int(match.group(1), 16)] = (match.group(2), match.group(3))
    return table


def _executions(counts_file: Path) -> tuple[list[Counter], list[float], list[float]]:
    """Per segment: address → executions (all windows), the flash stall cycles and the
    unaligned-access cycles (all windows)."""
    segments: dict[int, Counter] = {}
    stalls: dict[int, float] = {}
    unaligned: dict[int, float] = {}
    for line in counts_file.read_text().splitlines():
        fields = line.split()
        if fields[0] == "stall":
            stalls[int(fields[1])] = float(int(fields[2]) + int(fields[3]))
            continue
        if fields[0] == "unaligned":
            unaligned[int(fields[1])] = float(fields[2])
            continue
        segment, address, count = fields
        # retranslated blocks repeat an address
        segments.setdefault(int(segment), Counter())[int(address, 16)] += int(count)
    n = max(segments, default=-1) + 1
    return (
        [segments.get(k, Counter()) for k in range(n)],
        [stalls.get(k, 0.0) for k in range(n)],
        [unaligned.get(k, 0.0) for k in range(n)],
    )


def _instruction_classes(code: dict[int, tuple[str, str]], executed: Counter) -> Counter:
    per_class = Counter()
    for address, count in executed.items():
        per_class[classify(code[address][0]) if address in code else "other"] += count
    return per_class


def _register_transfer_cycles(code: dict[int, tuple[str, str]], executed: Counter) -> int:
    """Extra cycles of LDM/STM/PUSH/POP/VLDM/VSTM: one per register moved."""
    extra = 0
    for address, count in executed.items():
        mnemonic, operands = code.get(address, ("", ""))
        if classify(mnemonic) in ("load_multiple", "store_multiple") or mnemonic.startswith(
            ("vpush", "vpop", "vldm", "vstm")
        ):
            extra += count * _register_count(operands)
    return extra


def _register_count(operands: str) -> int:
    match = re.search(r"\{([^}]*)\}", operands)
    if not match:
        return 1
    count = 0
    for part in match.group(1).split(","):
        part = part.strip()
        bounds = re.match(r"^[rsd](\d+)-[rsd](\d+)$", part)
        count += int(bounds.group(2)) - int(bounds.group(1)) + 1 if bounds else 1
    return count
