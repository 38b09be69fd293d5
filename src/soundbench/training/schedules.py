"""Learning-rate schedules stepped every batch, sized from the trainer's total step count
(``trainer.estimated_stepping_batches``: max_epochs × batches per epoch), so one config fits
any dataset size. Early stopping may end a run before the schedule does."""

from __future__ import annotations

import math

import torch
from torch.optim.lr_scheduler import LambdaLR, LRScheduler, OneCycleLR


def cosine(
    optimizer: torch.optim.Optimizer, total_steps: int, warmup_fraction: float = 0.05, final_lr_fraction: float = 0.01
) -> LRScheduler:
    """Linear warm-up over ``warmup_fraction`` of the steps, then a cosine decay from each
    group's configured lr to ``final_lr_fraction`` of it."""
    warmup = int(round(warmup_fraction * total_steps))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total_steps - warmup))
        return final_lr_fraction + (1 - final_lr_fraction) * 0.5 * (1 + math.cos(math.pi * progress))

    return LambdaLR(optimizer, factor)


def one_cycle(
    optimizer: torch.optim.Optimizer,
    total_steps: int,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e3,
) -> LRScheduler:
    """Smith's one-cycle policy peaking at each group's configured lr (torch's OneCycleLR)."""
    peaks = [group["lr"] for group in optimizer.param_groups]
    return OneCycleLR(
        optimizer,
        max_lr=peaks,
        total_steps=total_steps,
        pct_start=pct_start,
        div_factor=div_factor,
        final_div_factor=final_div_factor,
    )
