"""The whole application on the device: the streaming front end (embedded/frontend, on
CMSIS-DSP) and the int8 model (the generated C on the soundbench kernels) in one firmware
(embedded/app), linked into the target's budget, with the front end's per-hop work buffers
laid over the model's arena when it is large enough (they are dead while the model runs).

In QEMU it reads a recording's int16 PCM one hop at a time and writes class probabilities
per window; the instruction counter splits every hop into the front end's frame, the
window and the model's layers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from soundbench.deploy import codegen, emulator
from soundbench.deploy.cmsis_dsp import cmsis_dsp_root, include_dirs, source_files
from soundbench.deploy.decision_c import EVENT, decision_dir, window_hops, write_config_header
from soundbench.deploy.frontend_c import DeviceFrontEnd, write_sources
from soundbench.deploy.targets import FlashMemory, Target
from soundbench.predict.decision import EventDecision


def app_dir(root: str | Path) -> Path:
    return Path(root) / "embedded" / "app"


@dataclass(frozen=True)
class AppBuild:
    link: codegen.LinkResult
    scratch_in_arena: bool  # the front end's FFT buffers share the model's arena
    decision: bool  # the event decision layer is in the firmware


def build_app_firmware(
    model_dir: Path,
    arena_bytes: int,
    device: DeviceFrontEnd,
    target: Target,
    root: str | Path,
    out_dir: str | Path,
    optimize: str = "-O2",
    decision: tuple[EventDecision, tuple[str, ...]] | None = None,
) -> AppBuild:
    """Link front end + model (``model_dir``: codegen.generate_c's model.c and model_io.h),
    and with ``decision`` (settings, class names) the event decision layer after them."""
    out_dir = Path(out_dir).resolve()
    tables = write_sources(device, out_dir)[1]
    hops = window_hops(device) if decision else None
    if hops:
        write_config_header(*decision, out_dir)
    root = Path(root).resolve()
    frontend, firmware, kernels = root / "embedded" / "frontend", codegen.firmware_dir(root), codegen.kernels_dir(root)
    cmsis = cmsis_dsp_root()
    scratch_in_arena = device.memory().scratch_in_arena(arena_bytes)
    sources = [
        Path(model_dir).resolve() / "model.c",
        tables,
        frontend / "sb_frontend.c",
        app_dir(root) / "app_main.c",
        firmware / "startup.c",
        firmware / "semihosting.c",
        *sorted(kernels.glob("*.c")),
        *source_files(cmsis),
        *([decision_dir(root) / "sb_decision.c"] if hops else []),
    ]
    includes = [
        Path(model_dir).resolve(),
        out_dir,
        frontend,
        frontend / "shim",
        firmware,
        kernels,
        decision_dir(root),
        *include_dirs(cmsis),
    ]
    link = codegen.link(
        sources,
        includes,
        target,
        root,
        out_dir,
        optimize,
        defines=(
            "ARM_MATH_CM4",
            f"SB_APP_SCRATCH_IN_ARENA={int(scratch_in_arena)}",
            f"SB_APP_DECISION={int(bool(hops))}",
            f"SB_APP_WINDOW_HOPS={hops or 1}",
        ),
    )
    return AppBuild(link, scratch_in_arena, bool(hops))


@dataclass(frozen=True)
class AppRun:
    probabilities: np.ndarray  # (windows, classes), softmax on the device
    hops: int
    frontend_cycles_per_hop: float  # the frame of each hop (FFT, power, mel, log)
    frontend_cycles_per_window: float  # the window: dB floor, DCT (MFCC), standardisation
    model_cycles_per_window: float
    instructions_per_hop: float  # everything, averaged over the stream's hops
    events: np.ndarray | None = None  # the decision layer's (decision_c.EVENT records), when built in
    decision_cycles_per_window: float = 0.0  # softmax + decision layer

    @property
    def windows(self) -> int:
        return len(self.probabilities)


def run_app(
    elf: Path,
    pcm: np.ndarray,
    device: DeviceFrontEnd,
    n_classes: int,
    root: str | Path,
    work_dir: str | Path,
    timeout_s: float = 600,
    memory: FlashMemory | None = None,
    decision: bool = False,
) -> AppRun:
    """Stream int16 ``pcm`` (mono, the front end's rate) through the application in QEMU
    (``memory``: the target's flash, whose stalls the cycles then include; ``decision``: the
    firmware has the decision layer, whose events are read back)."""
    work_dir = Path(work_dir).resolve()
    hops = len(pcm) // device.hop
    np.ascontiguousarray(pcm[: hops * device.hop], dtype="<i2").tofile(work_dir / "pcm.bin")
    for output in ("probs.bin", "events.bin"):
        (work_dir / output).unlink(missing_ok=True)
    counts = emulator.run_with_markers(elf, root, work_dir, timeout_s, memory)
    probabilities = np.fromfile(work_dir / "probs.bin", dtype="<f4").reshape(-1, n_classes)
    windows = max(len(probabilities), 1)
    segments = counts.segment_cycles + [0.0, 0.0]  # a stream too short for a window has no segment 1
    model = counts.segment_cycles[2:-1] if decision else counts.segment_cycles[2:]  # decision: the last one
    return AppRun(
        probabilities,
        hops,
        segments[0] / hops,
        segments[1] / windows,
        sum(model) / windows,
        counts.instructions / hops,
        np.fromfile(work_dir / "events.bin", dtype=EVENT) if decision else None,
        counts.segment_cycles[-1] / windows if decision and len(counts.segment_cycles) > 2 else 0.0,
    )


def pcm16(audio: np.ndarray) -> np.ndarray:
    """Float audio in [-1, 1) as the int16 samples a microphone delivers."""
    return np.clip(np.round(np.asarray(audio) * 32768), -32768, 32767).astype(np.int16)
