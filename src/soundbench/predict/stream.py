"""Audio files of any length as a stream of analysis windows, in bounded memory.

The file is read in blocks (soundfile seeks; nothing reads the whole file), downmixed and
resampled block by block, and cut into the front end's overlapping windows. Resampling a
block on its own would click at block edges, so each block is resampled with enough
neighbouring input on both sides for the sinc kernel and then trimmed: the stream equals
resampling the whole file at once (to float rounding). Held at any time: one block of input
(plus the kernel context) and one block plus one window of output. NumPy throughout; torch
(torchaudio's resampler) is imported only for a file at another rate.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from soundbench.data.audio import AudioReadError, audio_info, resampler


@dataclass
class WindowBlock:
    starts: np.ndarray  # start of each window, in samples at the stream's rate
    windows: np.ndarray  # (n, window) mono float32


class WindowStream:
    """Iterate over :class:`WindowBlock` s of one file. Windows start every ``hop`` samples
    and are complete (the tail shorter than a hop after the last one is not analysed, as in
    training); a file shorter than one window gives one zero-padded window."""

    def __init__(self, path: str | Path, sample_rate: int, window: int, hop: int, block_windows: int = 64):
        self.path = Path(path)
        self.sample_rate, self.window, self.hop = sample_rate, window, hop
        self.block_samples = max(1, block_windows) * hop  # output samples per block read
        self.max_buffered_samples = 0  # largest output buffer held (for tests)
        self.max_read_frames = 0  # largest read from the file (for tests)
        info = audio_info(self.path)
        self.file_rate, self.file_frames = info.samplerate, info.frames

    @property
    def duration_s(self) -> float:
        return self.file_frames / self.file_rate

    @property
    def n_samples(self) -> int:
        """Length of the whole stream at ``sample_rate``."""
        return math.ceil(self.file_frames * self.sample_rate / self.file_rate)

    def __iter__(self) -> Iterator[WindowBlock]:
        buffer, buffer_start, next_start = np.zeros(0, dtype=np.float32), 0, 0
        for block in self._blocks():
            buffer = np.concatenate([buffer, block])
            self.max_buffered_samples = max(self.max_buffered_samples, len(buffer))
            starts = np.arange(next_start, buffer_start + len(buffer) - self.window + 1, self.hop)
            if len(starts):
                offsets = starts - buffer_start
                yield WindowBlock(starts, np.stack([buffer[o : o + self.window] for o in offsets]))
                next_start = int(starts[-1]) + self.hop
            keep_from = min(next_start - buffer_start, len(buffer))
            buffer, buffer_start = buffer[keep_from:], buffer_start + keep_from
        if next_start == 0:  # shorter than one window
            padded = np.pad(buffer, (0, self.window - len(buffer)))  # zeros at the end, as training pads
            yield WindowBlock(np.zeros(1, dtype=int), padded[None])

    def _blocks(self) -> Iterator[np.ndarray]:
        """The file as consecutive mono blocks at ``sample_rate``."""
        if self.file_frames == 0:
            raise AudioReadError(f"{self.path}: contains no audio samples (empty file); nothing to predict")
        with sf.SoundFile(self.path) as f:
            if self.file_rate == self.sample_rate:
                for first in range(0, self.file_frames, self.block_samples):
                    yield self._read(f, first, self.block_samples)
                return
            yield from self._resampled_blocks(f)

    def _resampled_blocks(self, f: sf.SoundFile) -> Iterator[np.ndarray]:
        import torch  # torchaudio resamples (the sinc kernel training used)

        g = math.gcd(self.file_rate, self.sample_rate)
        step_in, step_out = self.file_rate // g, self.sample_rate // g  # block edges on this grid align exactly
        resample = resampler(self.file_rate, self.sample_rate)
        context = step_in * math.ceil(max(4 * resample.width, 256) / step_in)
        block_in = step_in * math.ceil(self.block_samples * self.file_rate / self.sample_rate / step_in)
        for first in range(0, self.file_frames, block_in):
            read_from = max(0, first - context)
            last = min(self.file_frames, first + block_in)
            samples = self._read(f, read_from, min(self.file_frames, last + context) - read_from)
            out = resample(torch.from_numpy(samples)).numpy()
            skip = (first - read_from) // step_in * step_out
            n_out = math.ceil((last - first) * step_out / step_in)
            yield out[skip : skip + n_out]

    def _read(self, f: sf.SoundFile, first: int, frames: int) -> np.ndarray:
        self.max_read_frames = max(self.max_read_frames, frames)
        f.seek(first)
        samples = f.read(frames, dtype="float32", always_2d=True).mean(axis=1, dtype=np.float32)
        if not np.isfinite(samples).all():
            raise AudioReadError(
                f"{self.path}: NaN or infinite samples near {first / self.file_rate:.1f} s; the file is damaged"
            )
        return samples
