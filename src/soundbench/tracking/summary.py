"""What a training run and a cross-validation report to whoever launched them: typed
summaries instead of dicts keyed by metric names. ``metrics()`` gives the names MLflow and
``optimized_metric`` use; ``write``/``read_summary`` are the job folder's ``summary.json``
(what a search reads back from each trial's folder, and what benchmark scripts tabulate)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

SUMMARY_FILE = "summary.json"


@dataclass(frozen=True)
class RunSummary:
    """One trained (or embedding + classifier) run, tested on its test split."""

    val_clip_acc: float  # what selected the checkpoint (NaN when nothing was selected on validation)
    test_clip_acc: float
    test_window_acc: float
    chance: float
    run_id: str = ""  # the MLflow run ("" with logger=none)
    checkpoint: str = ""  # the best checkpoint ("" for an embedding run, which has none)
    seconds: float = 0.0
    class_names: tuple[str, ...] = ()
    confusion: np.ndarray | None = None  # test clips, true × predicted; not in summary.json

    def metrics(self) -> dict[str, float]:
        return {
            "val/clip_acc": self.val_clip_acc,
            "test/clip_acc": self.test_clip_acc,
            "test/window_acc": self.test_window_acc,
            "chance": self.chance,
        }

    def to_json(self) -> dict:
        return {
            "kind": "run",
            **{k: v for k, v in self.metrics().items() if not math.isnan(v)},
            "run_id": self.run_id,
            "checkpoint": self.checkpoint,
            "seconds": self.seconds,
        }

    def write(self, folder: Path) -> Path:
        return _write(folder, self.to_json())

    @classmethod
    def from_json(cls, data: dict) -> RunSummary:
        return cls(
            val_clip_acc=float(data.get("val/clip_acc", math.nan)),
            test_clip_acc=float(data["test/clip_acc"]),
            test_window_acc=float(data["test/window_acc"]),
            chance=float(data["chance"]),
            run_id=data.get("run_id", ""),
            checkpoint=data.get("checkpoint", ""),
            seconds=float(data.get("seconds", 0.0)),
        )


@dataclass(frozen=True)
class CvSummary:
    """Every fold (× seed) of a cross-validation: the mean ± std of test clip accuracy over
    all runs, the spread between folds (std of the fold means) and between seeds (mean over
    folds of the std across seeds; 0 with one seed), and the per-run table."""

    test_clip_acc_mean: float
    test_clip_acc_std: float
    std_between_folds: float
    std_between_seeds: float
    n_seeds: int
    folds: pd.DataFrame  # fold, seed, test_clip_acc, run_id
    parent_run_id: str

    @classmethod
    def of(cls, table: pd.DataFrame, parent_run_id: str) -> CvSummary:
        accuracies = table["test_clip_acc"]
        per_fold = table.groupby("fold")["test_clip_acc"]
        return cls(
            test_clip_acc_mean=float(accuracies.mean()),
            test_clip_acc_std=float(accuracies.std(ddof=0)),
            std_between_folds=float(per_fold.mean().std(ddof=0)),
            std_between_seeds=float(per_fold.std(ddof=0).mean()),
            n_seeds=int(table["seed"].nunique()),
            folds=table,
            parent_run_id=parent_run_id,
        )

    @property
    def fold_means(self) -> pd.Series:
        return self.folds.groupby("fold")["test_clip_acc"].mean()

    def metrics(self) -> dict[str, float]:
        return {
            "cv/test_clip_acc_mean": self.test_clip_acc_mean,
            "cv/test_clip_acc_std": self.test_clip_acc_std,
            "cv/test_clip_acc_std_between_folds": self.std_between_folds,
            "cv/test_clip_acc_std_between_seeds": self.std_between_seeds,
            "cv/n_seeds": float(self.n_seeds),
            **{f"cv/fold{fold}/test_clip_acc": float(acc) for fold, acc in self.fold_means.items()},
        }

    def to_json(self) -> dict:
        return {
            "kind": "cv",
            **self.metrics(),
            "parent_run_id": self.parent_run_id,
            "runs": self.folds.to_dict("records"),
        }

    def write(self, folder: Path) -> Path:
        return _write(folder, self.to_json())

    @classmethod
    def from_json(cls, data: dict) -> CvSummary:
        table = pd.DataFrame(data["runs"])
        return cls.of(table, data["parent_run_id"])


def read_summary(path: Path) -> RunSummary | CvSummary:
    """A job folder's summary.json (or the file itself), as the summary that wrote it."""
    path = Path(path)
    path = path / SUMMARY_FILE if path.is_dir() else path
    data = json.loads(path.read_text())
    kind = data.get("kind", "run")  # files written before the kind was recorded are single runs
    if kind not in ("run", "cv"):
        raise ValueError(f"{path}: kind {kind!r} is neither 'run' nor 'cv'; was it written by train.py?")
    return CvSummary.from_json(data) if kind == "cv" else RunSummary.from_json(data)


def _write(folder: Path, data: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SUMMARY_FILE
    path.write_text(json.dumps(data, indent=2, default=_plain))
    return path


def _plain(value):
    """numpy scalars in the per-run table, as JSON numbers."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
