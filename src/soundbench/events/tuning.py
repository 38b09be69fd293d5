"""Tuning the event decision layer on validation soundscapes.

The network runs once per soundscape (:func:`window_posteriors`); every candidate decision
layer is then a cheap pass over the stored posteriors. The objective is the event-based F1
on the validation soundscapes (ties: the lower error rate). Search: coordinate ascent over
:data:`SEARCH_SPACE` from the defaults, one setting at a time, until a pass changes nothing;
then per-class thresholds for the classes with at least ``min_class_events`` validation
events (fewer would fit noise), kept only if the overall F1 improves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm import tqdm

from soundbench.events.soundscapes import SoundscapeSet
from soundbench.predict.decision import EventDecision, detect_events
from soundbench.predict.predictor import Predictor
from soundbench.predict.scoring import (
    EventScores,
    ScoringSettings,
    TradeOffPoint,
    event_table,
    score_events,
    trade_off_thresholds,
)

SEARCH_SPACE: dict[str, list] = {
    "gate_db": [0.0, 2.0, 4.0, 6.0, 8.0],
    "floor_windows": [10, 20, 40, 80],
    "smooth_windows": [1, 2, 3, 5],
    "smoothing": ["mean", "median"],
    "threshold": [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
    "release": [1.0, 0.8, 0.6, 0.4],
    "min_windows": [1, 2, 3],
    "max_gap_windows": [0, 1, 2, 3],
}


@dataclass(frozen=True)
class WindowPosteriors:
    """One recording as the decision layer sees it."""

    filename: str
    posteriors: np.ndarray  # (windows, classes); NaN rows: silent windows
    rms_db: np.ndarray
    slots: np.ndarray  # (windows, 2) seconds


@dataclass(frozen=True)
class Tuned:
    decision: EventDecision
    validation: EventScores
    evaluations: int


def window_posteriors(predictor: Predictor, soundscapes: SoundscapeSet) -> list[WindowPosteriors]:
    recordings = []
    for path in tqdm(soundscapes.audio, desc=f"classifying {soundscapes.folder.name}", leave=False):
        prediction = predictor.predict_file(path, progress=False)
        windows = prediction.windows
        recordings.append(
            WindowPosteriors(
                path.name, prediction.posteriors, windows["rms_db"].to_numpy(), windows[["start", "end"]].to_numpy()
            )
        )
    return recordings


def detected(recordings: list[WindowPosteriors], class_names: tuple[str, ...], decision: EventDecision) -> pd.DataFrame:
    """Every recording's events as one table (``filename, onset, offset, event_label, probability``)."""
    return event_table(
        (r.filename, detect_events(r.posteriors, r.rms_db, r.slots, class_names, decision)) for r in recordings
    )


def evaluate(
    recordings: list[WindowPosteriors],
    soundscapes: SoundscapeSet,
    class_names: tuple[str, ...],
    decision: EventDecision,
    scoring: ScoringSettings,
    segments: bool = True,
) -> EventScores:
    estimated = detected(recordings, class_names, decision)
    return score_events(soundscapes.annotations, estimated, class_names, soundscapes.hours, scoring, segments)


def tune_decision(
    recordings: list[WindowPosteriors],
    soundscapes: SoundscapeSet,
    class_names: tuple[str, ...],
    scoring: ScoringSettings,
    start: EventDecision = EventDecision(),
    min_class_events: int = 10,
) -> Tuned:
    evaluations = 0

    def objective(decision: EventDecision) -> tuple[float, float]:
        nonlocal evaluations
        evaluations += 1
        scores = evaluate(recordings, soundscapes, class_names, decision, scoring, segments=False)
        return scores.event_f1, -scores.event_error_rate

    best, best_value = start, objective(start)
    changed = True
    while changed:
        changed = False
        for name, values in SEARCH_SPACE.items():
            for value in values:
                candidate = best.with_changes(**{name: value})
                if candidate == best:
                    continue
                value_of = objective(candidate)
                if value_of > best_value:
                    best, best_value, changed = candidate, value_of, True
    per_class = _class_thresholds(recordings, soundscapes, class_names, scoring, best, min_class_events)
    evaluations += len(SEARCH_SPACE["threshold"])
    if per_class:
        candidate = best.with_changes(class_thresholds=per_class)
        value_of = objective(candidate)
        if value_of > best_value:
            best = candidate
    return Tuned(best, evaluate(recordings, soundscapes, class_names, best, scoring), evaluations)


def _class_thresholds(
    recordings, soundscapes, class_names, scoring, decision: EventDecision, min_class_events: int
) -> dict[str, float]:
    """Per class, the threshold with its best class F1 (where it has enough events)."""
    by_threshold = {
        t: evaluate(recordings, soundscapes, class_names, decision.with_changes(threshold=t), scoring, segments=False)
        for t in SEARCH_SPACE["threshold"]
    }
    chosen = {}
    for label in class_names:
        if by_threshold[decision.threshold].per_class[label].n_reference < min_class_events:
            continue
        best = max(by_threshold, key=lambda t: (by_threshold[t].per_class[label].f1, t == decision.threshold))
        if best != decision.threshold:
            chosen[label] = best
    return chosen


def trade_off(
    recordings: list[WindowPosteriors],
    soundscapes: SoundscapeSet,
    class_names: tuple[str, ...],
    decision: EventDecision,
    scoring: ScoringSettings,
) -> list[TradeOffPoint]:
    """Miss rate and false alarms per hour as one threshold for every class moves (the other
    settings as given)."""
    points = []
    for threshold in trade_off_thresholds():
        swept = decision.with_changes(threshold=float(threshold), class_thresholds={})
        scores = evaluate(recordings, soundscapes, class_names, swept, scoring, segments=False)
        points.append(TradeOffPoint(float(threshold), scores.miss_rate, scores.false_alarms_per_hour))
    return points
