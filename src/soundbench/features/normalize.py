"""Per-window standardisation: each analysis window is scaled on its own, so a device
streaming audio needs no dataset statistics and no look-ahead."""

from __future__ import annotations

import torch
from torch import nn


class WindowStandardize(nn.Module):
    """Subtract each window's mean and divide by its standard deviation (+ ``eps``, so
    digital silence stays finite). Statistics are over all dims but the batch."""

    def __init__(self, eps: float = 1e-5):
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dims = tuple(range(1, x.dim()))
        mean = x.mean(dim=dims, keepdim=True)
        std = x.std(dim=dims, keepdim=True, unbiased=False)
        return (x - mean) / (std + self.eps)
