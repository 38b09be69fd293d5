"""Waveform augmentation on whole batches, on the device that trains (torch-audiomentations).

Runs inside the training step on the ``(batch, samples)`` windows before the front end, so
it costs model time on the training device, not loader time on the CPU, and it is as fast
as the device: shift, gain, coloured noise and filters are a few tensor ops per batch on
CPU. Pitch shift is batched too but ~2 s per batch of 64 on 2 CPU cores: on a CPU, render
it ahead with ``augment.prerender`` instead; on a GPU it is cheap here.
Random draws come from torch's generator, which ``seed_everything`` seeds.
"""

from __future__ import annotations

import torch
import torch_audiomentations
from hydra.utils import instantiate
from torch import nn


class BatchWaveformAugment(nn.Module):
    """``transforms``: torch-audiomentations transform configs (``_target_`` dicts), applied in
    order, each with its own probability per example. Built here rather than by Hydra so that
    each gets ``output_type="dict"`` (the library's future default) without config noise."""

    def __init__(self, transforms: list, sample_rate: int):
        super().__init__()
        if not transforms:
            raise ValueError("augment.waveform_batch.transforms is empty (use augment.waveform_batch=null to disable)")
        built = [instantiate(t, output_type="dict", _convert_="all") for t in transforms]
        self.compose = torch_audiomentations.Compose(built, output_type="dict")
        self.sample_rate = int(sample_rate)

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        if windows.dim() != 2:
            raise ValueError(f"BatchWaveformAugment expects (batch, samples) windows, got shape {tuple(windows.shape)}")
        return self.compose(windows.unsqueeze(1), sample_rate=self.sample_rate).samples.squeeze(1)
