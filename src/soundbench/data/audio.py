"""Reading audio files into mono float tensors at the feature sample rate.

soundfile (libsndfile) reads 8/16/24/32-bit integer PCM, float, and WAVE_FORMAT_EXTENSIBLE
files; torchaudio resamples. torchaudio.load is deliberately not used: since 2.9 it needs
torchcodec and FFmpeg, which this project must not require. torch is imported only where a
tensor is made or a file resampled: predict reads headers and same-rate audio without it
(importing torch is most of a cached prediction's start).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import soundfile as sf

if TYPE_CHECKING:
    import torch
    import torchaudio

#: the file suffixes treated as audio when a folder is scanned (datasets, predict)
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".aif", ".aiff", ".mp3")


class AudioReadError(RuntimeError):
    """A file could not be turned into usable audio; the message names the file and the fix."""


def read_audio(
    path: str | Path,
    sample_rate: int,
    start: float = 0.0,
    duration: float | None = None,
) -> torch.Tensor:
    """Read ``path`` (optionally the segment ``start``..``start+duration`` seconds),
    downmix to mono and resample to ``sample_rate``. Returns a 1-D float32 tensor."""
    path = Path(path)
    samples, file_rate = _decode(path, start, duration)
    mono = samples.mean(axis=1, dtype=np.float32)
    if not np.isfinite(mono).all():
        raise AudioReadError(
            f"{path}: contains NaN or infinite samples. The file is damaged; "
            "re-download it or remove its row from the metadata."
        )
    import torch

    waveform = torch.from_numpy(mono)
    if file_rate != sample_rate:
        waveform = resampler(file_rate, sample_rate)(waveform)
    return waveform


def audio_info(path: str | Path):
    """soundfile's header info (rate, frames, duration) without reading samples."""
    path = Path(path)
    if not path.is_file():
        raise AudioReadError(f"{path}: file not found.")
    try:
        return sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError) as error:
        raise AudioReadError(
            f"{path}: cannot be decoded as audio ({error}). The file is corrupt or not an audio file; fix or remove it."
        ) from None


#: bytes per sample of the WAV subtypes whose data chunk can be measured
_WAV_SAMPLE_BYTES = {"PCM_U8": 1, "PCM_S8": 1, "PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4, "DOUBLE": 8}


def declared_seconds(path: str | Path) -> float | None:
    """How long a WAV file's header says it is (its ``data`` chunk size), or None where that
    is unknown (other formats, compressed WAV, a streaming size of 0 or 0xFFFFFFFF).
    libsndfile reports only the frames present, so a file cut short (an interrupted copy or
    recording) reads as a shorter recording; comparing the two tells the user."""
    info = audio_info(path)
    width = _WAV_SAMPLE_BYTES.get(info.subtype)
    if info.format not in ("WAV", "WAVEX") or width is None:
        return None
    with open(path, "rb") as f:
        if f.read(4) != b"RIFF" or not (f.read(4) and f.read(4) == b"WAVE"):
            return None
        while len(header := f.read(8)) == 8:  # RIFF chunks: 4-byte id, little-endian 4-byte size, payload
            chunk, size = header[:4], int.from_bytes(header[4:], "little")
            if chunk == b"data":
                return None if size in (0, 0xFFFFFFFF) else size / (width * info.channels) / info.samplerate
            f.seek(size + (size & 1), 1)  # payloads are padded to an even length
    return None


def _decode(path: Path, start: float, duration: float | None) -> tuple[np.ndarray, int]:
    if not path.is_file():
        raise AudioReadError(f"{path}: file not found.")
    try:
        with sf.SoundFile(path) as f:
            first = int(round(start * f.samplerate))
            frames = -1 if duration is None else int(round(duration * f.samplerate))
            f.seek(min(first, f.frames))
            samples = f.read(frames, dtype="float32", always_2d=True)
            file_rate = f.samplerate
    except (sf.LibsndfileError, RuntimeError, ValueError) as err:
        raise AudioReadError(
            f"{path}: cannot be decoded as audio ({err}). The file is corrupt or not an "
            "audio file; re-download it or remove its row from the metadata."
        ) from err
    if samples.shape[0] == 0:
        raise AudioReadError(
            f"{path}: contains no audio samples (empty file or segment). "
            "Re-download it or remove its row from the metadata."
        )
    return samples, file_rate


@lru_cache(maxsize=16)
def resampler(orig_rate: int, new_rate: int) -> torchaudio.transforms.Resample:
    # The sinc kernel is built once per rate pair; datasets mix only a few rates.
    import torchaudio

    return torchaudio.transforms.Resample(orig_rate, new_rate)
