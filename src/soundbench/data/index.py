"""The clip index: the one table every dataset builds and everything downstream reads.

Columns (one row per clip):
    path        absolute path of the audio file
    label       integer class id, 0..n_classes-1
    class_name  human-readable class
    fold        predefined fold (fold-protocol datasets), else <NA>
    split       official split "train"/"validation"/"test" (list-protocol datasets), else <NA>
    group       recording the clip was cut from (freesound id, source file, speaker):
                clips of one group must never straddle train and test
    start       offset in seconds into ``path`` (0 for whole files)
    duration    seconds to read from ``start``, or NaN for "to the end"
Datasets may add columns of their own (UrbanSound8K keeps ``salience``).
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from soundbench.file_signature import file_signature

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("path", "label", "class_name", "fold", "split", "group", "start", "duration")


class DatasetError(RuntimeError):
    """The dataset on disk does not match what its loader needs; the message says what to do."""


@dataclass(frozen=True)
class ClipIndex:
    """The clip table plus the class list its ``label`` column refers to."""

    table: pd.DataFrame
    class_names: tuple[str, ...]

    def __post_init__(self) -> None:
        missing = [c for c in REQUIRED_COLUMNS if c not in self.table.columns]
        if missing:
            raise ValueError(f"clip index lacks columns {missing}")
        labels = self.table["label"]
        if len(labels) and (labels.min() < 0 or labels.max() >= len(self.class_names)):
            raise ValueError("clip index labels fall outside the class list")

    def __len__(self) -> int:
        return len(self.table)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def subset(self, rows: pd.Series | np.ndarray) -> "ClipIndex":
        return ClipIndex(self.table[rows].reset_index(drop=True), self.class_names)

    def fingerprint(self) -> str:
        """A short hash of what defines an experiment's data: files, labels, folds, splits,
        and each file's signature (size, modification time, a hash of its first and last
        64 KiB: :mod:`soundbench.file_signature`), so audio replaced in place (same
        names, even the same size and a restored mtime) changes it. Logged with every run so
        two results can be checked to come from the same data; it keys the decoded-audio
        cache and CV resume. Paths are relative: the same data moved elsewhere (mv, cp -p,
        rsync -a keep mtimes) keeps its fingerprint."""
        table = self.table[["path", "label", "fold", "split", "start", "duration"]].copy()
        signatures = {path: file_signature(path) for path in table["path"].unique()}  # segments share a file
        table["signature"] = table["path"].map(signatures)
        root = os.path.commonpath(list(table["path"]))
        table["path"] = [os.path.relpath(p, root) for p in table["path"]]
        csv = table.sort_values(["path", "start"]).to_csv(index=False)
        digest = hashlib.sha256(csv.encode())
        digest.update("\n".join(self.class_names).encode())
        return digest.hexdigest()[:16]


def make_table(rows: dict[str, list | np.ndarray | pd.Series], **extra_columns) -> pd.DataFrame:
    """Build an index table with defaults for the optional protocol columns."""
    table = pd.DataFrame({**rows, **extra_columns})
    n = len(table)
    defaults = {
        "fold": pd.array([pd.NA] * n, dtype="Int64"),
        "split": pd.array([pd.NA] * n, dtype="string"),
        "start": np.zeros(n),
        "duration": np.full(n, np.nan),
    }
    for column, default in defaults.items():
        if column not in table:
            table[column] = default
    table["fold"] = table["fold"].astype("Int64")
    table["label"] = table["label"].astype(int)
    table["group"] = table["group"].astype(str)
    table["path"] = table["path"].astype(str)
    return table


def drop_missing_files(table: pd.DataFrame, dataset: str, allow_partial: bool) -> pd.DataFrame:
    """Refuse (or, with ``allow_partial``, drop with a warning) rows whose file is absent."""
    exists = np.fromiter((Path(p).is_file() for p in table["path"]), bool, len(table))
    n_missing = int((~exists).sum())
    if n_missing == 0:
        return table
    if not allow_partial:
        first = "\n  ".join(table.loc[~exists, "path"].head(5))
        raise DatasetError(
            f"{dataset}: {n_missing} of {len(table)} files listed in the metadata are missing, "
            f"e.g.\n  {first}\nComplete the download, or pass dataset.allow_partial=true to "
            "drop the missing rows and train on what is present."
        )
    log.warning(
        "%s: dropping %d of %d metadata rows whose files are missing (dataset.allow_partial=true)",
        dataset,
        n_missing,
        len(table),
    )
    return table[exists].reset_index(drop=True)
