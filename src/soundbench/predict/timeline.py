"""From window probabilities to a labelled timeline: silence gate, sliding aggregation,
open-set rejection, and merging into segments.

Each window decides the label of its central hop (its *slot*): slots tile the analysed audio
without overlap, so consecutive windows with one label merge into one segment. The first
slot reaches back to 0 s and the last one forward to the end of the last window.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from soundbench.voting import VOTING, vote

SILENCE = "silence"
UNKNOWN = "unknown"


@dataclass
class DecisionSettings:
    silence_db: float = -60.0  # windows quieter than this (RMS, dB re full scale 1.0) are silence
    unknown_threshold: float = 0.5  # aggregated top probability below this -> unknown
    aggregate_windows: int = 3  # sliding aggregation over the last N windows (1 = none)
    voting: str = "mean"  # mean | majority, as in clip evaluation
    min_event_windows: int = 2  # shorter runs between other events join their longer neighbour

    @classmethod
    def from_config(cls, cfg) -> DecisionSettings:
        """From a composed conf/predict.yaml (its keys are the CLI's: ``aggregate.windows`` ...)."""
        return cls(
            cfg.silence_db, cfg.unknown_threshold, cfg.aggregate.windows, cfg.aggregate.voting, cfg.min_event_windows
        )

    def __post_init__(self) -> None:
        if self.voting not in VOTING:
            raise ValueError(f"voting={self.voting!r}: choose one of {VOTING}")
        if self.min_event_windows < 1:
            raise ValueError(f"min_event_windows={self.min_event_windows} must be at least 1")
        if self.aggregate_windows < 1:
            raise ValueError(f"aggregate windows={self.aggregate_windows} must be at least 1")
        if not 0.0 <= self.unknown_threshold <= 1.0:
            raise ValueError(f"unknown threshold={self.unknown_threshold} must be a probability in [0, 1]")


def rms_dbfs(windows: np.ndarray) -> np.ndarray:
    """RMS level of each ``(n, samples)`` float32 window in dB relative to full scale (1.0)."""
    rms = np.sqrt(np.mean(np.square(windows), axis=1, dtype=np.float32))
    return 20.0 * np.log10(np.maximum(rms, np.float32(1e-10)))


class SlidingDecision:
    """Causal label decisions: each window's probabilities are aggregated with those of the
    previous ``aggregate_windows - 1`` windows (silent windows contribute nothing), so a
    device can run the same logic as audio arrives."""

    def __init__(self, class_names: tuple[str, ...], settings: DecisionSettings):
        self.class_names, self.settings = class_names, settings
        self.history: deque[np.ndarray | None] = deque(maxlen=settings.aggregate_windows)
        self.scores: np.ndarray | None = None  # the last window's aggregated class probabilities

    def push(self, probs: np.ndarray | None) -> tuple[str, float]:
        """``probs``: this window's class probabilities, or None when it is silent."""
        self.history.append(probs)
        self.scores = None
        if probs is None:
            return SILENCE, float("nan")
        recent = np.stack([p for p in self.history if p is not None])
        aggregated = vote(recent, np.zeros(len(recent), dtype=np.intp), 1, self.settings.voting)[0]
        self.scores = aggregated
        top = int(aggregated.argmax())
        probability = float(aggregated[top])
        if probability < self.settings.unknown_threshold:
            return UNKNOWN, probability
        return self.class_names[top], probability


@dataclass
class Segment:
    start: float  # seconds
    end: float
    label: str
    probability: float  # mean over its windows of the aggregated probability of its label (NaN for silence)
    windows: int
    first_window: int = 0  # its first window's row in the file's window table


def window_slots(starts: np.ndarray, window: int, hop: int, sample_rate: int, n_samples: int) -> np.ndarray:
    """``(n, 2)`` slot bounds in seconds: the central hop of each window, the first one from
    0 and the last one to the end of its window (or of the audio, when that is shorter)."""
    centre = starts + (window - min(hop, window)) / 2
    bounds = np.stack([centre, centre + min(hop, window)], axis=1)
    bounds[0, 0] = 0.0
    bounds[-1, 1] = min(starts[-1] + window, n_samples)
    return bounds / sample_rate


def merge_segments(slots: np.ndarray, labels: list[str], probabilities: list[float]) -> list[Segment]:
    """Runs of equal labels as segments."""
    return _merge_equal(
        [
            Segment(float(start), float(end), label, probability, 1, i)
            for i, ((start, end), label, probability) in enumerate(zip(slots, labels, probabilities))
        ]
    )


def absorb_short_segments(
    segments: list[Segment], min_windows: int, class_names: tuple[str, ...] = (), scores: np.ndarray | None = None
) -> list[Segment]:
    """Relabel runs of fewer than ``min_windows`` windows that sit next to an event
    (typically an onset window that heard only the first instants of a sound) with the
    class of their longer neighbour event, and give them that class's probability in their
    windows (``scores``: every window's aggregated class probabilities, ``(windows,
    classes)``, NaN rows for silent ones; without them nothing is relabelled), then merge.
    Short events between silences are kept: a lone bark is a real event. Silence is never
    relabelled, and nothing becomes ``unknown``: a window confident of a class is evidence,
    "no class was confident" is not an event to join."""
    if min_windows <= 1:
        return segments
    result = [Segment(s.start, s.end, s.label, s.probability, s.windows, s.first_window) for s in segments]
    for i, segment in enumerate(result):
        if segment.label == SILENCE or segment.windows >= min_windows:
            continue
        neighbours = [
            n
            for n in (result[i - 1] if i else None, result[i + 1] if i + 1 < len(result) else None)
            if n is not None and n.label not in (SILENCE, UNKNOWN)
        ]
        if neighbours and scores is not None:
            label = max(neighbours, key=lambda n: n.windows).label
            rows = scores[segment.first_window : segment.first_window + segment.windows]
            segment.label, segment.probability = label, float(np.nanmean(rows[:, class_names.index(label)]))
    return _merge_equal(result)


def _merge_equal(segments: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for s in segments:
        if merged and merged[-1].label == s.label:
            last = merged[-1]
            last.probability = (last.probability * last.windows + s.probability * s.windows) / (
                last.windows + s.windows
            )
            last.end, last.windows = s.end, last.windows + s.windows
        else:
            merged.append(s)
    return merged
