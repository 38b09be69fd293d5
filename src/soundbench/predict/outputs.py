"""What ``predict`` writes per recording: the timeline as CSV, the detected events as JSON
and as an Audacity label track, and a JSON summary (per-label time, window counts, speed)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from soundbench.data.label_track import Label, write_labels
from soundbench.predict.predictor import FilePrediction
from soundbench.predict.timeline import SILENCE


def write_timeline_csv(prediction: FilePrediction, path: Path) -> Path:
    """Segments as ``start,end,label,probability`` (seconds; probability empty for silence)."""
    table = pd.DataFrame(
        [
            {
                "start": round(s.start, 3),
                "end": round(s.end, 3),
                "label": s.label,
                "probability": round(s.probability, 4),
            }
            for s in prediction.segments
        ]
    )
    table.to_csv(path, index=False)
    return path


def write_audacity(prediction: FilePrediction, path: Path, include_silence: bool = False) -> Path:
    """The detected events as an Audacity label track (``include_silence``: the timeline's
    silences too)."""
    labels = [Label(e.onset, e.offset, e.label) for e in prediction.events]
    if include_silence:
        silences = [Label(s.start, s.end, s.label) for s in prediction.segments if s.label == SILENCE]
        labels = sorted(labels + silences, key=lambda label: label.start)
    return write_labels(labels, path)


def event_rows(prediction: FilePrediction) -> list[dict]:
    return [
        {
            "onset": round(e.onset, 3),
            "offset": round(e.offset, 3),
            "label": e.label,
            "probability": round(e.probability, 4),
        }
        for e in prediction.events
    ]


def write_events_json(prediction: FilePrediction, decision, path: Path) -> Path:
    """The events in seconds with the decision layer that produced them."""
    document = {
        "file": str(prediction.path),
        "duration_s": round(prediction.duration_s, 3),
        "decision": asdict(decision),
        "events": event_rows(prediction),
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def summary(prediction: FilePrediction) -> dict:
    seconds: dict[str, float] = {}
    for s in prediction.segments:
        seconds[s.label] = seconds.get(s.label, 0.0) + s.end - s.start
    windows = prediction.windows
    return {
        "file": str(prediction.path),
        "duration_s": round(prediction.duration_s, 3),
        "analysed_s": round(float(windows["end"].iloc[-1]), 3),
        "windows": len(windows),
        "silent_windows": int((windows["label"] == SILENCE).sum()),
        "segments": len(prediction.segments),
        "seconds_per_label": {k: round(v, 3) for k, v in sorted(seconds.items(), key=lambda kv: -kv[1])},
        "events": event_rows(prediction),
        "compute_s": round(prediction.compute_s, 3),
        "realtime_factor": round(prediction.realtime_factor, 1),
        "compute_breakdown_s": {k: round(v, 3) for k, v in prediction.timings.items()},
        "block_samples": prediction.block_samples,
    }


def write_outputs(
    prediction: FilePrediction, decision, out_dir: Path, stem: str, include_silence: bool = False
) -> dict:
    """Write ``<stem>.timeline.csv``, ``<stem>.events.json`` and ``<stem>.labels.txt``; return
    the summary with their paths."""
    result = summary(prediction)
    result["timeline_csv"] = str(write_timeline_csv(prediction, out_dir / f"{stem}.timeline.csv"))
    result["events_json"] = str(write_events_json(prediction, decision, out_dir / f"{stem}.events.json"))
    result["audacity_labels"] = str(write_audacity(prediction, out_dir / f"{stem}.labels.txt", include_silence))
    return result
