"""Cutting clips into fixed-length analysis windows, shared by training, evaluation,
prediction and reports."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def pad_to(waveform: torch.Tensor, length: int) -> torch.Tensor:
    """Zero-pad a 1-D waveform at the end to at least ``length`` samples."""
    return F.pad(waveform, (0, length - waveform.shape[-1])) if waveform.shape[-1] < length else waveform


def window_starts(n_samples: int, window: int, hop: int) -> list[int]:
    """Start offsets of every complete window (a clip shorter than one window gets one,
    padded). The tail after the last complete window is dropped, as in librosa framing."""
    if n_samples <= window:
        return [0]
    return list(range(0, n_samples - window + 1, hop))


def window_at(waveform: torch.Tensor, start: int, window: int) -> torch.Tensor:
    """The window starting at ``start``, zero-padded where the clip is shorter."""
    return pad_to(waveform[start : start + window], window)


def cut_windows(waveform: torch.Tensor, window: int, hop: int) -> torch.Tensor:
    """All windows of a clip as a ``(n_windows, window)`` tensor."""
    return torch.stack([window_at(waveform, s, window) for s in window_starts(waveform.shape[0], window, hop)])
