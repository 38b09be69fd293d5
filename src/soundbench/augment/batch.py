"""Mixup (Zhang et al. 2018): convex combinations of example pairs and of their labels."""

from __future__ import annotations

import torch
import torch.nn.functional as F


class Mixup:
    """``x' = λ·x + (1-λ)·x[perm]`` and soft targets ``λ·y + (1-λ)·y[perm]`` with
    ``λ ~ Beta(alpha, alpha)`` drawn once per batch from torch's (seeded) generator."""

    def __init__(self, alpha: float = 0.2):
        if alpha <= 0:
            raise ValueError(f"augment.mixup.alpha={alpha} must be > 0 (use augment.mixup=null to disable)")
        self.beta = torch.distributions.Beta(torch.tensor(float(alpha)), torch.tensor(float(alpha)))

    def __call__(self, x: torch.Tensor, labels: torch.Tensor, n_classes: int) -> tuple[torch.Tensor, torch.Tensor]:
        mix = self.draw(x.shape[0], x.device)
        return mix(x), mix(F.one_hot(labels, n_classes).float())

    def draw(self, batch_size: int, device: torch.device | str = "cpu"):
        """One batch's mixing, to apply alike to inputs, targets and anything else per example
        (a distillation teacher's soft targets)."""
        lam = self.beta.sample().to(device)
        perm = torch.randperm(batch_size, device=device)
        return lambda t: lam * t + (1 - lam) * t[perm]
