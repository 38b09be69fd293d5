"""The front end on the device: parity with the Python front end on real audio, cycles per
hop and per window (QEMU, Cortex-M4 timing model), and its flash and RAM, for the thesis
log-mel (ESC-50 clip, 22.05 kHz) and the KWS MFCC (Speech Commands clip, 16 kHz).

    python benchmarks/frontend_device.py [--target stm32l476]

Needs the Arm toolchain and QEMU (make toolchain) and ../shared/data.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from soundbench.data.audio import read_audio
from soundbench.data.windows import cut_windows
from soundbench.deploy import codegen, emulator
from soundbench.deploy.device_app import pcm16
from soundbench.deploy.frontend_c import DeviceFrontEnd, build_stream_firmware, run_stream
from soundbench.deploy.targets import load_target
from soundbench.features import MFCC, LogMel
from soundbench.project import project_root

ROOT = project_root()
SHARED = ROOT.parent / "shared" / "data"

CASES = {
    "log-mel 22.05 kHz, n_fft 1024, hop 512, 60 mels, 31 frames (thesis)": (
        LogMel(framing="stream"),
        SHARED / "esc50" / "audio",
        30.0,
    ),
    "MFCC 16 kHz, n_fft 512, hop 256, 40 mels, 10 MFCC, 49 frames (KWS)": (
        MFCC(framing="stream", sample_rate=16000, n_mfcc=10, n_fft=512, hop_length=256, n_mels=40, window_frames=49),
        SHARED / "speechcommands",
        30.0,
    ),
}


def real_audio(folder: Path, sample_rate: int, seconds: float) -> np.ndarray:
    """Real clips of ``folder`` back to back, ``seconds`` long."""
    clips, total = [], 0
    for path in sorted(folder.rglob("*.wav")):
        clips.append(read_audio(path, sample_rate).numpy())
        total += len(clips[-1])
        if total >= seconds * sample_rate:
            break
    return np.concatenate(clips)[: int(seconds * sample_rate)]


def measure(frontend, audio: np.ndarray, target, work: Path) -> str:
    frontend.eval()
    device = DeviceFrontEnd.of(frontend)
    pcm = pcm16(audio)
    link = build_stream_firmware(device, target, ROOT, work)
    run = run_stream(link.elf, pcm, device, ROOT, work)
    windows = cut_windows(
        torch.from_numpy(pcm.astype(np.float32) / 32768), frontend.window_samples, frontend.window_hop_samples
    )[: len(run.features)]
    with torch.no_grad():
        host = frontend(windows).squeeze(1).numpy()
    diff = np.abs(run.features - host).max()
    hop_ms = device.hop / device.sample_rate * 1e3
    hop_cpu_ms = run.cycles_per_hop / (target.cpu_mhz * 1e3)
    memory = device.memory()
    return (
        f"{diff:.1e} ({len(run.features)} windows) | {run.cycles_per_hop / 1e3:,.1f} k | "
        f"{run.cycles_per_window / 1e3:,.1f} k | "
        f"{hop_cpu_ms:.2f} ms / {hop_ms:.1f} ms ({hop_cpu_ms / hop_ms:.1%}) | "
        f"{memory.table_bytes / 1024:.1f} KiB tables, .text {link.sections['text'] / 1024:.1f} KiB | "
        f"{memory.ram_bytes(False) / 1024:.1f} KiB ({memory.scratch_bytes / 1024:.1f} KiB of it FFT scratch, "
        "shareable with the model's arena)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default="stm32l476")
    args = parser.parse_args()
    missing = codegen.toolchain_missing() or emulator.emulator_missing()
    if missing:
        sys.exit(missing)
    target = load_target(args.target, ROOT)
    print(f"Front end on the device, {target.name} ({target.cpu_mhz:g} MHz), real audio streamed as int16 PCM\n")
    print(
        "| front end | max abs diff vs Python (standardised) | cycles per hop | cycles per window | per hop at "
        f"{target.cpu_mhz:g} MHz / hop | flash | RAM (state, DMA double buffer, FFT scratch) |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, (frontend, folder, seconds) in CASES.items():
        if not folder.is_dir():
            print(f"| {name} | skipped: {folder} is absent | | | | | |")
            continue
        with tempfile.TemporaryDirectory() as work:
            audio = real_audio(folder, frontend.sample_rate, seconds)
            print(f"| {name} | {measure(frontend, audio, target, Path(work))} |", flush=True)


if __name__ == "__main__":
    main()
