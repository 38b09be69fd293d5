"""UrbanSound8K (Salamon et al. 2014): ``audio/foldN/*.wav`` + ``metadata/UrbanSound8K.csv``.

10 predefined folds; slices of one freesound recording (``fsID``) share a fold, so the
folds must be used as given: reshuffling them leaks and inflates accuracy. ``salience``
(1 foreground, 2 background) is kept for the per-salience breakdown.
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


class UrbanSound8K(AudioCorpus):
    name = "urbansound8k"
    metadata = ("metadata/UrbanSound8K.csv",)
    how_to_get = (
        "Download UrbanSound8K.tar.gz from https://zenodo.org/records/1203745 (6 GB) and "
        "extract it; the root is the UrbanSound8K folder (it holds audio/ and metadata/)."
    )
    n_folds = 10
    # The official folds put different events of these five recordings in two folds
    # (e.g. 180937: jackhammer in fold 1, drilling in fold 9). Kept as published.
    official_shared_groups = frozenset({"77751", "106905", "132016", "176638", "180937"})

    def read_table(self) -> tuple[pd.DataFrame, list[str]]:
        path = self.root / "metadata" / "UrbanSound8K.csv"
        meta = read_metadata(path, ("slice_file_name", "fsID", "start", "end", "salience", "fold", "classID", "class"))
        meta["classID"] = whole_numbers(meta, "classID", path, "a class id")
        meta["fold"] = whole_numbers(meta, "fold", path, "a fold number")
        check_fold_range(meta["fold"], self.n_folds, path)
        check_class_ids(meta["classID"], meta["class"], path, "classID", "class")
        check_every_fold_has_every_class(meta["class"], meta["fold"], self.n_folds, path, self.allow_partial)
        classes = meta.drop_duplicates("classID").sort_values("classID")
        table = make_table(
            {
                "path": [
                    str(self.root / "audio" / f"fold{fold}" / name)
                    for fold, name in zip(meta["fold"], meta["slice_file_name"])
                ],
                "label": meta["classID"],
                "class_name": meta["class"],
                "fold": meta["fold"],
                "group": meta["fsID"].astype(str),
            },
            salience=meta["salience"],
            expected_seconds=meta["end"] - meta["start"],  # the slice's length in its source recording
        )
        return table, list(classes["class"])
