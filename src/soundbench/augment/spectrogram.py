"""SpecAugment (Park et al. 2019) frequency and time masking with torchaudio's transforms,
on a batch of (batch, 1, bands, frames) features; each example gets its own masks."""

from __future__ import annotations

import torch
import torchaudio
from torch import nn


class SpecAugment(nn.Module):
    def __init__(
        self, freq_mask_param: int = 8, time_mask_param: int = 4, n_freq_masks: int = 1, n_time_masks: int = 1
    ):
        super().__init__()
        masks = [torchaudio.transforms.FrequencyMasking(freq_mask_param, iid_masks=True) for _ in range(n_freq_masks)]
        masks += [torchaudio.transforms.TimeMasking(time_mask_param, iid_masks=True) for _ in range(n_time_masks)]
        self.masks = nn.Sequential(*masks)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if features.dim() != 4:
            raise ValueError(
                "SpecAugment needs spectrogram features (batch, 1, bands, frames); "
                "use augment.specaugment=null with features=waveform"
            )
        return self.masks(features)
