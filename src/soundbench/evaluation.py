"""Clip-level evaluation: window predictions voted per clip (soundbench.voting) and the
metrics every run reports (torchmetrics)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torchmetrics.functional.classification import multiclass_accuracy, multiclass_confusion_matrix

from soundbench.voting import vote


@dataclass
class ClipResults:
    clip_probs: torch.Tensor  # (n_clips, n_classes)
    clip_labels: torch.Tensor  # (n_clips,)
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


def evaluate_windows(
    window_logits: torch.Tensor,
    window_labels: torch.Tensor,
    clip_ids: torch.Tensor,
    class_names: tuple[str, ...],
    voting: str = "mean",
) -> ClipResults:
    """Window logits of a whole split → clip-level results. Clip ids may be any subset
    of 0..N-1 (e.g. Lightning's sanity check sees only the first batches)."""
    seen, dense_ids = torch.unique(clip_ids, return_inverse=True)
    probs = window_logits.softmax(1)
    clip_probs = torch.from_numpy(vote(probs.float().cpu().numpy(), dense_ids.cpu().numpy(), len(seen), voting))
    clip_labels = torch.zeros(len(seen), dtype=torch.long, device=window_labels.device)
    clip_labels[dense_ids] = window_labels
    window_acc = float((probs.argmax(1) == window_labels).float().mean())
    return ClipResults(clip_probs, clip_labels.cpu(), window_acc, class_names)
