"""The front end on the device: CMSIS-DSP streaming firmware in QEMU computes the same
features as the Python front end (framing=stream) on real audio, window for window."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
import torch

from soundbench.data.audio import read_audio
from soundbench.data.windows import cut_windows
from soundbench.deploy import codegen, emulator
from soundbench.deploy.frontend_c import DeviceFrontEnd, FrontEndNotSupported, build_stream_firmware, run_stream
from soundbench.deploy.targets import load_target
from soundbench.features import MFCC, LogMel, Mel, Waveform
from tests.conftest import ROOT

needs_toolchain = pytest.mark.skipif(
    bool(codegen.toolchain_missing() or emulator.emulator_missing()),
    reason="Arm toolchain / QEMU not installed (make toolchain installs them)",
)

FRONT_ENDS = {
    "logmel 22.05 kHz (thesis)": LogMel(framing="stream"),
    "mfcc 16 kHz (KWS)": MFCC(
        framing="stream", sample_rate=16000, n_mfcc=10, n_fft=512, hop_length=256, n_mels=40, window_frames=49
    ),
}
#: window hops the device runs (an event decision layer's tuned hop: a division of the trained one)
HOP_DIVISIONS = {"logmel 22.05 kHz (thesis)": 1, "mfcc 16 kHz (KWS)": 4}


@pytest.mark.slow
@needs_toolchain
@pytest.mark.parametrize("name", sorted(FRONT_ENDS))
def test_device_features_equal_the_python_front_end_on_real_audio(name, esc50, tmp_path):
    frontend = FRONT_ENDS[name].eval()
    audio = read_audio(sorted((esc50 / "audio").glob("*.wav"))[3], frontend.sample_rate).numpy()
    pcm = np.clip(np.round(audio * 32768), -32768, 32767).astype(np.int16)  # what a microphone delivers
    hop = frontend.window_hop_samples // HOP_DIVISIONS[name]
    device = DeviceFrontEnd.of(frontend).with_window_hop(hop)
    link = build_stream_firmware(device, load_target("stm32l476", ROOT), ROOT, tmp_path)
    assert link.fits
    run = run_stream(link.elf, pcm, device, ROOT, tmp_path)
    windows = cut_windows(torch.from_numpy(pcm.astype(np.float32) / 32768), frontend.window_samples, hop)
    complete = (len(pcm) - frontend.window_samples) // hop + 1
    assert len(run.features) == complete >= 8  # one window per window hop once the ring is full
    host = frontend(windows[:complete]).squeeze(1).detach().numpy()
    assert np.abs(run.features - host).max() <= 1e-3  # standardised units
    assert 0 < run.cycles_per_hop < 0.5 * 80e6 * device.hop / device.sample_rate  # well inside real time
    # the memory the deploy report plans is what the linker places
    sizes, memory = symbol_sizes(link.elf), device.memory()
    assert sizes["frontend"] + sizes["rfft"] == memory.state_bytes
    assert sizes["dma"] == memory.dma_bytes and sizes["scratch"] == memory.scratch_bytes
    tables = [name for name in sizes if name.startswith(("sb_fe_", "twiddleCoef", "armBitRevIndexTable"))]
    assert sum(sizes[name] for name in tables) == memory.table_bytes
    # one FFT length's tables only: the size's own init keeps the other sizes out of flash
    assert sum(name.startswith("twiddleCoef") for name in tables) == 2


def symbol_sizes(elf) -> dict[str, int]:
    listing = subprocess.run(["arm-none-eabi-nm", "-S", str(elf)], capture_output=True, text=True, check=True).stdout
    return {parts[3]: int(parts[1], 16) for parts in map(str.split, listing.splitlines()) if len(parts) == 4}


def test_a_window_hop_off_the_frame_grid_is_refused():
    device = DeviceFrontEnd.of(FRONT_ENDS["mfcc 16 kHz (KWS)"])  # frames every 256 samples
    assert device.with_window_hop(512).window_hop_frames == 2
    with pytest.raises(ValueError, match="hop_samples=300 is not a whole number of feature frames"):
        device.with_window_hop(300)


@pytest.mark.parametrize(
    "frontend, setting",
    [
        (LogMel(), "features.framing=centered"),
        (Waveform(), "features=waveform"),
        (Mel(framing="stream"), "features=mel"),
        (LogMel(framing="stream", n_fft=1000, hop_length=500), "features.n_fft=1000"),
        (LogMel(framing="stream", hop_length=300), "features.hop_length=300"),
    ],
)
def test_a_setting_the_device_does_not_implement_is_named(frontend, setting):
    with pytest.raises(FrontEndNotSupported, match=setting):
        DeviceFrontEnd.of(frontend)
