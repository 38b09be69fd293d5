"""Feature windows for the deploy checks, from the trained run's own data split: test
windows (every window of every test clip, for accuracy and parity) and calibration windows
(from the training folds only)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from soundbench.artifacts.trained import TrainedModel


@dataclass
class TestWindows:
    features: np.ndarray  # (n, *input_shape) float32
    labels: np.ndarray  # (n,) label of the window's clip
    clip_ids: np.ndarray  # (n,)


@torch.no_grad()
def _features(trained: TrainedModel, waveforms: torch.Tensor, batch: int = 256) -> np.ndarray:
    parts = [trained.frontend(waveforms[i : i + batch]) for i in range(0, len(waveforms), batch)]
    return torch.cat(parts).numpy().astype(np.float32)


def test_windows(trained: TrainedModel) -> TestWindows:
    trained.datamodule.setup("test")
    dataset = trained.datamodule.datasets["test"]
    waveforms, labels, clip_ids = zip(*(dataset[i] for i in range(len(dataset))))
    return TestWindows(_features(trained, torch.stack(waveforms)), np.array(labels), np.array(clip_ids))


def calibration_windows(trained: TrainedModel, n: int) -> np.ndarray:
    """``n`` training windows spread evenly over the training clips (epoch-0 random offsets)."""
    trained.datamodule.setup("fit")
    dataset = trained.datamodule.datasets["train"]
    items = np.unique(np.linspace(0, len(dataset) - 1, min(n, len(dataset))).astype(int))
    waveforms = torch.stack([dataset[int(i)][0] for i in items])
    return _features(trained, waveforms)
