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
        lam = self.beta.sample().to(x.device)
        perm = torch.randperm(x.shape[0], device=x.device)
        targets = F.one_hot(labels, n_classes).float()
        return lam * x + (1 - lam) * x[perm], lam * targets + (1 - lam) * targets[perm]
