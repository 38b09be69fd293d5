"""Soundscapes with ground truth, event scores, and the decision layer tuned on them: the
annotations say where the sound is, the splits keep their own clips, a change rebuilds,
and the scores count what a user would count."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from soundbench.events.soundscapes import ClipSources, SoundscapeSpec, build_split, trim
from soundbench.predict.scoring import ScoringSettings, score_events
from tests.conftest import compose_config, shared_dataset

SR = 8000


def write(path, audio):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, audio, SR, subtype="PCM_16")
    return path


def tone_clips(folder, labels=("low", "high"), per_label=3) -> pd.DataFrame:
    """Tones with digital silence around them, as ESC-50 pads its clips."""
    rows = []
    for label, hz in zip(labels, (300, 1500)):
        for k in range(per_label):
            t = np.arange(int(0.4 * SR)) / SR
            audio = np.concatenate([np.zeros(SR // 4), 0.5 * np.sin(2 * np.pi * hz * t), np.zeros(SR // 4)])
            path = write(folder / f"{label}_{k}.wav", audio)
            rows.append({"path": str(path), "class_name": label, "start": 0.0, "duration": np.nan})
    return pd.DataFrame(rows)


@pytest.fixture
def sources(tmp_path) -> ClipSources:
    noise = np.random.default_rng(0).normal(0, 0.05, 3 * SR)
    return ClipSources(tone_clips(tmp_path / "clips"), (write(tmp_path / "bg" / "street.wav", noise),))


SPEC = SoundscapeSpec("tones", SR, seconds=10, count=3, events_per_minute=24, min_gap_s=0.3, snr_db=(10, 10))


def test_annotations_mark_where_the_sound_is_and_events_never_overlap(tmp_path, sources):
    built = build_split(SPEC, sources, "test", tmp_path / "test")
    table = built.annotations
    assert len(built.audio) == 3 and len(table) >= 3
    for name, events in table.groupby("filename"):
        audio, rate = sf.read(built.folder / "audio" / name)
        assert rate == SR and len(audio) == 10 * SR
        events = events.sort_values("onset")
        assert (events["onset"].to_numpy()[1:] >= events["offset"].to_numpy()[:-1] + 0.3 - 1e-6).all()
        for event in events.itertuples():
            inside = audio[int(event.onset * SR) : int(event.offset * SR)]
            assert event.offset - event.onset == pytest.approx(0.4, abs=0.011)  # the tone, padding trimmed
            background = 10 ** (SPEC.background_db / 20)  # the event at 10 dB over it: sqrt(1 + 10) x its RMS
            assert np.sqrt(np.mean(inside**2)) == pytest.approx(background * np.sqrt(11), rel=0.1)
        quiet = audio[: int(events["onset"].min() * SR)]
        assert np.sqrt(np.mean(quiet**2)) == pytest.approx(10 ** (SPEC.background_db / 20), rel=0.1)
    assert set(pd.read_csv(built.folder / "events.csv")["source"]) <= set(sources.events["path"])


def test_same_settings_reuse_and_any_change_rebuilds(tmp_path, sources):
    first = build_split(SPEC, sources, "validation", tmp_path / "v")
    written = (first.folder / "audio" / first.audio[0].name).stat().st_mtime_ns
    again = build_split(SPEC, sources, "validation", tmp_path / "v")
    assert (again.folder / "audio" / again.audio[0].name).stat().st_mtime_ns == written
    louder_spec = SoundscapeSpec(**{**SPEC.__dict__, "snr_db": (20, 20)})
    louder = build_split(louder_spec, sources, "validation", tmp_path / "v")
    assert pd.read_csv(louder.folder / "events.csv")["snr_db"].eq(20).all()
    manifest = (louder.folder / "manifest.json").read_text()
    for path in sources.events["path"]:  # every source clip replaced in place, same names
        write(Path(path), np.concatenate([np.zeros(SR // 4), np.full(SR // 2, 0.3)]))
    rebuilt = build_split(louder_spec, sources, "validation", tmp_path / "v")
    assert (rebuilt.folder / "manifest.json").read_text() != manifest
    assert (rebuilt.annotations["offset"] - rebuilt.annotations["onset"]).round(2).eq(0.5).all()


def test_validation_and_test_differ_and_each_is_reproducible(tmp_path, sources):
    a = build_split(SPEC, sources, "validation", tmp_path / "a")
    b = build_split(SPEC, sources, "test", tmp_path / "b")
    c = build_split(SPEC, sources, "test", tmp_path / "c")
    assert not a.annotations[["onset"]].equals(b.annotations[["onset"]])
    pd.testing.assert_frame_equal(b.annotations, c.annotations)


def test_trim_keeps_the_sounding_part():
    audio = np.concatenate([np.zeros(800), np.ones(1600) * 0.5, np.zeros(800)])
    assert len(trim(audio, SR)) == 1600


def reference(*events):
    return pd.DataFrame([("a.wav", *e) for e in events], columns=["filename", "onset", "offset", "event_label"])


def test_event_scores_count_hits_misses_and_false_alarms_with_the_onset_collar():
    truth = reference((1.0, 1.4, "low"), (3.0, 3.4, "high"), (5.0, 5.4, "low"))
    estimated = reference((1.1, 1.6, "low"), (3.5, 3.9, "high"), (7.0, 7.5, "high"))
    scores = score_events(truth, estimated, ("low", "high"), hours=0.01, settings=ScoringSettings(collar_s=0.2))
    assert (scores.n_reference, scores.n_estimated, scores.n_correct) == (3, 3, 1)  # 3.5 is 0.5 s late
    assert scores.event_f1 == pytest.approx(1 / 3)
    assert scores.miss_rate == pytest.approx(2 / 3) and scores.false_alarms_per_hour == pytest.approx(200)
    assert scores.per_class["low"].n_correct == 1 and scores.per_class["high"].n_correct == 0
    wide = score_events(truth, estimated, ("low", "high"), hours=0.01, settings=ScoringSettings(collar_s=0.6))
    assert wide.n_correct == 2
    perfect = score_events(truth, truth, ("low", "high"), hours=0.01)
    assert perfect.event_f1 == 1.0 and perfect.event_error_rate == 0.0 and perfect.segment_f1 == 1.0


@pytest.mark.slow
def test_fsdd_soundscapes_take_each_split_s_own_recordings(tmp_path):
    from soundbench.events.run import build

    fsdd = shared_dataset("fsdd")
    urbansound = shared_dataset("urbansound8k")
    cfg = compose_config(
        [
            "soundscapes=fsdd",
            f"soundscapes.dataset.root={fsdd}",
            f"soundscapes.background.dataset.root={urbansound}",
            "soundscapes.spec.count=3",
            f"out_dir={tmp_path}",
        ],
        config_name="events",
    )
    built = build(cfg)
    for split, indices in (("validation", range(5, 10)), ("test", range(0, 5))):
        events = pd.read_csv(built[split].folder / "events.csv", dtype={"event_label": str})
        names = events["source"].map(lambda p: p.rsplit("/", 1)[-1].removesuffix(".wav").split("_"))
        assert all(int(index) in indices for _, _, index in names)  # FSDD's official split
        assert list(events["event_label"]) == [digit for digit, _, _ in names]


def test_the_command_line_says_what_it_needs():
    from soundbench.events.__main__ import main

    with pytest.raises(SystemExit, match="usage: python -m soundbench.events <build | tune | score>"):
        main(["frobnicate"])
    with pytest.raises(SystemExit, match="tune needs bundle="):
        main(["tune", "soundscapes=esc40"])
