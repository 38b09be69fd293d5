"""Clip voting and clip-level metrics on hand-made window probabilities."""

import numpy as np
import pytest
import torch

from soundbench.evaluation import evaluate_windows
from soundbench.voting import vote

# clip 0: three windows; clip 1: two windows
PROBS = torch.tensor(
    [
        [0.6, 0.4, 0.0],
        [0.6, 0.4, 0.0],
        [0.0, 1.0, 0.0],
        [0.1, 0.2, 0.7],
        [0.1, 0.2, 0.7],
    ]
)
CLIPS = torch.tensor([0, 0, 0, 1, 1])


def test_mean_voting_averages_probabilities():
    clip = vote(PROBS.numpy(), CLIPS.numpy(), 2, "mean")
    assert np.allclose(clip[0], [0.4, 0.6, 0.0])
    assert clip.argmax(1).tolist() == [1, 2]  # the confident window outweighs two weak ones


def test_majority_voting_counts_window_winners():
    clip = vote(PROBS.numpy(), CLIPS.numpy(), 2, "majority")
    assert clip.argmax(1).tolist() == [0, 2]  # two windows said class 0
    assert np.allclose(clip[0, :2], [2 / 3, 1 / 3], atol=1e-5)


def test_majority_tie_goes_to_higher_mean_probability():
    probs = np.array([[0.9, 0.1], [0.45, 0.55]], dtype=np.float32)
    assert vote(probs, np.array([0, 0]), 1, "majority").argmax(1).item() == 0


def test_unknown_voting_is_refused():
    with pytest.raises(ValueError, match="eval.voting"):
        vote(PROBS.numpy(), CLIPS.numpy(), 2, "median")


def test_clip_results():
    logits = torch.log(PROBS + 1e-9)
    labels = torch.tensor([1, 1, 1, 0, 0])
    results = evaluate_windows(logits, labels, CLIPS, ("a", "b", "c"), voting="mean")
    assert results.accuracy == 0.5
    assert results.window_accuracy == pytest.approx(1 / 5)
    assert results.confusion().tolist() == [[0, 0, 1], [0, 1, 0], [0, 0, 0]]
    assert results.per_class_accuracy() == {"a": 0.0, "b": 1.0}
