"""Fold assignment for the user's own data: stratified by class, grouped by recording,
seeded, and saved next to the data so every later run (and every colleague) reuses it.

Stratified: each fold gets about the same share of every class. Grouped: all clips of one
group (recording, speaker) land in one fold, so the test fold never hears a recording the
model trained on. The saved file is a plain CSV (``clip,class_name,group,fold``); it is the
truth once written: edit it by hand to move a group, delete it to draw folds anew.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from soundbench.data.index import DatasetError

log = logging.getLogger(__name__)

MIN_FOLDS = 3  # test fold k, validation fold k-1, training on the rest


def clip_keys(table: pd.DataFrame, root: Path) -> list[str]:
    """A stable name for each clip: its path relative to ``root``, plus the region for clips
    cut from a longer recording."""
    keys = []
    for path, start, duration in zip(table["path"], table["start"], table["duration"]):
        key = Path(path).relative_to(root).as_posix() if Path(path).is_relative_to(root) else str(path)
        if start or not np.isnan(duration):
            key += f"@{start:.3f}+{duration:.3f}"
        keys.append(key)
    return keys


def check_enough_groups(table: pd.DataFrame, n_folds: int) -> None:
    """Every class needs clips from at least ``n_folds`` groups to appear in every fold."""
    if n_folds < MIN_FOLDS:
        raise DatasetError(
            f"dataset.n_folds={n_folds}: at least {MIN_FOLDS} folds are needed "
            "(one to test, one to validate, the rest to train)"
        )
    groups = table.groupby("class_name")["group"].nunique()
    clips = table.groupby("class_name").size()
    short = groups[groups < n_folds]
    if len(short):
        detail = ", ".join(f"{name!r} ({clips[name]} clips from {groups[name]} recording(s))" for name in short.index)
        raise DatasetError(
            f"{len(short)} class(es) have too few clips for {n_folds} folds: {detail}. Each class needs "
            f"clips from at least {n_folds} different groups so every test fold holds it. Add recordings, "
            "lower dataset.n_folds, or remove the class."
        )


def assign_folds(table: pd.DataFrame, n_folds: int, seed: int) -> np.ndarray:
    """Folds 1..n_folds for each row: stratified by ``label``, grouped by ``group``."""
    check_enough_groups(table, n_folds)
    splitter = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    folds = np.zeros(len(table), dtype=int)
    for fold, (_, test_rows) in enumerate(splitter.split(table, table["label"], table["group"]), start=1):
        folds[test_rows] = fold
    return folds


def load_or_assign_folds(table: pd.DataFrame, root: Path, folds_file: Path, n_folds: int, seed: int) -> pd.Series:
    """The fold of each row: from ``folds_file`` when it exists and describes exactly these
    clips, else newly assigned and written there."""
    keys = clip_keys(table, root)
    if folds_file.is_file():
        return _reuse(folds_file, keys, table, n_folds)
    folds = assign_folds(table, n_folds, seed)
    saved = pd.DataFrame({"clip": keys, "class_name": table["class_name"], "group": table["group"], "fold": folds})
    try:
        saved.to_csv(folds_file, index=False)
    except OSError as error:
        raise DatasetError(
            f"cannot save the fold assignment to {folds_file} ({error.strerror}); "
            "set dataset.folds_file to a writable path"
        ) from None
    log.info(
        "assigned %d clips to %d stratified, group-aware folds (seed %d); saved to %s",
        len(saved),
        n_folds,
        seed,
        folds_file,
    )
    return pd.Series(folds, index=table.index, dtype="Int64")


def _reuse(folds_file: Path, keys: list[str], table: pd.DataFrame, n_folds: int) -> pd.Series:
    saved = pd.read_csv(folds_file, dtype={"clip": str, "group": str})
    fold_of = dict(zip(saved["clip"], saved["fold"]))
    new = [k for k in keys if k not in fold_of]
    gone = sorted(set(fold_of) - set(keys))
    if new or gone:
        raise DatasetError(
            f"the data changed since its folds were saved in {folds_file}: {len(new)} new clip(s) "
            f"(e.g. {new[:3]}), {len(gone)} clip(s) gone (e.g. {gone[:3]}). Delete that file to draw new "
            "folds (results will not be comparable with earlier runs), or add the new clips to it by hand."
        )
    found = int(saved["fold"].max())
    if found != n_folds or saved["fold"].min() < 1:
        raise DatasetError(
            f"{folds_file} holds folds {int(saved['fold'].min())}..{found} but dataset.n_folds="
            f"{n_folds}; set dataset.n_folds={found} or delete the file to draw new folds"
        )
    log.info("reusing the fold assignment in %s", folds_file)
    return pd.Series([fold_of[k] for k in keys], index=table.index, dtype="Int64")
