"""A corpus plus a background class: what a detector needs to learn that most of a stream
is none of its classes.

``WithBackground(corpus, background, splits)`` keeps the corpus's clips, classes and
protocol, and adds one class (``label``, default ``_background_``) made of segments of
another corpus's recordings: one ``segment_seconds`` segment per recording, at a seeded
random offset. Which background recordings train, validate and test follows their folds
(``splits``: e.g. ESC-40's folds 1, 2, 5 train, 3 validation, 4 test), so a background
recording is never in two splits. The background corpus's own labels are dropped: to the
detector it is all "none of my classes". Use backgrounds that are not what you will test
on (the event soundscapes use UrbanSound8K backgrounds; this class comes from ESC-40).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from soundbench.data.audio import audio_info
from soundbench.data.datasets.base import AudioCorpus
from soundbench.data.index import ClipIndex, DatasetError, make_table
from soundbench.data.protocols import SPLITS, Splits, assert_disjoint

BACKGROUND = "_background_"


class WithBackground(AudioCorpus):
    metadata = ()
    how_to_get = "Give both corpora (dataset.corpus and dataset.background) as their own configs say."

    def __init__(
        self,
        corpus: AudioCorpus,
        background: AudioCorpus,
        splits: dict[str, list[int]],
        label: str = BACKGROUND,
        segment_seconds: float = 1.0,
        seed: int = 0,
        allow_partial: bool = False,
    ):
        super().__init__(corpus.root, fold=corpus.fold, allow_partial=allow_partial)
        unknown = set(splits) - set(SPLITS)
        if unknown or not all(splits.get(name) for name in SPLITS):
            raise DatasetError(f"dataset.splits={dict(splits)}: give background folds for each of {SPLITS}")
        self.corpus, self.background = corpus, background
        self.background_splits = {name: [int(f) for f in folds] for name, folds in splits.items()}
        self.label, self.segment_seconds, self.seed = label, float(segment_seconds), seed
        self.name = f"{corpus.name}+{label}"
        self.n_folds, self.min_clip_seconds = corpus.n_folds, corpus.min_clip_seconds

    def check_root(self) -> None:
        self.corpus.check_root()
        self.background.check_root()

    def read_table(self) -> tuple[pd.DataFrame, list[str]]:
        index = self.corpus.load_index()
        if self.label in index.class_names:
            raise DatasetError(f"{self.corpus.name} already has a class named {self.label!r}; choose dataset.label")
        segments = self._segments(self.background.load_index().table, len(index.class_names))
        table = pd.concat([index.table.assign(background=False), segments], ignore_index=True)
        return table, [*index.class_names, self.label]

    def _segments(self, background: pd.DataFrame, label: int) -> pd.DataFrame:
        """One segment per background recording, from the folds ``splits`` names."""
        split_of = {fold: name for name, folds in self.background_splits.items() for fold in folds}
        background = background[background["fold"].isin(list(split_of))].reset_index(drop=True)
        if background.empty:
            raise DatasetError(f"{self.background.name}: no recordings in the folds {sorted(split_of)}")
        rng = np.random.default_rng(self.seed)
        lengths = np.array([audio_info(p).duration for p in background["path"]])
        starts = rng.uniform(0, np.maximum(lengths - self.segment_seconds, 0))
        return make_table(
            {
                "path": background["path"],
                "label": np.full(len(background), label),
                "class_name": self.label,
                "split": background["fold"].map(split_of).astype("string"),
                "group": "background:" + background["group"].astype(str),
                "start": np.round(starts, 3),
                "duration": np.minimum(lengths, self.segment_seconds),
            },
            expected_seconds=np.minimum(lengths, self.segment_seconds),
            background=True,
        )

    def splits(self, index: ClipIndex) -> Splits:
        table = index.table
        is_background = table["background"].astype(bool).to_numpy()
        own = self.corpus.splits(index.subset(~is_background))
        background = index.subset(is_background)
        parts = {
            name: ClipIndex(
                pd.concat([part.table, background.table[background.table["split"] == name]], ignore_index=True),
                index.class_names,
            )
            for name, part in own.items()
        }
        splits = Splits(**parts)
        assert_disjoint(splits, self.corpus.official_shared_groups)
        return splits
