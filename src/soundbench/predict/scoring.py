"""Event-level scores with DCASE's reference implementation (sed_eval): event-based F1 and
error rate with an onset collar, segment-based F1 and error rate, per class; and the
detection-error trade-off a keyword-spotting user reads: false alarms per hour against the
miss rate as the threshold moves.

Event-based matching (Mesaros et al. 2016): an estimated event matches a reference event of
the same label whose onset is within ``collar_s``; with ``offsets=True`` its offset must also
be within max(``collar_s``, 20 % of the reference's length). Error rate = (substitutions +
deletions + insertions) / reference events.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

with warnings.catch_warnings():  # dcase_util imports pkg_resources, which warns of its own deprecation
    warnings.simplefilter("ignore")
    import dcase_util
    import sed_eval

COLUMNS = ["filename", "onset", "offset", "event_label"]


def event_table(recordings: Iterable[tuple[str, list]]) -> pd.DataFrame:
    """Detected events as the table the scores read: ``(file name, its events)`` pairs
    (:class:`soundbench.predict.decision.Event`) to ``filename, onset, offset, event_label,
    probability``."""
    rows = [(name, e.onset, e.offset, e.label, e.probability) for name, events in recordings for e in events]
    return pd.DataFrame(rows, columns=[*COLUMNS, "probability"])


@dataclass(frozen=True)
class ScoringSettings:
    collar_s: float = 0.2  # onset collar (DCASE's 200 ms)
    offsets: bool = False  # also match offsets (collar: max(collar_s, 20 % of the event's length))
    segment_s: float = 1.0  # segment length of the segment-based scores


@dataclass(frozen=True)
class ClassScore:
    f1: float
    n_reference: int
    n_estimated: int
    n_correct: int


@dataclass(frozen=True)
class EventScores:
    event_f1: float
    event_error_rate: float
    precision: float
    recall: float
    segment_f1: float
    segment_error_rate: float
    n_reference: int
    n_estimated: int
    n_correct: int
    hours: float
    per_class: dict[str, ClassScore]

    @property
    def miss_rate(self) -> float:
        return 1.0 - self.n_correct / self.n_reference if self.n_reference else 0.0

    @property
    def false_alarms_per_hour(self) -> float:
        return (self.n_estimated - self.n_correct) / self.hours if self.hours else float("nan")


def score_events(
    reference: pd.DataFrame,
    estimated: pd.DataFrame,
    labels: tuple[str, ...],
    hours: float,
    settings: ScoringSettings = ScoringSettings(),
    segments: bool = True,
) -> EventScores:
    """``reference`` / ``estimated``: one row per event with ``filename, onset, offset,
    event_label`` (seconds); ``hours``: the audio scored. ``segments=False`` skips the
    segment-based scores (NaN), which tuning loops do not need. Reference classes that are
    not in ``labels`` (the model's) are scored too: every one of their events is a miss."""
    labels = (*labels, *sorted(set(reference["event_label"].astype(str)) - set(labels)))
    ref, est = _container(reference), _container(estimated)
    events = sed_eval.sound_event.EventBasedMetrics(
        event_label_list=list(labels),
        t_collar=settings.collar_s,
        percentage_of_length=0.2,
        evaluate_onset=True,
        evaluate_offset=settings.offsets,
    )
    segment = sed_eval.sound_event.SegmentBasedMetrics(
        event_label_list=list(labels), time_resolution=settings.segment_s
    )
    for filename in sorted(set(reference["filename"]) | set(estimated["filename"])):
        ref_file, est_file = ref.filter(filename=filename), est.filter(filename=filename)
        events.evaluate(reference_event_list=ref_file, estimated_event_list=est_file)
        if segments:
            segment.evaluate(reference_event_list=ref_file, estimated_event_list=est_file)
    overall, f_measure = events.overall, events.overall_f_measure()
    seg = segment.results_overall_metrics() if segments else None
    return EventScores(
        event_f1=float(f_measure["f_measure"]),
        event_error_rate=float(events.overall_error_rate()["error_rate"]),
        precision=float(f_measure["precision"]),
        recall=float(f_measure["recall"]),
        segment_f1=float(seg["f_measure"]["f_measure"]) if seg else float("nan"),
        segment_error_rate=float(seg["error_rate"]["error_rate"]) if seg else float("nan"),
        n_reference=int(overall["Nref"]),
        n_estimated=int(overall["Nsys"]),
        n_correct=int(overall["Ntp"]),
        hours=hours,
        per_class={label: _class_score(events, label) for label in labels},
    )


def _class_score(events, label: str) -> ClassScore:
    count = events.class_wise_count(label)
    correct = events.class_wise[label]["Ntp"]
    f1 = events.class_wise_f_measure(label)["f_measure"]
    return ClassScore(float(f1), int(count["Nref"]), int(count["Nsys"]), int(correct))


def _container(table: pd.DataFrame):
    rows = table[COLUMNS].astype({"event_label": str}).to_dict("records")
    return dcase_util.containers.MetaDataContainer(rows)


@dataclass(frozen=True)
class TradeOffPoint:
    threshold: float
    miss_rate: float
    false_alarms_per_hour: float


def false_alarms_at_miss_rate(points: list[TradeOffPoint], miss_rate: float) -> TradeOffPoint | None:
    """The point with the fewest false alarms among those missing at most ``miss_rate``."""
    within = [p for p in points if p.miss_rate <= miss_rate + 1e-9]
    return min(within, key=lambda p: p.false_alarms_per_hour) if within else None


def trade_off_thresholds() -> np.ndarray:
    return np.round(np.arange(0.05, 1.0, 0.05), 2)
