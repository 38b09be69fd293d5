"""ESC-50 (Piczak 2015) and its ESC-10 subset: ``audio/*.wav`` + ``meta/esc50.csv``, 5 folds.

Folds were built so that clips cut from one freesound recording (``src_file``) share a
fold; the protocol check verifies it (four official exceptions are accepted as published).
"""

from __future__ import annotations

import pandas as pd

from soundbench.data.datasets.base import AudioCorpus
from soundbench.data.index import make_table
from soundbench.data.metadata import (
    check_class_ids,
    check_every_fold_has_every_class,
    check_fold_range,
    read_metadata,
    whole_numbers,
)


class ESC50(AudioCorpus):
    name = "esc50"
    metadata = ("meta/esc50.csv",)
    how_to_get = (
        "Download https://github.com/karoldvl/ESC-50/archive/master.zip and unzip it; "
        "the root is the ESC-50-master folder (it holds audio/ and meta/)."
    )
    n_folds = 5
    clip_seconds = 5.0
    # Four source recordings that the official esc50.csv itself places in two folds.
    official_shared_groups = frozenset({"131943", "134049", "209698", "234879"})

    def read_table(self) -> tuple[pd.DataFrame, list[str]]:
        path = self.root / "meta" / "esc50.csv"
        meta = read_metadata(path, ("filename", "fold", "target", "category", "esc10", "src_file"))
        meta["target"] = whole_numbers(meta, "target", path, "a class id")
        meta["fold"] = whole_numbers(meta, "fold", path, "a fold number")
        check_fold_range(meta["fold"], self.n_folds, path)
        check_class_ids(meta["target"], meta["category"], path, "target", "category")
        meta = self.select_rows(meta)
        check_every_fold_has_every_class(meta["category"], meta["fold"], self.n_folds, path, self.allow_partial)
        classes = meta.drop_duplicates("target").sort_values("target")
        class_names = list(classes["category"])
        label_of = {target: i for i, target in enumerate(classes["target"])}
        table = make_table(
            {
                "path": [str(self.root / "audio" / f) for f in meta["filename"]],
                "label": meta["target"].map(label_of),
                "class_name": meta["category"],
                "fold": meta["fold"],
                "group": meta["src_file"].astype(str),
            }
        )
        return table, class_names

    def select_rows(self, meta: pd.DataFrame) -> pd.DataFrame:
        return meta


class ESC10(ESC50):
    """The 10-class ``esc10 == True`` subset, labels remapped to 0..9."""

    name = "esc10"

    def select_rows(self, meta: pd.DataFrame) -> pd.DataFrame:
        return meta[meta["esc10"].astype(str).str.lower() == "true"]
