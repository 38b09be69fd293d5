"""Waveform, mel, log-mel and MFCC front ends built from torchaudio transforms.

A front end owns the analysis-window geometry: ``window_frames`` feature frames of
``hop_length`` samples. Spectrogram front ends frame a window in one of two ways
(``framing``):

- ``stream`` (the configs' setting): frames start every ``hop_length`` samples and span
  ``n_fft`` samples, with no padding, so a window of ``(window_frames - 1) * hop_length +
  n_fft`` samples (31 frames: 16,384 samples ≈ 0.74 s at 22.05 kHz / hop 512) holds exactly
  the frames that the clip's (or a live stream's) frame sequence has there. Windows are
  slices of one frame sequence, which is what a device computing frames as audio arrives
  can reproduce.
- ``centered`` (runs trained before framing existed): torchaudio's centred STFT over a
  window of ``(window_frames - 1) * hop_length`` samples, reflect-padded inside the window,
  so the first and last frames differ from the real neighbouring audio's.

The same module runs in training, evaluation, prediction and export, so features cannot
drift between them.

Input: ``(batch, samples)`` windows. Output: ``(batch, 1, bands, frames)`` for
spectrogram front ends, ``(batch, 1, samples)`` for the waveform.
"""

from __future__ import annotations

import torch
import torchaudio
from torch import nn

from soundbench.features.normalize import WindowStandardize


class FrontEnd(nn.Module):
    name = "frontend"

    def __init__(
        self, sample_rate: int, hop_length: int, window_frames: int, window_overlap: float, normalize: bool = True
    ):
        super().__init__()
        if not 0.0 <= window_overlap < 1.0:
            raise ValueError(f"features.window_overlap={window_overlap} must be in [0, 1)")
        if window_frames < 2:
            raise ValueError(f"features.window_frames={window_frames} must be at least 2")
        self.sample_rate = sample_rate
        self.hop_length = hop_length
        self.window_frames = window_frames
        self.window_overlap = window_overlap
        self.normalize = WindowStandardize() if normalize else nn.Identity()

    #: samples one frame spans beyond its hop start (0: frames are ``hop_length`` samples apart
    #: and the window has ``(window_frames - 1) * hop_length`` samples)
    frame_extent = 0

    @property
    def window_samples(self) -> int:
        return (self.window_frames - 1) * self.hop_length + self.frame_extent

    @property
    def window_hop_samples(self) -> int:
        """Samples between consecutive windows (whole frames, so windows share frame grids)."""
        hop_frames = max(1, round(self.window_frames * (1.0 - self.window_overlap)))
        return hop_frames * self.hop_length

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        return self.normalize(self.transform(windows.unsqueeze(1)))

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    @torch.no_grad()
    def output_shape(self) -> tuple[int, ...]:
        """Shape of one window's features without the batch dim, e.g. (1, 60, 31)."""
        return tuple(self(torch.zeros(1, self.window_samples)).shape[1:])


class Waveform(FrontEnd):
    """The raw samples of the window (for 1-D waveform models)."""

    name = "waveform"

    def __init__(
        self,
        sample_rate: int = 22050,
        hop_length: int = 512,
        window_frames: int = 31,
        window_overlap: float = 0.5,
        normalize: bool = True,
    ):
        super().__init__(sample_rate, hop_length, window_frames, window_overlap, normalize)

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        return x


class Mel(FrontEnd):
    """Mel-scaled power spectrogram."""

    name = "mel"

    def __init__(
        self,
        sample_rate: int = 22050,
        n_fft: int = 1024,
        hop_length: int = 512,
        n_mels: int = 60,
        f_min: float = 0.0,
        f_max: float | None = None,
        window_frames: int = 31,
        window_overlap: float = 0.5,
        normalize: bool = True,
        framing: str = "centered",
    ):
        super().__init__(sample_rate, hop_length, window_frames, window_overlap, normalize)
        self.framing, self.frame_extent = framing, _frame_extent(framing, n_fft)
        self.mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=sample_rate,
            n_fft=n_fft,
            hop_length=hop_length,
            n_mels=n_mels,
            f_min=f_min,
            f_max=f_max,
            power=2.0,
            center=framing == "centered",
        )

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        return self.mel(x)


class LogMel(Mel):
    """Mel spectrogram in decibels, floored ``top_db`` below each window's peak."""

    name = "logmel"

    def __init__(self, *args, top_db: float | None = 80.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.to_db = torchaudio.transforms.AmplitudeToDB(stype="power", top_db=top_db)

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        # (batch, 1, mels, frames): AmplitudeToDB takes the top_db peak over the last three
        # dims, so with the channel dim present the floor is per window, not per batch.
        return self.to_db(self.mel(x))


class MFCC(FrontEnd):
    """Mel-frequency cepstral coefficients (DCT-II of the log-mel spectrogram)."""

    name = "mfcc"

    def __init__(
        self,
        sample_rate: int = 22050,
        n_mfcc: int = 20,
        n_fft: int = 1024,
        hop_length: int = 512,
        n_mels: int = 60,
        f_min: float = 0.0,
        f_max: float | None = None,
        top_db: float | None = 80.0,
        window_frames: int = 31,
        window_overlap: float = 0.5,
        normalize: bool = True,
        framing: str = "centered",
    ):
        super().__init__(sample_rate, hop_length, window_frames, window_overlap, normalize)
        self.framing, self.frame_extent = framing, _frame_extent(framing, n_fft)
        self.mfcc = torchaudio.transforms.MFCC(
            sample_rate=sample_rate,
            n_mfcc=n_mfcc,
            melkwargs=dict(
                n_fft=n_fft,
                hop_length=hop_length,
                n_mels=n_mels,
                f_min=f_min,
                f_max=f_max,
                center=framing == "centered",
            ),
        )
        # torchaudio fixes MFCC's dB floor at 80 in __init__; replace it to honour top_db.
        self.mfcc.amplitude_to_DB = torchaudio.transforms.AmplitudeToDB(stype="power", top_db=top_db)

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        return self.mfcc(x)


FRAMINGS = ("stream", "centered")


def _frame_extent(framing: str, n_fft: int) -> int:
    """How far a window reaches past its last frame's start: ``n_fft`` for uncentred frames."""
    if framing not in FRAMINGS:
        raise ValueError(
            f"features.framing={framing!r}: choose stream (windows are slices of the clip's frame "
            "sequence) or centered (each window padded on its own, as runs before framing existed)"
        )
    return n_fft if framing == "stream" else 0
