"""Clip-level evaluation: aggregate window predictions per clip (mean or majority vote)
and compute the metrics every run reports."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torchmetrics.functional.classification import multiclass_accuracy, multiclass_confusion_matrix

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
    counts = torch.zeros(n_clips, device=window_probs.device).index_add_(0, clip_ids, torch.ones_like(clip_ids, dtype=torch.float))
    mean = torch.zeros(n_clips, n_classes, device=window_probs.device).index_add_(0, clip_ids, window_probs)
    mean = mean / counts.clamp(min=1).unsqueeze(1)
    if method == "mean":
        return mean
    hard = torch.nn.functional.one_hot(window_probs.argmax(1), n_classes).float()
    votes = torch.zeros(n_clips, n_classes, device=window_probs.device).index_add_(0, clip_ids, hard)
    votes = votes / counts.clamp(min=1).unsqueeze(1)
    return votes + 1e-6 * mean  # tie-break by mean probability, without changing winners


@dataclass
class ClipResults:
    clip_probs: torch.Tensor      # (n_clips, n_classes)
    clip_labels: torch.Tensor     # (n_clips,)
    window_accuracy: float
    class_names: tuple[str, ...]

    @property
    def predictions(self) -> torch.Tensor:
        return self.clip_probs.argmax(1)

    @property
    def accuracy(self) -> float:
        return float((self.predictions == self.clip_labels).float().mean())

    def confusion(self) -> np.ndarray:
        """Rows: true class, columns: predicted class (clip counts)."""
        return multiclass_confusion_matrix(self.predictions, self.clip_labels, len(self.class_names)).cpu().numpy()

    def per_class_accuracy(self) -> dict[str, float]:
        """Recall of each class present in the split (classes with no clips are left out)."""
        scores = multiclass_accuracy(self.predictions, self.clip_labels, len(self.class_names), average=None)
        present = torch.bincount(self.clip_labels, minlength=len(self.class_names)) > 0
        return {name: float(s) for name, s, p in zip(self.class_names, scores, present) if p}

    def accuracy_where(self, mask: np.ndarray) -> float:
        mask = torch.as_tensor(mask, dtype=torch.bool)
        return float((self.predictions[mask] == self.clip_labels[mask]).float().mean()) if mask.any() else float("nan")


def evaluate_windows(window_logits: torch.Tensor, window_labels: torch.Tensor, clip_ids: torch.Tensor,
                     class_names: tuple[str, ...], voting: str = "mean") -> ClipResults:
    """Window logits of a whole split → clip-level results. Clip ids may be any subset
    of 0..N-1 (e.g. Lightning's sanity check sees only the first batches)."""
    seen, dense_ids = torch.unique(clip_ids, return_inverse=True)
    probs = window_logits.softmax(1)
    clip_probs = vote(probs, dense_ids, len(seen), voting)
    clip_labels = torch.zeros(len(seen), dtype=torch.long, device=window_labels.device)
    clip_labels[dense_ids] = window_labels
    window_acc = float((probs.argmax(1) == window_labels).float().mean())
    return ClipResults(clip_probs.cpu(), clip_labels.cpu(), window_acc, class_names)
