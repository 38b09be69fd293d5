"""UrbanSound8K (Salamon et al. 2014): ``audio/foldN/*.wav`` + ``metadata/UrbanSound8K.csv``.

10 predefined folds; slices of one freesound recording (``fsID``) share a fold, so the
folds must be used as given: reshuffling them leaks and inflates accuracy. ``salience``
(1 foreground, 2 background) is kept for the per-salience breakdown.
"""

from __future__ import annotations

import pandas as pd

from soundbench.data.datasets.base import AudioCorpus
from soundbench.data.index import make_table


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
        meta = pd.read_csv(self.root / "metadata" / "UrbanSound8K.csv")
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
        )
        return table, list(classes["class"])
