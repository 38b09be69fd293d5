"""Classify recordings of any length with a model bundle: stream → front end → ONNX model
(one window at a time, as on a device) → silence gate / aggregation / open set → timeline."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from soundbench.artifacts.bundle import ModelBundle
from soundbench.artifacts.onnx_session import onnx_session
from soundbench.predict.decision import Event, EventDecision, detect_events, tuned_decision
from soundbench.predict.stream import WindowStream
from soundbench.predict.timeline import (
    DecisionSettings,
    Segment,
    SlidingDecision,
    absorb_short_segments,
    merge_segments,
    rms_dbfs,
    window_slots,
)


@dataclass
class FilePrediction:
    path: Path
    duration_s: float
    windows: pd.DataFrame  # one row per analysis window: start, end, rms_db, label, probability
    segments: list[Segment]  # the timeline: every slot labelled (silence and unknown too)
    posteriors: np.ndarray  # (windows, classes) each window's own class probabilities; NaN rows: silent
    events: list[Event]  # what the event decision layer reports
    compute_s: float  # wall time of reading, features and model together
    block_samples: int  # samples per block read (at the model's rate)
    max_buffered_samples: int  # most samples the stream ever held (bounded by block + window)
    timings: dict = field(default_factory=dict)

    @property
    def realtime_factor(self) -> float:
        """Seconds of audio processed per second of compute."""
        return self.duration_s / self.compute_s if self.compute_s > 0 else float("inf")


class Predictor:
    def __init__(
        self,
        bundle: ModelBundle,
        settings: DecisionSettings | None = None,
        precision: str = "float32",
        block_seconds: float = 30.0,
        threads: int = 0,
        decision: EventDecision | None = None,
        frontend_runtime: str = "onnxruntime",
    ):
        """``decision``: the event decision layer; default: the bundle's tuned one
        (``decision.json``), else :class:`EventDecision`'s defaults. ``frontend_runtime``:
        ``onnxruntime`` (the bundle's frontend.onnx, where it has one) or ``torch``."""
        self.bundle, self.settings = bundle, settings or DecisionSettings()
        self.decision = decision or tuned_decision(bundle.folder) or EventDecision()
        frontend = bundle.frontend
        self.hop = self.decision.window_hop(frontend.window_hop_samples)
        if self.hop > frontend.window_samples:
            raise ValueError(
                f"decision hop_samples={self.hop} is longer than the window ({frontend.window_samples} samples): "
                "audio between windows would never be heard"
            )
        self.block_windows = max(1, round(block_seconds * frontend.sample_rate / self.hop))
        self.session = onnx_session(bundle.onnx_path(precision), threads)
        self.input_name = self.session.get_inputs()[0].name
        self.features = bundle.frontend_runner(threads, frontend_runtime)

    def stream(self, path: str | Path) -> WindowStream:
        fe = self.bundle.frontend
        return WindowStream(path, fe.sample_rate, fe.window_samples, self.hop, self.block_windows)

    def predict_file(self, path: str | Path, progress: bool = True) -> FilePrediction:
        stream = self.stream(path)
        decide = SlidingDecision(self.bundle.class_names, self.settings)
        rows: dict[str, list] = {
            key: [] for key in ("start_sample", "rms_db", "label", "probability", "scores", "probs")
        }
        timings = dict.fromkeys(("read", "features", "model"), 0.0)
        began = time.perf_counter()
        with tqdm(
            total=round(stream.duration_s, 1),
            unit="s",
            desc=Path(path).name,
            disable=not progress,
            leave=False,
            bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s audio [{elapsed}<{remaining}]",
        ) as bar:
            tick = time.perf_counter()
            for block in stream:
                timings["read"] += time.perf_counter() - tick
                self._classify_block(block, decide, rows, timings)
                bar.update(min(len(block.starts) * stream.hop / stream.sample_rate, bar.total - bar.n))
                tick = time.perf_counter()
        compute_s = time.perf_counter() - began
        windows = self._window_table(rows, stream)
        scores, posteriors = self._rows_as_matrix(rows["scores"]), self._rows_as_matrix(rows["probs"])
        slots = windows[["start", "end"]].to_numpy()
        segments = merge_segments(slots, list(windows["label"]), list(windows["probability"]))
        segments = absorb_short_segments(segments, self.settings.min_event_windows, self.bundle.class_names, scores)
        events = detect_events(posteriors, windows["rms_db"].to_numpy(), slots, self.bundle.class_names, self.decision)
        return FilePrediction(
            Path(path),
            stream.duration_s,
            windows,
            segments,
            posteriors,
            events,
            compute_s,
            stream.block_samples,
            stream.max_buffered_samples,
            timings,
        )

    def _classify_block(self, block, decide: SlidingDecision, rows: dict, timings: dict) -> None:
        tick = time.perf_counter()
        levels = rms_dbfs(block.windows)
        loud = levels >= self.settings.silence_db
        features = self.features(block.windows[loud]) if loud.any() else None
        timings["features"] += time.perf_counter() - tick
        tick = time.perf_counter()
        probs = iter(self._probabilities(features)) if features is not None else iter(())
        for start, level, is_loud in zip(block.starts, levels.tolist(), loud.tolist()):
            window_probs = next(probs) if is_loud else None
            rows["probs"].append(window_probs)
            label, probability = decide.push(window_probs)
            rows["start_sample"].append(int(start))
            rows["rms_db"].append(level)
            rows["label"].append(label)
            rows["probability"].append(probability)
            rows["scores"].append(decide.scores)
        timings["model"] += time.perf_counter() - tick

    def _rows_as_matrix(self, rows: list) -> np.ndarray:
        silent = np.full(len(self.bundle.class_names), np.nan)
        return np.stack([silent if r is None else r for r in rows]) if rows else np.empty((0, len(silent)))

    def _probabilities(self, features: np.ndarray) -> np.ndarray:
        logits = np.concatenate([self.session.run(None, {self.input_name: f[None]})[0] for f in features])
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))  # softmax, float32 as on the device
        return exp / exp.sum(axis=1, keepdims=True)

    def _window_table(self, rows: dict, stream: WindowStream) -> pd.DataFrame:
        starts = np.asarray(rows["start_sample"])
        slots = window_slots(starts, stream.window, stream.hop, stream.sample_rate, stream.n_samples)
        return pd.DataFrame(
            {
                "start": slots[:, 0],
                "end": slots[:, 1],
                "window_start": starts / stream.sample_rate,
                "window_end": (starts + stream.window) / stream.sample_rate,
                "rms_db": rows["rms_db"],
                "label": rows["label"],
                "probability": rows["probability"],
            }
        )
