"""The event decision layer: from each window's class posteriors to a list of events.

Per window, in stream order (what a device runs as audio arrives; embedded/decision is the C
twin): a window quieter than ``silence_db``, or less than ``gate_db`` above the background
level (the quietest window of the last ``floor_windows``: minimum statistics, so a steady
background of any level is not an event while a sound rising out of it is), counts as
all-zero posteriors; the posteriors
are smoothed over the last ``smooth_windows`` windows (moving mean or median); an event of
class c starts when c is the top smoothed class and reaches its threshold, and it lasts
while its smoothed posterior stays at or above ``release`` × threshold (hysteresis: one
dip does not split an event) and no other class reaches its own threshold above it. Then
events of one class separated by at most ``max_gap_windows`` windows merge, and events
shorter than ``min_windows`` windows are dropped.

Windows start every ``hop_samples`` samples of the stream (0: the front end's window hop, as in
training). A finer hop costs more windows per second (on a device, the network runs once per
hop) and buys onset precision: a window decides its central hop, so onsets are only as
precise as the hop. ``tune`` picks it on validation among divisions of the training hop.

Times: window t decides its central hop (its slot, as in the timeline), shifted back by the
smoothing's delay of ``(smooth_windows - 1) // 2`` windows, so smoothing costs latency, not
onset accuracy. An event's probability is the mean smoothed posterior of its own class over
its windows.

The settings are plain numbers and names, saved in a bundle as ``decision.json`` by
``python -m soundbench.events tune``; reading one never runs code.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

DECISION_FILE = "decision.json"
SMOOTHING = ("mean", "median")


@dataclass(frozen=True)
class EventDecision:
    silence_db: float = -60.0  # windows with RMS below this (dB re full scale) hear nothing
    gate_db: float = 0.0  # ... and windows less than this above the background level (0 = no gate)
    floor_windows: int = 40  # the background level: the quietest of the last N windows
    smooth_windows: int = 3  # posteriors smoothed over the last N windows (1 = none)
    smoothing: str = "mean"  # mean | median
    threshold: float = 0.5  # an event starts when its class's smoothed posterior reaches this
    class_thresholds: dict[str, float] = field(default_factory=dict)  # per-class overrides of threshold
    release: float = 1.0  # ... and ends when it falls below release x threshold (1 = no hysteresis)
    min_windows: int = 1  # shorter events are dropped
    max_gap_windows: int = 0  # events of one class this many windows apart (or fewer) merge
    background_classes: tuple[str, ...] = ("_background_",)  # classes that are never an event (where present)
    hop_samples: int = 0  # windows start every this many samples (0: the front end's window hop)

    def __post_init__(self) -> None:
        if self.smoothing not in SMOOTHING:
            raise ValueError(f"decision smoothing={self.smoothing!r}: choose one of {SMOOTHING}")
        if self.gate_db < 0:
            raise ValueError(f"decision gate_db={self.gate_db} must be 0 or more: dB above the background level")
        for name in ("smooth_windows", "min_windows", "floor_windows"):
            if getattr(self, name) < 1:
                raise ValueError(f"decision {name}={getattr(self, name)} must be at least 1")
        if self.max_gap_windows < 0:
            raise ValueError(f"decision max_gap_windows={self.max_gap_windows} must be 0 or more")
        if not isinstance(self.hop_samples, int) or self.hop_samples < 0:
            raise ValueError(f"decision hop_samples={self.hop_samples!r} must be a whole number of samples, 0 or more")
        if not 0.0 < self.release <= 1.0:
            raise ValueError(f"decision release={self.release} must be in (0, 1]: a fraction of the threshold")
        for name, value in {"threshold": self.threshold, **self.class_thresholds}.items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"decision threshold for {name}={value} must be a probability in [0, 1]")

    def window_hop(self, trained_hop_samples: int) -> int:
        """Samples between window starts: ``hop_samples``, or the hop the model was trained with."""
        return self.hop_samples or trained_hop_samples

    @property
    def delay_windows(self) -> int:
        return (self.smooth_windows - 1) // 2

    def thresholds(self, class_names: tuple[str, ...]) -> np.ndarray:
        """Each class's threshold; infinite for background classes: they never start an
        event (an event still ends when its own class falls below its release level)."""
        unknown = set(self.class_thresholds) - set(class_names)
        if unknown:
            raise ValueError(f"decision class_thresholds name classes the model does not have: {sorted(unknown)}")
        return np.array(
            [
                np.inf if c in self.background_classes else self.class_thresholds.get(c, self.threshold)
                for c in class_names
            ]
        )

    def with_changes(self, **changes) -> EventDecision:
        return replace(self, **changes)

    def save(self, folder: Path) -> Path:
        path = Path(folder) / DECISION_FILE
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")
        return path

    @classmethod
    def load(cls, path: Path) -> EventDecision:
        """Settings from ``decision.json``: only known keys with numbers and names."""
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: not a readable decision file ({error})") from error
        known = set(cls.__dataclass_fields__)
        if not isinstance(data, dict) or set(data) - known:
            raise ValueError(f"{path}: expected an object with keys from {sorted(known)}")
        thresholds = data.get("class_thresholds", {})
        if not isinstance(thresholds, dict) or not all(isinstance(v, (int, float)) for v in thresholds.values()):
            raise ValueError(f"{path}: class_thresholds must map class names to numbers")
        background = data.get("background_classes", cls.background_classes)
        if not isinstance(background, (list, tuple)) or not all(isinstance(c, str) for c in background):
            raise ValueError(f"{path}: background_classes must be a list of class names")
        return cls(
            **{
                **data,
                "class_thresholds": {str(k): float(v) for k, v in thresholds.items()},
                "background_classes": tuple(background),
            }
        )


def tuned_decision(bundle_folder: Path) -> EventDecision | None:
    """The bundle's tuned decision layer, if it has one."""
    path = Path(bundle_folder) / DECISION_FILE
    return EventDecision.load(path) if path.is_file() else None


@dataclass(frozen=True)
class Event:
    onset: float  # seconds
    offset: float
    label: str
    probability: float  # mean smoothed posterior of its label over its windows
    first_window: int
    windows: int


def smooth(posteriors: np.ndarray, windows: int, how: str = "mean") -> np.ndarray:
    """Causal smoothing over the last ``windows`` rows (fewer at the start of the stream)."""
    if windows == 1:
        return posteriors
    padded = np.concatenate([np.full((windows - 1, posteriors.shape[1]), np.nan, posteriors.dtype), posteriors])
    view = np.lib.stride_tricks.sliding_window_view(padded, windows, axis=0)  # (n, classes, windows)
    return np.nanmedian(view, axis=2) if how == "median" else np.nanmean(view, axis=2)


def centi_db(rms_db: np.ndarray) -> np.ndarray:
    """Levels in 0.01 dB steps (int16 on the device: the gate's resolution), as float dB."""
    scaled = np.rint(np.asarray(rms_db, dtype=np.float32) * np.float32(100.0))
    return np.clip(scaled, -32768, 32767).astype(np.int16) / 100.0


def background_level(rms_db: np.ndarray, windows: int) -> np.ndarray:
    """Each window's background level: the quietest of the last ``windows`` windows (itself included)."""
    padded = np.concatenate([np.full(windows - 1, np.inf), np.asarray(rms_db, dtype=float)])
    return np.lib.stride_tricks.sliding_window_view(padded, windows).min(axis=1)


def gate(posteriors: np.ndarray, rms_db: np.ndarray, decision: EventDecision) -> np.ndarray:
    """Silent windows, windows that do not rise ``gate_db`` above the background, and
    windows never classified (NaN rows) count as zero posteriors. Posteriors and levels
    are float32, as the device keeps them (the comparisons are then the same on both)."""
    gated = np.nan_to_num(np.asarray(posteriors, dtype=np.float32), nan=0.0)
    rms_db = np.asarray(rms_db, dtype=np.float32).astype(float)
    quiet = rms_db < decision.silence_db
    if decision.gate_db > 0:
        levels = centi_db(rms_db)
        quiet |= levels < background_level(levels, decision.floor_windows) + decision.gate_db
    gated[quiet] = 0.0
    return gated


def detect_events(
    posteriors: np.ndarray,
    rms_db: np.ndarray,
    slots: np.ndarray,
    class_names: tuple[str, ...],
    decision: EventDecision,
) -> list[Event]:
    """``posteriors``: ``(windows, classes)`` per-window class probabilities (NaN rows for
    windows never classified); ``rms_db``: each window's level; ``slots``: ``(windows, 2)``
    seconds each window decides (:func:`soundbench.predict.timeline.window_slots`)."""
    if not len(posteriors):
        return []
    scores = smooth(gate(posteriors, rms_db, decision), decision.smooth_windows, decision.smoothing)
    runs = _hysteresis_runs(scores, decision.thresholds(class_names), decision.release)
    runs = _merge_close(runs, decision.max_gap_windows)
    delay = decision.delay_windows
    events = []
    for label, first, last in runs:
        if last - first + 1 < decision.min_windows:
            continue
        start, end = max(first - delay, 0), max(last - delay, 0)
        events.append(
            Event(
                float(slots[start, 0]),
                float(slots[end, 1]),
                class_names[label],
                float(scores[first : last + 1, label].mean()),
                first,
                last - first + 1,
            )
        )
    return events


def _hysteresis_runs(scores: np.ndarray, on: np.ndarray, release: float) -> list[tuple[int, int, int]]:
    """``(class, first window, last window)`` of each run, in order."""
    off = on * release
    runs, active, first = [], -1, 0
    top = scores.argmax(axis=1)
    for t, row in enumerate(scores):
        c = int(top[t])
        if active >= 0:
            switch = c != active and row[c] >= on[c]
            if row[active] >= off[active] and not switch:
                continue
            runs.append((active, first, t - 1))
            active = -1
        if row[c] >= on[c] and row[c] > 0:
            active, first = c, t
    if active >= 0:
        runs.append((active, first, len(scores) - 1))
    return runs


def _merge_close(runs: list[tuple[int, int, int]], max_gap: int) -> list[tuple[int, int, int]]:
    """Runs of one class with at most ``max_gap`` windows between them (nothing else in
    between) become one."""
    merged: list[tuple[int, int, int]] = []
    for label, first, last in runs:
        if merged and merged[-1][0] == label and first - merged[-1][2] - 1 <= max_gap:
            merged[-1] = (label, merged[-1][1], last)
        else:
            merged.append((label, first, last))
    return merged
