"""What every corpus shares: root checks, missing-file policy, and the fold protocol."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

import pandas as pd

from soundbench.data.index import ClipIndex, DatasetError, drop_missing_files
from soundbench.data.protocols import Splits, fold_split


class AudioCorpus(ABC):
    """A labelled audio dataset in its official on-disk layout.

    Subclasses set ``name``, ``metadata`` (files that must exist under the root),
    ``how_to_get`` (download instructions) and implement :meth:`read_table`.
    """

    name: ClassVar[str]
    metadata: ClassVar[tuple[str, ...]]
    how_to_get: ClassVar[str]
    n_folds: ClassVar[int | None] = None
    #: clips shorter than this many seconds are zero-padded to it (Speech Commands: 1 s)
    min_clip_seconds: ClassVar[float] = 0.0
    #: every clip's documented length, where the dataset has one (a much shorter decoded
    #: clip is reported; see soundbench.data.clip_check); tables may give it per row instead
    clip_seconds: ClassVar[float | None] = None
    #: source recordings that the official folds themselves put in two folds
    official_shared_groups: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, root: str | Path, fold: int | None = 1, allow_partial: bool = False):
        self.root = Path(root).expanduser().resolve()
        self.fold = fold
        self.allow_partial = allow_partial

    def load_index(self) -> ClipIndex:
        self.check_root()
        table, class_names = self.read_table()
        table = self.drop_missing(table)
        if self.clip_seconds and "expected_seconds" not in table:
            table["expected_seconds"] = float(self.clip_seconds)
        if table.empty:
            raise DatasetError(f"{self.name}: no clips found under {self.root}")
        return ClipIndex(table.reset_index(drop=True), tuple(class_names))

    def splits(self, index: ClipIndex) -> Splits:
        if self.n_folds is None:
            raise NotImplementedError(f"{type(self).__name__} must define its protocol")
        return fold_split(index, int(self.fold), self.n_folds, self.official_shared_groups)

    def check_root(self) -> None:
        absent = [m for m in self.metadata if not (self.root / m).exists()]
        if absent:
            raise DatasetError(
                f"{self.name} was not found at {self.root} (missing {', '.join(absent)}).\n"
                f"{self.how_to_get}\nThen pass dataset.root=/path/to/it. "
                "To try soundbench without downloading anything, use dataset=demo."
            )

    def drop_missing(self, table: pd.DataFrame) -> pd.DataFrame:
        return drop_missing_files(table, self.name, self.allow_partial)

    @abstractmethod
    def read_table(self) -> tuple[pd.DataFrame, list[str]]:
        """Return the index table (see :mod:`soundbench.data.index`) and the class names."""
