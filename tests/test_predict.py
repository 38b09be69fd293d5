"""predict on long recordings: timeline, silence gate, open set, bounded-memory streaming,
and outputs that read back as training data."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from torch import nn

from soundbench.artifacts.onnx_export import export_onnx
from soundbench.data.datasets import AudacityLabels
from soundbench.features import LogMel
from soundbench.predict import SILENCE, UNKNOWN, DecisionSettings, Predictor, load_bundle, save_bundle
from soundbench.predict.decision import EventDecision
from soundbench.predict.stream import WindowStream
from tests.conftest import ROOT, compose_config

SR = 16000
FEATURES = {
    "_target_": "soundbench.features.LogMel",
    "sample_rate": SR,
    "n_fft": 1024,
    "hop_length": 512,
    "n_mels": 60,
    "window_frames": 31,
    "window_overlap": 0.5,
}
LOW_HZ, HIGH_HZ = 300.0, 5000.0
WINDOW_S = 30 * 512 / SR  # 0.96 s

# (start, end, what) of the synthetic recording; everything else is silence
SCRIPT = [(5.0, 10.0, "low"), (14.0, 19.0, "high"), (22.0, 26.0, "both")]
DURATION = 30.0


class ToneBands(nn.Module):
    """A fixed two-class 'model': the peak standardised log-mel level around the band of a
    low tone vs a high tone. Both tones at once score alike, so neither class is confident."""

    def __init__(self, frontend: LogMel):
        super().__init__()
        self.bands = [self._peak_band(frontend, hz) for hz in (LOW_HZ, HIGH_HZ)]

    @staticmethod
    def _peak_band(frontend: LogMel, hz: float) -> int:
        t = torch.arange(frontend.window_samples) / SR
        with torch.no_grad():
            features = frontend(0.5 * torch.sin(2 * torch.pi * hz * t)[None])
        return int(features[0, 0].mean(1).argmax())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        spectrum = x.mean(dim=3).flatten(1)  # (batch, bands)
        peaks = [spectrum[:, max(0, b - 2) : b + 3].amax(dim=1) for b in self.bands]
        return 2.0 * torch.stack(peaks, dim=1)


def tone(hz: float, seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return 0.3 * np.sin(2 * np.pi * hz * t)


def synthetic_recording(path: Path) -> Path:
    rng = np.random.default_rng(0)
    audio = rng.normal(0, 10 ** (-85 / 20), int(DURATION * SR))  # room noise at -85 dBFS: silence
    for start, end, what in SCRIPT:
        hz = {"low": [LOW_HZ], "high": [HIGH_HZ], "both": [LOW_HZ, HIGH_HZ]}[what]
        event = sum(tone(h, end - start) for h in hz) / len(hz)
        audio[int(start * SR) : int(start * SR) + len(event)] += event
    sf.write(path, audio, SR, subtype="PCM_16")
    return path


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bundle")
    frontend = LogMel(**{k: v for k, v in FEATURES.items() if k != "_target_"})
    export_onnx(ToneBands(frontend), frontend.output_shape(), folder / "model.onnx")
    save_bundle(folder, FEATURES, ("low", "high"), {"float32": "model.onnx"}, {"model": "tone_bands"}, frontend)
    return load_bundle(folder)


@pytest.fixture(scope="module")
def torch_bundle(tmp_path_factory, bundle):
    """The same model in a bundle without frontend.onnx (an older bundle): the torch front end runs."""
    folder = tmp_path_factory.mktemp("torch_bundle")
    shutil.copy(bundle.folder / "model.onnx", folder)
    save_bundle(folder, FEATURES, ("low", "high"), {"float32": "model.onnx"}, {"model": "tone_bands"})
    return load_bundle(folder)


@pytest.fixture(scope="module")
def recording(tmp_path_factory) -> Path:
    return synthetic_recording(tmp_path_factory.mktemp("audio") / "garden.wav")


def expected_label(what: str) -> str:
    return UNKNOWN if what == "both" else what


def test_timeline_of_a_recording_with_silences_and_events(bundle, recording):
    prediction = Predictor(bundle, DecisionSettings(silence_db=-60, unknown_threshold=0.7)).predict_file(
        recording, progress=False
    )
    labels = [s.label for s in prediction.segments]
    assert labels == [SILENCE, "low", SILENCE, "high", SILENCE, UNKNOWN, SILENCE]
    events = [s for s in prediction.segments if s.label != SILENCE]
    for segment, (start, end, what) in zip(events, SCRIPT):
        assert segment.label == expected_label(what)
        # window resolution: an event is seen by any window that overlaps it
        assert abs(segment.start - start) <= WINDOW_S and abs(segment.end - end) <= WINDOW_S
    assert prediction.segments[0].start == 0.0
    assert DURATION - prediction.segments[-1].end < 0.6  # the tail after the last full window (< 1 hop)
    silent = prediction.windows[prediction.windows["label"] == SILENCE]
    assert silent["probability"].isna().all() and (silent["rms_db"] < -60).all()


def test_silence_threshold_and_open_set_are_settings(bundle, recording):
    everything = Predictor(bundle, DecisionSettings(silence_db=-120, unknown_threshold=0.0)).predict_file(
        recording, progress=False
    )
    assert {s.label for s in everything.segments} <= {"low", "high"}  # no gate, no rejection
    rejecting = Predictor(bundle, DecisionSettings(unknown_threshold=1.0)).predict_file(recording, progress=False)
    assert {s.label for s in rejecting.segments} == {SILENCE, UNKNOWN}


def test_stream_holds_one_block_not_the_file(tmp_path, bundle):
    """A 20-minute file at 8 kHz (resampled to the model's 16 kHz), streamed in 5 s blocks."""
    path, minutes = tmp_path / "long.wav", 20
    with sf.SoundFile(path, "w", samplerate=8000, channels=1, subtype="PCM_16") as f:
        for minute in range(minutes):  # written a minute at a time: the test holds no whole file either
            block = np.zeros(60 * 8000)
            block[8000 : 5 * 8000] = 0.3 * np.sin(2 * np.pi * LOW_HZ * np.arange(4 * 8000) / 8000)
            f.write(block)
    prediction = Predictor(bundle, block_seconds=5).predict_file(path, progress=False)
    fe = bundle.frontend
    block = prediction.block_samples
    assert block <= 5 * SR + fe.window_hop_samples
    assert prediction.max_buffered_samples <= block + fe.window_samples + 2 * fe.window_hop_samples
    assert prediction.max_buffered_samples < minutes * 60 * SR / 100
    expected_windows = (minutes * 60 * SR - fe.window_samples) // fe.window_hop_samples + 1
    assert len(prediction.windows) == expected_windows
    assert sum(s.label == "low" for s in prediction.segments) == minutes


def test_the_decision_layer_s_window_hop_sets_where_windows_start(bundle, recording):
    fe = bundle.frontend
    hop = fe.window_hop_samples // 4
    sure = EventDecision(threshold=0.7, hop_samples=hop)
    fine = Predictor(bundle, decision=sure).predict_file(recording, progress=False)
    coarse = Predictor(bundle, decision=EventDecision(threshold=0.7)).predict_file(recording, progress=False)
    assert len(fine.windows) == (int(DURATION * SR) - fe.window_samples) // hop + 1
    assert np.allclose(np.diff(fine.windows["window_start"]), hop / SR)
    assert [e.label for e in fine.events] == [e.label for e in coarse.events] == ["low", "high"]
    assert np.allclose(np.diff(fine.windows[["start", "end"]].to_numpy()[1:-1], axis=1), hop / SR)  # slots: a hop
    with pytest.raises(ValueError, match="longer than the window"):
        Predictor(bundle, decision=EventDecision(hop_samples=fe.window_samples + 1))


def test_stream_equals_whole_file_resampling(tmp_path):
    from soundbench.data.audio import read_audio
    from soundbench.data.windows import cut_windows

    path = tmp_path / "stereo48k.wav"
    sf.write(path, np.random.default_rng(1).normal(0, 0.1, (48000 * 3 + 77, 2)), 48000, subtype="FLOAT")
    stream = WindowStream(path, 22050, 15360, 8192, block_windows=1)
    streamed = np.concatenate([b.windows for b in stream])
    whole = cut_windows(read_audio(path, 22050), 15360, 8192).numpy()
    assert np.allclose(streamed, whole, atol=1e-6)


def test_outputs_and_audacity_round_trip(tmp_path, bundle, recording):
    from soundbench.predict.run import predict_files

    out = tmp_path / "out"
    sure = EventDecision(threshold=0.7)  # "both" tones score ~0.5 each: not an event
    report = predict_files(
        bundle, [recording], out, DecisionSettings(unknown_threshold=0.7), progress=False, decision=sure
    )
    result = report["files"][0]
    timeline = (out / "garden.timeline.csv").read_text().splitlines()
    assert timeline[0] == "start,end,label,probability" and len(timeline) == 8
    assert json.loads((out / "summary.json").read_text())["files"][0]["segments"] == 7
    assert result["realtime_factor"] > 1

    # The label track is training data: next to its recording, the Audacity reader cuts the same regions
    data = tmp_path / "data"
    data.mkdir()
    (data / recording.name).symlink_to(recording)
    (data / "garden.labels.txt").write_bytes((out / "garden.labels.txt").read_bytes())
    table, class_names = AudacityLabels(data).read_table()
    events = json.loads((out / "garden.events.json").read_text())["events"]
    assert events == result["events"] and [e["label"] for e in events] == ["low", "high"]
    assert list(table["class_name"]) == [e["label"] for e in events]
    assert np.allclose(table["start"], [e["onset"] for e in events], atol=1e-3)
    assert np.allclose(table["start"] + table["duration"], [e["offset"] for e in events], atol=1e-3)
    assert class_names == ["high", "low"]


def test_events_are_scored_against_the_truth_with_the_bundle_s_tuned_decision(tmp_path, bundle, recording):
    from soundbench.predict.run import predict_files

    truth = tmp_path / "truth.tsv"
    rows = [f"{recording.name}\t{start}\t{end}\t{what}" for start, end, what in SCRIPT if what != "both"]
    truth.write_text("filename\tonset\toffset\tevent_label\n" + "\n".join(rows) + "\n")
    sure = EventDecision(threshold=0.7)
    report = predict_files(
        bundle, [recording], tmp_path / "out", DecisionSettings(), progress=False, truth=truth, decision=sure
    )
    scores = report["scores"]
    assert (scores["n_reference"], scores["n_correct"]) == (2, 2) and scores["event_f1"] == 1.0
    # a decision layer that hears nothing misses both, and is what the report says it used
    deaf = EventDecision(silence_db=0.0)
    report = predict_files(
        bundle, [recording], tmp_path / "o2", DecisionSettings(), progress=False, truth=truth, decision=deaf
    )
    assert report["scores"]["n_correct"] == 0 and report["decision"]["silence_db"] == 0.0
    # saved in the bundle, it is the predictor's default
    copy = tmp_path / "tuned"
    shutil.copytree(bundle.folder, copy)
    deaf.save(copy)
    assert Predictor(load_bundle(copy)).decision == deaf
    bad = tmp_path / "bad.tsv"
    bad.write_text("file,start\nx.wav,1\n")
    with pytest.raises(ValueError, match="lacks columns"):
        predict_files(bundle, [recording], tmp_path / "o3", DecisionSettings(), progress=False, truth=bad)


@pytest.mark.slow
def test_predict_cli_reports_a_bad_file_and_keeps_the_others(tmp_path, bundle, recording):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00not audio at all")
    command = [
        sys.executable,
        "predict.py",
        f"bundle={bundle.folder}",
        f"audio=[{recording},{broken}]",
        f"out_dir={tmp_path / 'out'}",
        "progress=false",
        "unknown_threshold=0.7",
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode != 0
    assert "broken.wav: cannot be decoded" in done.stdout + done.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["files"][0]["events"][0]["label"] == "low"
    assert "error" in summary["files"][1]
    assert (tmp_path / "out" / "garden.labels.txt").is_file()


def test_the_exported_front_end_predicts_what_the_torch_one_does(bundle, torch_bundle, recording):
    assert (bundle.frontend.runs_on, torch_bundle.frontend.runs_on) == ("onnxruntime", "torch")
    settings = DecisionSettings(silence_db=-60, unknown_threshold=0.7)
    onnx = Predictor(bundle, settings).predict_file(recording, progress=False)
    reference = Predictor(torch_bundle, settings).predict_file(recording, progress=False)
    assert list(onnx.windows["label"]) == list(reference.windows["label"])
    assert np.allclose(onnx.posteriors, reference.posteriors, atol=1e-5, equal_nan=True)
    assert [(e.label, e.onset, e.offset) for e in onnx.events] == [
        (e.label, e.onset, e.offset) for e in reference.events
    ]


def test_predict_with_an_exported_front_end_never_imports_torch(tmp_path, bundle, recording):
    """What makes a cached start fast: importing torch is most of it."""
    command = [sys.executable, "-X", "importtime", "predict.py", f"bundle={bundle.folder}", f"audio={recording}"]
    done = subprocess.run(
        [*command, f"out_dir={tmp_path}", "progress=false"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "onnxruntime" in imported and "hydra" in imported  # the check sees the imports
    assert not {name for name in imported if name.split(".")[0] in ("torch", "torchaudio", "lightning")}
    assert json.loads((tmp_path / "summary.json").read_text())["files"][0]["events"][0]["label"] == "low"


def test_auto_runs_the_front_end_on_onnxruntime_until_torch_would_repay_its_import(
    bundle, torch_bundle, recording, monkeypatch
):
    from soundbench.predict import run as predict_run

    assert predict_run.frontend_runtime("auto", bundle, [recording]) == "onnxruntime"
    assert predict_run.frontend_runtime("auto", torch_bundle, [recording]) == "torch"  # nothing else there
    monkeypatch.setattr(predict_run, "TORCH_FRONTEND_MINUTES", 0.4)  # the recording is 0.5 min
    assert predict_run.frontend_runtime("auto", bundle, [recording]) == "torch"
    assert predict_run.frontend_runtime("onnxruntime", bundle, [recording]) == "onnxruntime"
    with pytest.raises(ValueError, match="frontend_runtime='gpu'"):
        predict_run.frontend_runtime("gpu", bundle, [recording])


def test_an_edited_features_file_runs_the_front_end_it_describes(tmp_path, bundle, capsys):
    from soundbench.artifacts.bundle import BUNDLE_FILE, FEATURES_FILE, BundleError

    edited = tmp_path / "edited"
    shutil.copytree(bundle.folder, edited)
    (edited / FEATURES_FILE).write_text((edited / FEATURES_FILE).read_text().replace("n_mels: 60", "n_mels: 40"))
    loaded = load_bundle(edited)
    assert loaded.frontend.runs_on == "torch" and loaded.frontend.module.mel.n_mels == 40
    assert "changed after frontend.onnx was exported" in capsys.readouterr().out
    manifest = json.loads((bundle.folder / BUNDLE_FILE).read_text())
    manifest["frontend"]["sample_rate"] = "16000"
    (edited / BUNDLE_FILE).write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="mistypes.*sample_rate"):
        load_bundle(edited)


def test_a_front_end_that_does_not_export_leaves_torch_in_charge(tmp_path, bundle, monkeypatch, capsys):
    from soundbench.artifacts.bundle import FRONTEND_FILE

    def refuse(*args, **kwargs):
        raise RuntimeError("unsupported operator")

    monkeypatch.setattr(torch.onnx, "export", refuse)
    shutil.copy(bundle.folder / "model.onnx", tmp_path)
    frontend = LogMel(**{k: v for k, v in FEATURES.items() if k != "_target_"})
    save_bundle(tmp_path, FEATURES, ("low", "high"), {"float32": "model.onnx"}, frontend=frontend)
    assert "did not export to ONNX (RuntimeError: unsupported operator)" in capsys.readouterr().out
    assert not (tmp_path / FRONTEND_FILE).exists() and load_bundle(tmp_path).frontend.runs_on == "torch"


def test_not_a_bundle_says_what_it_needs(tmp_path):
    from soundbench.artifacts.bundle import BundleError

    with pytest.raises(BundleError, match="not a model bundle"):
        load_bundle(tmp_path)


def test_short_runs_join_a_neighbour_event_with_that_event_s_probability_and_never_become_unknown():
    """The relabelling bug: a one-window segment took its neighbour's label (``unknown``)
    but kept its own probability (0.957 for another class)."""
    from soundbench.predict.timeline import Segment, absorb_short_segments

    classes = ("dog", "siren", "bark")
    # (label, windows, each window's aggregated probabilities of dog, siren, bark)
    runs = [
        (SILENCE, 5, None),
        ("dog", 1, [0.957, 0.03, 0.013]),  # confident, next to unknown: stays a dog
        (UNKNOWN, 4, [0.40, 0.35, 0.25]),
        ("dog", 1, [0.55, 0.40, 0.05]),  # an onset window before a siren: joins it
        ("siren", 3, [0.10, 0.85, 0.05]),
        (SILENCE, 3, None),
        ("bark", 1, [0.1, 0.1, 0.8]),  # a lone bark between silences stays
        (SILENCE, 2, None),
    ]
    segments, table, t = [], [], 0
    for label, windows, scores in runs:
        rows = np.tile(np.full(3, np.nan) if scores is None else np.array(scores), (windows, 1))
        probability = float("nan") if scores is None else float(np.nanmax(rows[0]))
        segments.append(Segment(t, t + windows, label, probability, windows, first_window=t))
        table.append(rows)
        t += windows
    cleaned = absorb_short_segments(segments, min_windows=2, class_names=classes, scores=np.concatenate(table))
    assert [(s.label, s.start, s.end) for s in cleaned] == [
        (SILENCE, 0, 5),
        ("dog", 5, 6),
        (UNKNOWN, 6, 10),
        ("siren", 10, 14),
        (SILENCE, 14, 17),
        ("bark", 17, 18),
        (SILENCE, 18, 20),
    ]
    assert cleaned[1].probability == pytest.approx(0.957)
    # the joined onset window counts with its siren probability (0.40), not its dog one (0.55)
    assert cleaned[3].probability == pytest.approx((0.40 + 3 * 0.85) / 4)
    assert cleaned[2].probability < 0.5  # unknown keeps only windows no class was confident of
    assert absorb_short_segments(segments, min_windows=1) == segments


def test_the_cli_defaults_are_the_library_defaults():
    """conf/predict.yaml and DecisionSettings() state the same decision defaults, so a
    Python user and a CLI user get the same timeline."""
    cfg = compose_config(["bundle=x", "audio=y"], "predict")
    assert DecisionSettings.from_config(cfg) == DecisionSettings()


def test_a_wav_cut_short_is_said_in_the_output_and_the_summary(tmp_path, bundle, recording, capsys):
    from soundbench.data.audio import declared_seconds
    from soundbench.predict.run import predict_files

    whole = sf.info(str(recording))
    data = recording.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 3])  # an interrupted copy: the header still says the full length
    assert declared_seconds(cut) == pytest.approx(whole.duration, abs=1e-3)
    assert declared_seconds(recording) == pytest.approx(whole.duration, abs=1e-3)
    report = predict_files(bundle, [recording, cut], tmp_path / "out", DecisionSettings(), progress=False)
    intact, short = report["files"]
    assert "truncated" not in intact
    assert short["truncated"]["declared_s"] == pytest.approx(whole.duration, abs=1e-3)
    assert short["truncated"]["present_s"] == pytest.approx(short["duration_s"])
    assert short["duration_s"] < whole.duration / 2
    assert "cut.wav is cut short: its header says" in capsys.readouterr().out
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["files"][1]["truncated"] == short["truncated"]


def test_a_path_hydra_cannot_read_unquoted_gets_the_quoted_form(tmp_path):
    recording = tmp_path / "straße café.wav"
    command = [sys.executable, "predict.py", "bundle=/nowhere", f"audio={recording}"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "LexerNoViableAltException" not in done.stderr
    assert f"\"audio='{recording}'\"" in done.stderr and "Quote it for Hydra" in done.stderr
    from hydra.core.override_parser.overrides_parser import OverridesParser

    assert OverridesParser.create().parse_overrides([f"audio='{recording}'"])[0].value() == str(recording)
