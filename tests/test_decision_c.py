"""The event decision layer in C (embedded/decision) reports the host's events, window for
window, for every kind of setting: built with the host compiler, so no toolchain is needed."""

from __future__ import annotations

import numpy as np
import pytest

from soundbench.deploy.decision_c import build_host, compare_events, run_host, write_config_header
from soundbench.predict.decision import EventDecision, detect_events
from tests.conftest import ROOT

CLASSES = ("dog", "siren", "drill", "_background_")
DECISIONS = [
    EventDecision(),
    EventDecision(smooth_windows=1, threshold=0.3),
    EventDecision(smooth_windows=5, smoothing="median", threshold=0.4, release=0.6),
    EventDecision(smooth_windows=4, smoothing="median", gate_db=4.0, floor_windows=7, min_windows=2),
    EventDecision(smooth_windows=2, release=0.5, max_gap_windows=3, min_windows=3, class_thresholds={"drill": 0.25}),
    EventDecision(smooth_windows=1, threshold=0.3, background_classes=()),
    EventDecision(silence_db=-55.0, gate_db=2.0, floor_windows=3, threshold=0.45, max_gap_windows=1),
]


def stream(seed: int, n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """Posteriors with stretches of one confident class and noisy background between, and
    levels that rise over a wandering background during events."""
    rng = np.random.default_rng(seed)
    posteriors = rng.dirichlet(np.ones(len(CLASSES)), size=n)
    levels = -50 + np.cumsum(rng.normal(0, 0.5, n)) * 0.2 + rng.normal(0, 2, n)
    t = 0
    while t < n:
        length, label = int(rng.integers(2, 15)), int(rng.integers(len(CLASSES)))
        posteriors[t : t + length] = 0.6 * posteriors[t : t + length] + 0.4 * np.eye(len(CLASSES))[label]
        levels[t : t + length] += rng.uniform(0, 12)
        t += length + int(rng.integers(1, 20))
    posteriors = posteriors.astype(np.float32)
    posteriors[rng.random(n) < 0.02] = np.nan  # windows the host never classified
    return posteriors, levels


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    return build_host(ROOT, tmp_path_factory.mktemp("decision"))


@pytest.mark.parametrize("decision", DECISIONS, ids=range(len(DECISIONS)))
def test_the_c_layer_reports_the_host_s_events(program, decision):
    for seed in range(3):
        posteriors, levels = stream(seed)
        starts = np.arange(len(posteriors)) * 0.5
        host = detect_events(posteriors, levels, np.stack([starts, starts + 0.5], 1), CLASSES, decision)
        device = run_host(program, posteriors, levels, decision, CLASSES)
        agreement = compare_events(host, device, CLASSES)
        assert len(host) > 5
        assert agreement.matching == len(host) == len(device), (seed, agreement)
        assert agreement.max_abs_diff_probability < 1e-6


def test_one_window_different_is_a_disagreement(program):
    posteriors, levels = stream(0)
    host = detect_events(posteriors, levels, np.zeros((len(posteriors), 2)), CLASSES, EventDecision())
    device = run_host(program, posteriors, levels, EventDecision(), CLASSES)
    device["last"][0] += 1
    assert compare_events(host, device, CLASSES).matching == len(host) - 1


def test_the_config_header_holds_the_settings(tmp_path):
    header = write_config_header(
        EventDecision(class_thresholds={"drill": 0.25}),
        CLASSES,
        tmp_path,
    ).read_text()
    assert "{0.5, 0.5, 0.25, INFINITY}" in header and "#define SB_DECISION_CLASSES 4" in header
