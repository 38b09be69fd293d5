"""Window predictions → clip predictions (mean or majority vote). Torch only, so streaming
prediction uses it without loading the metrics stack."""

from __future__ import annotations

import torch

VOTING = ("mean", "majority")


def vote(window_probs: torch.Tensor, clip_ids: torch.Tensor, n_clips: int, method: str = "mean") -> torch.Tensor:
    """Clip probabilities ``(n_clips, n_classes)`` from window probabilities.

    mean:     average of the window probability vectors (soft vote);
    majority: share of windows whose argmax is each class (hard vote; ties go to the
              class with the higher mean probability, then the lower index).
    """
    if method not in VOTING:
        raise ValueError(f"eval.voting={method!r}: choose one of {VOTING}")
    n_classes = window_probs.shape[1]
    counts = torch.zeros(n_clips, device=window_probs.device).index_add_(
        0, clip_ids, torch.ones_like(clip_ids, dtype=torch.float)
    )
    mean = torch.zeros(n_clips, n_classes, device=window_probs.device).index_add_(0, clip_ids, window_probs)
    mean = mean / counts.clamp(min=1).unsqueeze(1)
    if method == "mean":
        return mean
    hard = torch.nn.functional.one_hot(window_probs.argmax(1), n_classes).float()
    votes = torch.zeros(n_clips, n_classes, device=window_probs.device).index_add_(0, clip_ids, hard)
    votes = votes / counts.clamp(min=1).unsqueeze(1)
    return votes + 1e-6 * mean  # tie-break by mean probability, without changing winners
