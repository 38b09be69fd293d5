"""Reading and checking metadata CSVs, one rule for every loader: an inconsistent table is
refused with the file, the line(s) and what to fix, never turned into a silently different
experiment (a non-integer class id would add a class, a fold outside 1..n would go to
training, a class missing from a fold would never be validated or tested).

Line numbers are the file's: the header is line 1, so table row i (pandas' default index,
kept through row selections) is line i + 2.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

import pandas as pd

from soundbench.data.index import DatasetError

log = logging.getLogger(__name__)


def lines(rows: pd.Index | Sequence[int], limit: int = 10) -> str:
    """'line 5' / 'lines 3, 9, 12, ...' for table rows (header = line 1)."""
    numbers = [str(int(i) + 2) for i in list(rows)[:limit]]
    more = ", ..." if len(rows) > limit else ""
    return f"line{'s' if len(rows) > 1 else ''} {', '.join(numbers)}{more}"


def read_metadata(path: Path, required: Sequence[str], **read_csv) -> pd.DataFrame:
    """The CSV at ``path`` with its ``required`` columns; a malformed row (more fields than
    the header) or a missing column is a DatasetError naming the file."""
    try:
        table = pd.read_csv(path, **read_csv)
    except pd.errors.ParserError as error:
        raise DatasetError(
            f"{path}: cannot be read as CSV ({str(error).strip()}). Every row must have as many "
            "comma-separated fields as the header: fix or delete that line "
            "(quote fields that contain commas)."
        ) from None
    except UnicodeDecodeError as error:
        raise DatasetError(f"{path}: not UTF-8 text ({error}); save it as UTF-8 CSV") from None
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise DatasetError(f"{path}: missing column(s) {missing}; found {list(table.columns)}")
    return table


def whole_numbers(table: pd.DataFrame, column: str, path: Path, what: str, allow_empty: bool = False) -> pd.Series:
    """``column`` as Int64; anything that is not a whole number (1.5, 'x', '3a', and an
    empty cell unless ``allow_empty``: it stays <NA>) is refused with its lines."""
    numbers = pd.to_numeric(table[column], errors="coerce")
    bad = (table[column].notna() | (not allow_empty)) & (numbers.isna() | (numbers % 1 != 0))
    if bad.any():
        examples = ", ".join(repr(v) for v in table.loc[bad, column].head(3))
        raise DatasetError(
            f"{path}: {column} must be {what} (a whole number), found {examples} on {lines(table.index[bad])}"
        )
    return numbers.astype("Int64")


def check_fold_range(folds: pd.Series, n_folds: int, path: Path, column: str = "fold") -> None:
    """Every fold in 1..n_folds (a fold outside it would otherwise silently train)."""
    outside = folds.notna() & ((folds < 1) | (folds > n_folds))
    if outside.any():
        found = sorted(set(int(f) for f in folds[outside]))
        raise DatasetError(f"{path}: {column} must be 1..{n_folds}, found {found} on {lines(folds.index[outside])}")


def check_class_ids(ids: pd.Series, names: pd.Series, path: Path, id_column: str, name_column: str) -> None:
    """Class id ↔ class name one to one: each id always has the same name and vice versa."""
    for key, value, key_name, value_name in (
        (ids, names, id_column, name_column),
        (names, ids, name_column, id_column),
    ):
        variants = value.groupby(key).nunique()
        conflicting = variants.index[variants > 1]
        if len(conflicting):
            k = _plain(conflicting[0])
            values = value[key == k]
            usual = values.mode().iloc[0]  # the odd lines out are the likely typos: name those
            odd = values[values != usual]
            found = ", ".join(f"{_plain(v)!r} on {lines(odd.index[odd == v])}" for v in pd.unique(odd))
            raise DatasetError(
                f"{path}: {key_name} {k!r} has {value_name} {_plain(usual)!r} on {len(values) - len(odd)} "
                f"line(s) but {found}; each {key_name} must always come with the same {value_name}"
            )


def check_every_fold_has_every_class(
    classes: pd.Series, folds: pd.Series, n_folds: int, path: Path, partial: bool = False
) -> None:
    """Each class in each fold 1..n: with one missing from a fold, the runs that test or
    validate on that fold never see it, and their chance level changes. ``partial``
    (dataset.allow_partial=true: the user knowingly uses part of a dataset) only warns."""
    present = pd.crosstab(classes, folds).reindex(columns=range(1, n_folds + 1), fill_value=0)
    absent = [(c, [f for f in present.columns if present.loc[c, f] == 0]) for c in present.index]
    absent = [(c, f) for c, f in absent if f]
    if absent:
        cls, missing_folds = absent[0]
        problem = (
            f"{path}: class {cls!r} has no clip in fold(s) {missing_folds} ({len(absent)} class(es) "
            "miss a fold); every fold must hold every class, or the runs testing on that fold never see it"
        )
        if partial:
            log.warning("%s (accepted: dataset.allow_partial=true)", problem)
            return
        raise DatasetError(f"{problem}. Fix the fold column, or pass dataset.allow_partial=true for part of a dataset.")


def _plain(value):
    """numpy scalars as Python values, so messages read 1, not np.int64(1)"""
    return value.item() if hasattr(value, "item") else value
