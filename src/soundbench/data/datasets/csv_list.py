"""``dataset=csv``: the user's own audio listed in a CSV file::

    filename,label,fold,group
    rec01_a.wav,dog,,rec01
    clips/street3.flac,siren,,street3

``filename`` (relative to ``audio_dir``, default: the CSV's folder) and ``label`` are
required. ``fold`` (1..n) is optional: without it folds are assigned and saved next to the
CSV as ``<name>.folds.csv``. ``group`` (recording or speaker) is optional: without it each
file is its own group.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import pandas as pd

from soundbench.data.datasets.own_data import OwnData
from soundbench.data.index import DatasetError, make_table
from soundbench.data.metadata import lines, read_metadata, whole_numbers

REQUIRED = ("filename", "label")
DEFAULT_FOLDS = 5


class CsvList(OwnData):
    name = "csv"
    how_to_get = "Write a CSV with columns filename,label (optional fold, group) and pass dataset.csv=/path/to/it.csv."

    def __init__(
        self,
        csv: str | Path,
        audio_dir: str | Path | None = None,
        fold: int = 1,
        n_folds: int | None = None,
        seed: int = 0,
        folds_file=None,
        allow_partial: bool = False,
    ):
        self.csv = Path(csv).expanduser().resolve()
        super().__init__(
            audio_dir or self.csv.parent,
            fold=fold,
            n_folds=n_folds,
            seed=seed,
            folds_file=folds_file,
            allow_partial=allow_partial,
        )

    @property
    def n_folds(self) -> int:
        if self._n_folds is not None:
            return int(self._n_folds)
        if "fold" in self.rows and self.rows["fold"].notna().any():
            return int(self.rows["fold"].max())
        return DEFAULT_FOLDS

    def metadata_path(self) -> Path:
        return self.csv

    def default_folds_file(self) -> Path:
        return self.csv.with_name(f"{self.csv.stem}.folds.csv")

    def check_root(self) -> None:
        if not self.csv.is_file():
            raise DatasetError(f"csv: dataset.csv={self.csv} does not exist. {self.how_to_get}")
        super().check_root()

    @cached_property
    def rows(self) -> pd.DataFrame:
        self.check_root()
        rows = read_metadata(self.csv, (), dtype={"filename": str, "label": str, "group": str}, skipinitialspace=True)
        given = [str(c) for c in rows.columns]
        rows.columns = [c.strip().lower() for c in given]
        clashes = sorted({c for c in rows.columns if list(rows.columns).count(c) > 1})
        if clashes:  # e.g. fold and Fold: which one holds the folds?
            named = [g for g in given if g.strip().lower() in clashes]
            raise DatasetError(
                f"{self.csv}: the header names {clashes[0]!r} more than once ({', '.join(map(repr, named))}; "
                "column names are read case-insensitively): keep one of them"
            )
        missing = [c for c in REQUIRED if c not in rows.columns]
        if missing:
            raise DatasetError(
                f"{self.csv}: missing column(s) {missing}; found {list(rows.columns)}. "
                "The header must name at least filename,label."
            )
        empty = rows[list(REQUIRED)].isna().any(axis=1)
        if empty.any():
            raise DatasetError(
                f"{self.csv}: empty filename or label on {lines(rows.index[empty])}; fill them or delete the rows"
            )
        twice = rows["filename"].duplicated(keep=False)
        if twice.any():
            raise DatasetError(
                f"{self.csv}: the same filename is listed more than once ({lines(rows.index[twice])}); "
                "a clip must have one label and one fold"
            )
        if "fold" in rows:
            rows["fold"] = whole_numbers(rows, "fold", self.csv, "a fold number 1..n", allow_empty=True)
        return rows

    def read_table(self) -> tuple[pd.DataFrame, list[str]]:
        rows = self.rows
        class_names = self.class_list(rows["label"])
        label_of = {name: i for i, name in enumerate(class_names)}
        columns = {
            "path": [str((self.root / f).resolve()) for f in rows["filename"]],
            "label": rows["label"].map(label_of),
            "class_name": rows["label"],
            "group": rows["group"].fillna(rows["filename"]) if "group" in rows else rows["filename"],
        }
        if "fold" in rows:
            columns["fold"] = rows["fold"]
        return make_table(columns), class_names
