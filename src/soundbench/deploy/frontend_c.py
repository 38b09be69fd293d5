"""The front end on the device: its configuration header and tables generated from the
trained run's front end (so the device computes exactly the same window function, mel
filterbank and DCT), a firmware that streams PCM through it (embedded/frontend, on
CMSIS-DSP), and its run in QEMU: the features of every window and the cycles per hop."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from soundbench.deploy import codegen, emulator
from soundbench.deploy.cmsis_dsp import cmsis_dsp_root, include_dirs, source_files
from soundbench.deploy.targets import FlashMemory, Target
from soundbench.features.frontends import MFCC, FrontEnd, LogMel

#: entries of CMSIS-DSP's bit-reversal table per complex FFT length
#: (ARMBITREVINDEXTABLE_<n>_TABLE_LENGTH in arm_common_tables.h)
CMSIS_BITREV_ENTRIES = {16: 20, 32: 48, 64: 56, 128: 208, 256: 440, 512: 448, 1024: 1800, 2048: 3808, 4096: 4032}
FLOAT = 4


#: sizeof(arm_rfft_fast_instance_f32): the FFT's static state in sb_frontend.c
RFFT_INSTANCE_BYTES = 24


@dataclass(frozen=True)
class FrontEndMemory:
    """The front end's planned memory, in bytes (sb_frontend.h's structs, the tables of
    write_sources and CMSIS-DSP's tables for this FFT length)."""

    state_bytes: int  # samples shared with the next frame, mel ring buffer, FFT state: live all the time
    dma_bytes: int  # the microphone's PCM DMA double buffer: two hops of int16
    scratch_bytes: int  # FFT input/output and power spectrum: dead between hops
    table_bytes: int  # window, sparse filterbank, DCT, FFT twiddles and bit reversal (flash)

    def ram_bytes(self, scratch_in_arena: bool) -> int:
        return self.state_bytes + self.dma_bytes + (0 if scratch_in_arena else self.scratch_bytes)

    def scratch_in_arena(self, arena_bytes: int) -> bool:
        """The FFT scratch is laid over the model's arena (dead while the model runs) when it fits in it."""
        return self.scratch_bytes <= arena_bytes

    def ram_beside(self, arena_bytes: int) -> int:
        """The front end's RAM outside a model arena of ``arena_bytes``."""
        return self.ram_bytes(self.scratch_in_arena(arena_bytes))


class FrontEndNotSupported(ValueError):
    """A front-end setting the device code does not implement; the message names it."""


@dataclass(frozen=True)
class DeviceFrontEnd:
    """The arrays and geometry the device needs, read off a Python front end."""

    sample_rate: int
    n_fft: int
    hop: int
    n_mels: int
    n_mfcc: int  # 0: log-mel
    window_frames: int
    window_hop_frames: int
    top_db: float
    normalize: bool
    window: np.ndarray  # (n_fft,) analysis window
    filterbank: np.ndarray  # (n_fft // 2 + 1, n_mels)
    dct: np.ndarray | None  # (n_mels, n_mfcc)

    @property
    def out_bands(self) -> int:
        return self.n_mfcc or self.n_mels

    def memory(self) -> FrontEndMemory:
        n, bins = self.n_fft, self.n_fft // 2 + 1
        state = 2 * (n - self.hop) + 4 + FLOAT * self.window_frames * self.n_mels + 4 + RFFT_INSTANCE_BYTES
        mel_weights = int(sum(len(_nonzero_run(band)) for band in self.filterbank.T))
        ours = FLOAT * (n + mel_weights + (self.dct.size if self.dct is not None else 0)) + 3 * 2 * self.n_mels
        fft = (
            FLOAT * n + FLOAT * n + 2 * CMSIS_BITREV_ENTRIES[n // 2]
        )  # rfft twiddles, cfft(n/2) twiddles, bit reversal
        return FrontEndMemory(state, 2 * 2 * self.hop, FLOAT * (2 * n + bins), ours + fft)

    def with_window_hop(self, hop_samples: int) -> DeviceFrontEnd:
        """A window every ``hop_samples`` (the event decision layer's tuned hop) instead of as trained."""
        if hop_samples % self.hop:
            raise ValueError(
                f"decision hop_samples={hop_samples} is not a whole number of feature frames ({self.hop} samples "
                "each): the device computes a frame per hop_length; tune with hop divisions that split it"
            )
        return replace(self, window_hop_frames=hop_samples // self.hop)

    @classmethod
    def of(cls, frontend: FrontEnd) -> DeviceFrontEnd:
        if not isinstance(frontend, (LogMel, MFCC)):
            raise FrontEndNotSupported(
                f"features={frontend.name}: the device front end computes logmel and mfcc "
                "(a model on raw samples or mel power needs no CMSIS-DSP front end)"
            )
        if frontend.framing != "stream":
            raise FrontEndNotSupported(
                "features.framing=centered pads each window on its own, which a stream "
                "cannot do; retrain with features.framing=stream (the default)"
            )
        if isinstance(frontend, MFCC):
            spec, to_db, dct = frontend.mfcc.MelSpectrogram, frontend.mfcc.amplitude_to_DB, frontend.mfcc.dct_mat
            if frontend.mfcc.log_mels:
                raise FrontEndNotSupported("features: MFCC with log_mels=true is not implemented on the device")
        else:
            spec, to_db, dct = frontend.mel, frontend.to_db, None
        stft = spec.spectrogram
        n_fft, hop = stft.n_fft, stft.hop_length
        if n_fft & (n_fft - 1) or not 32 <= n_fft <= 4096:
            raise FrontEndNotSupported(f"features.n_fft={n_fft}: arm_rfft_fast_f32 takes powers of two, 32..4096")
        if stft.win_length != n_fft or stft.power != 2.0 or stft.normalized:
            raise FrontEndNotSupported(
                "features: only win_length = n_fft, power 2 and unnormalised STFTs run on the device"
            )
        if n_fft % hop or hop >= n_fft:
            raise FrontEndNotSupported(
                f"features.hop_length={hop} must divide n_fft={n_fft} and be smaller on the device"
            )
        if spec.mel_scale.norm is not None or spec.mel_scale.mel_scale != "htk":
            raise FrontEndNotSupported("features: the device filterbank is HTK mel without norm")
        return cls(
            frontend.sample_rate,
            n_fft,
            hop,
            spec.mel_scale.n_mels,
            0 if dct is None else dct.shape[1],
            frontend.window_frames,
            frontend.window_hop_samples // hop,
            float("inf") if to_db.top_db is None else float(to_db.top_db),
            not isinstance(frontend.normalize, torch.nn.Identity),
            stft.window.numpy().astype(np.float32),
            spec.mel_scale.fb.numpy().astype(np.float32),
            None if dct is None else dct.numpy().astype(np.float32),
        )


def write_sources(device: DeviceFrontEnd, out_dir: Path) -> list[Path]:
    """sb_frontend_config.h (geometry) and sb_frontend_tables.c (window, sparse filterbank, DCT)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    header = out_dir / "sb_frontend_config.h"
    defines = {
        "SB_FE_N_FFT": device.n_fft,
        "SB_FE_HOP": device.hop,
        "SB_FE_N_MELS": device.n_mels,
        "SB_FE_N_MFCC": device.n_mfcc,
        "SB_FE_OUT_BANDS": device.out_bands,
        "SB_FE_WINDOW_FRAMES": device.window_frames,
        "SB_FE_WINDOW_HOP_FRAMES": device.window_hop_frames,
        "SB_FE_TOP_DB": "INFINITY" if np.isinf(device.top_db) else f"{device.top_db!r}f",
        "SB_FE_NORMALIZE": int(device.normalize),
        "SB_FE_RFFT_INIT": f"arm_rfft_fast_init_{device.n_fft}_f32",
    }
    header.write_text(
        "/* generated by soundbench.deploy.frontend_c: the trained run's front end */\n"
        "#ifndef SB_FRONTEND_CONFIG_H\n#define SB_FRONTEND_CONFIG_H\n#include <math.h>\n#include <stdint.h>\n"
        + "".join(f"#define {k} {v}\n" for k, v in defines.items())
        + "extern const float sb_fe_window[];\nextern const uint16_t sb_fe_mel_first[], "
        "sb_fe_mel_count[], sb_fe_mel_offset[];\nextern const float sb_fe_mel_weights[];\n"
        "extern const float sb_fe_dct[];\n#endif\n"
    )
    firsts, counts, offsets, weights = [], [], [], []
    for band in device.filterbank.T:  # each band's nonzero run: first FFT bin, length, weights
        run = _nonzero_run(band)
        firsts.append(run.start)
        counts.append(len(run))
        offsets.append(len(weights))
        weights += band[run].tolist()
    dct = device.dct.T.ravel() if device.dct is not None else np.zeros(1, np.float32)
    tables = out_dir / "sb_frontend_tables.c"
    tables.write_text(
        '#include "sb_frontend_config.h"\n'
        + _array("const float sb_fe_window", device.window)
        + _array("const uint16_t sb_fe_mel_first", firsts, int)
        + _array("const uint16_t sb_fe_mel_count", counts, int)
        + _array("const uint16_t sb_fe_mel_offset", offsets, int)
        + _array("const float sb_fe_mel_weights", weights)
        + _array("const float sb_fe_dct", dct)
    )
    return [header, tables]


def _nonzero_run(band: np.ndarray) -> range:
    """The FFT bins from a mel band's first to its last nonzero weight."""
    nonzero = np.flatnonzero(band)
    return range(int(nonzero[0]), int(nonzero[-1]) + 1) if len(nonzero) else range(0)


def _array(declaration: str, values, kind=float) -> str:
    body = ",".join(str(int(v)) if kind is int else f"{float(v)!r}f" for v in values)
    return f"{declaration}[] = {{{body}}};\n"


def build_stream_firmware(
    device: DeviceFrontEnd, target: Target, root: str | Path, out_dir: str | Path, optimize: str = "-O2"
) -> codegen.LinkResult:
    """The streaming harness (embedded/frontend) with this front end and CMSIS-DSP, linked
    into the target's budget."""
    out_dir = Path(out_dir).resolve()
    generated = write_sources(device, out_dir)
    frontend_dir = Path(root).resolve() / "embedded" / "frontend"
    cmsis = cmsis_dsp_root()
    firmware = codegen.firmware_dir(root).resolve()
    sources = [
        generated[1],
        frontend_dir / "sb_frontend.c",
        frontend_dir / "stream_main.c",
        firmware / "startup.c",
        firmware / "semihosting.c",
        *source_files(cmsis),
    ]
    includes = [out_dir, frontend_dir, frontend_dir / "shim", firmware, *include_dirs(cmsis)]
    return codegen.link(sources, includes, target, root, out_dir, optimize, defines=("ARM_MATH_CM4",))


@dataclass(frozen=True)
class StreamRun:
    features: np.ndarray  # (windows, bands, frames), as the device computed them
    hops: int
    cycles_per_hop: float  # the hop's frame, Cortex-M4 timing model, averaged over every hop of the stream
    cycles_per_window: float  # the window: dB floor, DCT, standardisation
    instructions_per_hop: float  # everything, averaged over the hops


def run_stream(
    elf: Path,
    pcm: np.ndarray,
    device: DeviceFrontEnd,
    root: str | Path,
    work_dir: str | Path,
    timeout_s: float = 600,
    memory: FlashMemory | None = None,
) -> StreamRun:
    """Stream int16 ``pcm`` through the front-end firmware in QEMU, one hop per block
    (``memory``: the target's flash, whose stalls the cycles then include)."""
    work_dir = Path(work_dir).resolve()
    hops = len(pcm) // device.hop
    np.ascontiguousarray(pcm[: hops * device.hop], dtype="<i2").tofile(work_dir / "pcm.bin")
    (work_dir / "features.bin").unlink(missing_ok=True)
    counts = emulator.run_with_markers(elf, root, work_dir, timeout_s, memory)
    features = np.fromfile(work_dir / "features.bin", dtype="<f4").reshape(-1, device.out_bands, device.window_frames)
    frame, window = (counts.segment_cycles + [0.0, 0.0])[:2]  # a stream too short for a window has no segment 1
    return StreamRun(features, hops, frame / hops, window / max(len(features), 1), counts.instructions / hops)
