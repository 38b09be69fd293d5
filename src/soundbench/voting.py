"""Window predictions → clip predictions (mean or majority vote). NumPy only, so streaming
prediction uses it without importing torch or the metrics stack."""

from __future__ import annotations

import numpy as np

VOTING = ("mean", "majority")


def vote(window_probs: np.ndarray, clip_ids: np.ndarray, n_clips: int, method: str = "mean") -> np.ndarray:
    """Clip probabilities ``(n_clips, n_classes)`` from window probabilities ``(windows,
    n_classes)`` and each window's clip id.

    mean:     average of the window probability vectors (soft vote);
    majority: share of windows whose argmax is each class (hard vote; ties go to the
              class with the higher mean probability, then the lower index).
    """
    if method not in VOTING:
        raise ValueError(f"eval.voting={method!r}: choose one of {VOTING}")
    window_probs, clip_ids = np.asarray(window_probs), np.asarray(clip_ids)
    counts = np.maximum(np.bincount(clip_ids, minlength=n_clips), 1)[:, None]
    mean = _sum_per_clip(window_probs, clip_ids, n_clips) / counts
    if method == "mean":
        return mean
    hard = np.eye(window_probs.shape[1], dtype=window_probs.dtype)[window_probs.argmax(1)]
    return _sum_per_clip(hard, clip_ids, n_clips) / counts + 1e-6 * mean  # tie-break, winners unchanged


def _sum_per_clip(values: np.ndarray, clip_ids: np.ndarray, n_clips: int) -> np.ndarray:
    sums = np.zeros((n_clips, values.shape[1]), dtype=values.dtype)
    np.add.at(sums, clip_ids, values)
    return sums
