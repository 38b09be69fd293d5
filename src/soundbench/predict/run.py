"""``predict``: resolve the model, find the recordings, classify each one, write the results.
A file that cannot be read is reported and skipped; the others are still processed."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from soundbench.artifacts.bundle import FRONTEND_RUNTIMES, ModelBundle, export_bundle, load_bundle
from soundbench.data.audio import AUDIO_SUFFIXES, AudioReadError, audio_info, declared_seconds
from soundbench.predict.decision import EventDecision
from soundbench.predict.outputs import write_outputs
from soundbench.predict.predictor import Predictor
from soundbench.predict.timeline import DecisionSettings

if TYPE_CHECKING:
    from soundbench.predict.scoring import ScoringSettings


def resolve_model(
    source: str, out_dir: Path, tracking_uri: str | None = None, cache_dir: str | Path | None = None
) -> ModelBundle:
    """A bundle folder as is (a folder that is not one is refused with what it lacks); an
    MLflow run id or a checkpoint exported to a bundle: in ``cache_dir``, reused while the
    checkpoint (and soundbench's export) stays the same, or, without one, to ``out_dir/model``."""
    from soundbench.artifacts.bundle_cache import cached_bundle
    from soundbench.artifacts.trained_files import fetch_trained

    if Path(source).is_dir():
        return load_bundle(source)
    files = fetch_trained(source, tracking_uri)

    def export(folder: Path) -> ModelBundle:
        from soundbench.artifacts.trained import build_trained  # Lightning & co.: only to export

        return export_bundle(build_trained(files), folder)

    if cache_dir is None or not files.checkpoint.is_file():  # a missing file is explained when built
        print(f"Exporting {source} to a model bundle in {out_dir / 'model'}")
        return export(out_dir / "model")
    return cached_bundle(files, Path(cache_dir), export)


#: audio beyond which ``frontend_runtime=auto`` runs the torch front end: onnxruntime's STFT
#: costs about 0.065 s more per minute of audio on 2 cores (benchmarks/predict_rtf.py), importing torch 1.2 s
TORCH_FRONTEND_MINUTES = 20.0


def frontend_runtime(choice: str, bundle: ModelBundle, files: list[Path]) -> str:
    """Where the front end runs: ``auto`` picks onnxruntime (no torch import: a fast start)
    unless the recordings are long enough for torch's faster STFT to repay its import."""
    if choice not in FRONTEND_RUNTIMES:
        raise ValueError(f"frontend_runtime={choice!r}: choose one of {FRONTEND_RUNTIMES}")
    if choice != "auto":
        return choice
    if bundle.frontend.onnx_file is None:
        return "torch"
    minutes = 0.0
    for path in files:
        try:
            minutes += audio_info(path).duration / 60
        except AudioReadError:
            continue  # reported when it is predicted
    return "torch" if minutes > TORCH_FRONTEND_MINUTES else "onnxruntime"


def find_audio(inputs: str | list[str]) -> list[Path]:
    """Files named directly, audio files inside named folders (recursively), or glob matches."""
    found: list[Path] = []
    for item in [inputs] if isinstance(inputs, str) else list(inputs):
        path = Path(item).expanduser()
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
        elif path.is_file():
            found.append(path)
        else:
            matches = sorted(Path().glob(str(item))) if any(c in str(item) for c in "*?[") else []
            if not matches:
                raise FileNotFoundError(f"audio={item}: no such file, folder or matching files")
            found += matches
    if not found:
        raise FileNotFoundError(f"audio={inputs}: no audio files ({', '.join(AUDIO_SUFFIXES)}) found")
    return found


def predict_files(
    bundle: ModelBundle,
    files: list[Path],
    out_dir: Path,
    settings: DecisionSettings,
    precision: str = "float32",
    block_seconds: float = 30.0,
    audacity_silence: bool = False,
    progress: bool = True,
    decision: EventDecision | None = None,
    truth: Path | None = None,
    scoring: ScoringSettings | None = None,
    frontend: str = "auto",
) -> dict:
    """Classify every file; write per-file outputs and ``summary.json`` to ``out_dir``.
    ``decision``: the event decision layer (default: the bundle's tuned one, else the
    defaults); ``truth``: reference events (DCASE's ``filename onset offset event_label``,
    tab- or comma-separated) to score the detected events against; ``frontend``: where the
    front end runs (:func:`frontend_runtime`)."""
    out_dir.mkdir(parents=True, exist_ok=True)  # summary.json is written even when every file fails
    reference = read_reference(truth) if truth else None  # a bad truth file fails before the work
    runtime = frontend_runtime(frontend, bundle, files)
    predictor = Predictor(bundle, settings, precision, block_seconds, decision=decision, frontend_runtime=runtime)
    results, predictions = [], []
    for path, stem in zip(files, _unique_stems(files)):
        try:
            prediction = predictor.predict_file(path, progress)
        except AudioReadError as error:
            print(f"skipped: {error}")
            results.append({"file": str(path), "error": str(error)})
            continue
        result = write_outputs(prediction, predictor.decision, out_dir, stem, audacity_silence)
        results.append({**result, **_truncation(path, result["duration_s"])})
        predictions.append(prediction)
    report = {
        "model": {"bundle": str(bundle.folder), "precision": precision, "frontend_runtime": runtime, **bundle.info},
        "settings": {**asdict(settings), "block_seconds": block_seconds},
        "decision": asdict(predictor.decision),
        "files": results,
    }
    if reference is not None:
        report["scores"] = asdict(score_predictions(predictions, reference, bundle.class_names, scoring))
    (out_dir / "summary.json").write_text(json.dumps(report, indent=2))
    return report


def read_reference(path: Path) -> pd.DataFrame:
    """Reference events: ``filename, onset, offset, event_label`` (a header row; tabs or commas)."""
    path = Path(path)
    try:
        table = pd.read_csv(path, sep=None, engine="python", dtype={"event_label": str, "filename": str})
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise ValueError(f"truth={path}: not a readable event table ({error})") from error
    missing = {"filename", "onset", "offset", "event_label"} - set(table.columns)
    if missing:
        raise ValueError(
            f"truth={path}: lacks columns {sorted(missing)}; expected a header `filename onset offset event_label` "
            "(DCASE's format, seconds; the file name of each recording)"
        )
    return table


def score_predictions(predictions: list, reference: pd.DataFrame, class_names, scoring=None):
    """The detected events of ``predictions`` against ``reference`` (matched by file name)."""
    from soundbench.predict.scoring import ScoringSettings, event_table, score_events  # sed_eval: only when scoring

    names = {p.path.name for p in predictions}
    unscored = sorted(set(reference["filename"]) - names)
    if unscored:
        print(f"truth: {len(unscored)} file(s) in the reference were not predicted and are left out: {unscored[:3]}")
    estimated = event_table((p.path.name, p.events) for p in predictions)
    reference = reference[reference["filename"].isin(names)]
    hours = sum(p.duration_s for p in predictions) / 3600
    return score_events(reference, estimated, tuple(class_names), hours, scoring or ScoringSettings())


def _truncation(path: Path, present_s: float) -> dict:
    """``{"truncated": ...}`` when the file's header promises more audio than it holds."""
    declared = declared_seconds(path)
    if declared is None or declared - present_s < 0.01:
        return {}
    print(
        f"WARNING: {path} is cut short: its header says {declared:.1f} s, only {present_s:.1f} s are present; "
        f"the timeline covers those {present_s:.1f} s (an interrupted copy or recording?)"
    )
    return {"truncated": {"declared_s": round(declared, 3), "present_s": round(present_s, 3)}}


def _unique_stems(files: list[Path]) -> list[str]:
    stems, seen = [], {}
    for path in files:
        n = seen[path.stem] = seen.get(path.stem, 0) + 1
        stems.append(path.stem if n == 1 else f"{path.stem}-{n}")
    return stems


def print_report(report: dict) -> None:
    if "scores" in report:
        s = report["scores"]
        print(
            f"Scored against the truth: event F1 {s['event_f1']:.3f}, error rate {s['event_error_rate']:.3f} "
            f"({s['n_correct']} of {s['n_reference']} events found, {s['n_estimated'] - s['n_correct']} false alarms); "
            f"segment F1 {s['segment_f1']:.3f}"
        )
    for result in report["files"]:
        if "error" in result:
            continue
        shares = ", ".join(
            f"{label} {seconds:.1f} s" for label, seconds in list(result["seconds_per_label"].items())[:6]
        )
        cut = f" (CUT SHORT: header says {result['truncated']['declared_s']:.1f} s)" if "truncated" in result else ""
        print(
            f"{result['file']}: {result['duration_s']:.1f} s{cut}, {len(result['events'])} events; {shares}; "
            f"{result['realtime_factor']:.0f}x real time"
        )
        print(f"  {result['timeline_csv']}\n  {result['audacity_labels']}")
