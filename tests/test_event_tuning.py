"""Tuning the decision layer on validation soundscapes: better than the defaults where the
defaults fail (a model with no background class, confident on the background), and what
is tuned is what the bundle then uses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from soundbench.events.soundscapes import ClipSources, SoundscapeSpec, build_split
from soundbench.events.tuning import evaluate, trade_off, tune_decision, window_posteriors
from soundbench.predict import Predictor
from soundbench.predict.decision import EventDecision
from soundbench.predict.scoring import ScoringSettings, false_alarms_at_miss_rate
from tests.test_predict import HIGH_HZ, LOW_HZ, SR, bundle  # noqa: F401  (the tone model's bundle fixture)


def sources(folder) -> ClipSources:
    rows = []
    for label, hz in (("low", LOW_HZ), ("high", HIGH_HZ)):
        for k in range(3):
            t = np.arange(int(1.5 * SR)) / SR
            path = folder / f"{label}_{k}.wav"
            sf.write(path, 0.3 * np.sin(2 * np.pi * hz * t), SR, subtype="PCM_16")
            rows.append({"path": str(path), "class_name": label, "start": 0.0, "duration": np.nan})
    t = np.arange(4 * SR) / SR
    hum = 0.1 * np.sin(2 * np.pi * LOW_HZ * t) + np.random.default_rng(0).normal(0, 0.02, len(t))
    sf.write(folder / "hum.wav", hum, SR, subtype="PCM_16")  # a background the model takes for "low"
    return ClipSources(pd.DataFrame(rows), (folder / "hum.wav",))


def test_tuning_beats_the_defaults_on_validation_and_holds_on_test(tmp_path, bundle):  # noqa: F811
    spec = SoundscapeSpec("tones", SR, seconds=20, count=4, events_per_minute=12, min_gap_s=1.0, snr_db=(12, 15))
    clips = sources(tmp_path)
    validation = build_split(spec, clips, "validation", tmp_path / "validation")
    test = build_split(spec, clips, "test", tmp_path / "test")
    predictor = Predictor(bundle, decision=EventDecision())
    names, scoring = bundle.class_names, ScoringSettings(collar_s=1.0)
    val_windows, test_windows = window_posteriors(predictor, validation), window_posteriors(predictor, test)
    default = evaluate(val_windows, validation, names, EventDecision(), scoring)
    tuned = tune_decision(val_windows, validation, names, scoring)
    assert default.false_alarms_per_hour > 0  # the hum is heard as "low" ...
    assert tuned.validation.event_f1 > default.event_f1 + 0.2 and tuned.decision.gate_db > 0  # ... until gated
    on_test = evaluate(test_windows, test, names, tuned.decision, scoring)
    assert on_test.event_f1 > evaluate(test_windows, test, names, EventDecision(), scoring).event_f1
    points = trade_off(test_windows, test, names, tuned.decision, scoring)
    assert [p.threshold for p in points] == sorted(p.threshold for p in points)
    best = false_alarms_at_miss_rate(points, 1.0)
    assert best is not None and best.false_alarms_per_hour == min(p.false_alarms_per_hour for p in points)


def test_window_hops_tried_keep_windows_on_the_frame_grid(bundle, capsys):  # noqa: F811
    from soundbench.events.run import hop_candidates

    fe = bundle.frontend  # 16 frames of 512 samples per window hop
    assert hop_candidates(fe, [1, 2, 3, 4]) == [0, fe.window_hop_samples // 2, fe.window_hop_samples // 4]
    assert "hop division 3 skipped" in capsys.readouterr().out


@pytest.mark.slow
def test_tune_writes_its_report_and_saves_the_layer_in_the_bundle(tmp_path, bundle):  # noqa: F811
    import json
    import shutil

    from soundbench.events.run import tune
    from soundbench.predict import load_bundle
    from soundbench.predict.decision import tuned_decision
    from tests.conftest import compose_config, shared_dataset

    fsdd, urbansound = shared_dataset("fsdd"), shared_dataset("urbansound8k")
    copy = tmp_path / "bundle"
    shutil.copytree(bundle.folder, copy)
    manifest = json.loads((copy / "bundle.json").read_text())
    (copy / "bundle.json").write_text(json.dumps({**manifest, "class_names": ["0", "1"]}))  # digits 2-9: misses
    cfg = compose_config(
        [
            f"soundscapes.dataset.root={fsdd}",
            f"soundscapes.background.dataset.root={urbansound}",
            "soundscapes.spec.count=2",
            f"out_dir={tmp_path / 'events'}",
        ],
        config_name="events",
    )
    with pytest.raises(SystemExit, match="none of which is a class of the model"):
        tune(cfg, bundle)  # its classes are "low" and "high"
    report = tune(cfg, load_bundle(copy))
    assert tuned_decision(copy) == report.decision  # predict and deploy use it from now on
    assert len(report.by_hop) == len(cfg.hop_divisions)  # the window hop chosen on validation among those tried
    assert report.tuned_on_validation.event_f1 == max(h.validation_f1 for h in report.by_hop)
    folder = tmp_path / "events" / copy.name
    saved = json.loads((folder / "report.json").read_text())
    assert saved["tuned"]["n_reference"] == report.tuned.n_reference > 0
    assert (folder / "trade_off.png").stat().st_size > 0 and "| model |" in (folder / "report.md").read_text()
