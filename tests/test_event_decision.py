"""The event decision layer: hysteresis, smoothing delay, gap merging, minimum length, the
background gate, per-class thresholds, and its decision.json."""

from __future__ import annotations

import json

import numpy as np
import pytest

from soundbench.predict.decision import DECISION_FILE, EventDecision, background_level, detect_events, tuned_decision

CLASSES = ("dog", "siren")
HOP = 0.5


def slots(n: int) -> np.ndarray:
    starts = np.arange(n) * HOP
    return np.stack([starts, starts + HOP], axis=1)


def trace(dog: list[float], siren: list[float] | None = None) -> np.ndarray:
    siren = siren or [0.0] * len(dog)
    return np.array([dog, siren], dtype=float).T


def events(posteriors, decision, rms_db=None):
    rms_db = np.full(len(posteriors), -20.0) if rms_db is None else np.asarray(rms_db, dtype=float)
    found = detect_events(posteriors, rms_db, slots(len(posteriors)), CLASSES, decision)
    return [(e.label, e.onset, e.offset) for e in found]


def test_hysteresis_keeps_one_event_through_a_dip_that_a_plain_threshold_splits():
    dip = trace([0, 0.8, 0.9, 0.45, 0.85, 0.8, 0, 0])
    plain = EventDecision(smooth_windows=1, threshold=0.5)
    assert events(dip, plain) == [("dog", 0.5, 1.5), ("dog", 2.0, 3.0)]
    assert events(dip, plain.with_changes(release=0.5)) == [("dog", 0.5, 3.0)]


def test_gaps_merge_and_short_events_are_dropped():
    blips = trace([0.9, 0, 0.9, 0.9, 0, 0, 0, 0.9])
    decision = EventDecision(smooth_windows=1, threshold=0.5)
    assert events(blips, decision.with_changes(max_gap_windows=1)) == [("dog", 0.0, 2.0), ("dog", 3.5, 4.0)]
    assert events(blips, decision.with_changes(min_windows=2)) == [("dog", 1.0, 2.0)]


def test_an_event_ends_where_another_class_takes_over_and_keeps_its_own_probability():
    handover = trace([0.9, 0.9, 0.2, 0.1], [0.05, 0.1, 0.8, 0.9])
    found = detect_events(handover, np.full(4, -20.0), slots(4), CLASSES, EventDecision(smooth_windows=1))
    assert [(e.label, e.onset, e.offset) for e in found] == [("dog", 0.0, 1.0), ("siren", 1.0, 2.0)]
    assert found[0].probability == pytest.approx(0.9) and found[1].probability == pytest.approx(0.85)


def test_smoothing_is_causal_and_its_delay_is_taken_back_from_the_times():
    step = trace([0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0])
    # a 3-window mean crosses 0.5 one window late and leaves one late: both moved back one window
    assert events(step, EventDecision(smooth_windows=3, threshold=0.5)) == [("dog", 1.5, 3.5)]


def test_the_gate_ignores_a_steady_background_and_hears_what_rises_out_of_it():
    confident = trace([0.9] * 12)  # a model with no background class: sure of "dog" all along
    rms = [-40.0] * 5 + [-30.0, -30.0] + [-40.0] * 5
    assert events(confident, EventDecision(smooth_windows=1), rms) == [("dog", 0.0, 6.0)]
    assert events(confident, EventDecision(smooth_windows=1, gate_db=6.0, floor_windows=4), rms) == [("dog", 2.5, 3.5)]
    assert list(background_level(np.array([-40, -30, -35, -20.0]), 2)) == [-40, -40, -35, -35]


def test_silent_and_unclassified_windows_never_start_an_event():
    posteriors = trace([0.9, 0.9, 0.9])
    posteriors[1] = np.nan  # a window the predictor did not classify
    assert events(posteriors, EventDecision(smooth_windows=1, silence_db=-50), [-20, -20, -70]) == [("dog", 0.0, 0.5)]


def test_per_class_thresholds_override_the_global_one():
    quiet_siren = trace([0.1] * 3, [0.45] * 3)
    assert events(quiet_siren, EventDecision(smooth_windows=1)) == []
    assert events(quiet_siren, EventDecision(smooth_windows=1, class_thresholds={"siren": 0.4})) == [
        ("siren", 0.0, 1.5)
    ]
    with pytest.raises(ValueError, match="classes the model does not have: \\['cat'\\]"):
        events(quiet_siren, EventDecision(class_thresholds={"cat": 0.4}))


def test_decision_json_round_trips_and_refuses_what_it_does_not_know(tmp_path):
    decision = EventDecision(gate_db=4.0, smoothing="median", class_thresholds={"dog": 0.3})
    decision.save(tmp_path)
    assert tuned_decision(tmp_path) == decision
    assert tuned_decision(tmp_path / "elsewhere") is None
    (tmp_path / DECISION_FILE).write_text(json.dumps({"threshold": 0.5, "_target_": "os.system"}))
    with pytest.raises(ValueError, match="expected an object with keys from"):
        tuned_decision(tmp_path)
    with pytest.raises(ValueError, match="release=1.5 must be in"):
        EventDecision(release=1.5)


def test_a_background_class_is_never_an_event():
    with_background = ("dog", "_background_")
    posteriors = np.array([[0.1, 0.9], [0.1, 0.9], [0.8, 0.2], [0.9, 0.1], [0.1, 0.9]])
    found = detect_events(posteriors, np.full(5, -20.0), slots(5), with_background, EventDecision(smooth_windows=1))
    assert [(e.label, e.onset, e.offset) for e in found] == [("dog", 1.0, 2.0)]
    assert EventDecision(background_classes=()).thresholds(with_background).tolist() == [0.5, 0.5]
