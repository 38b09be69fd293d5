"""ESC-40: the 40 ESC-50 classes outside ESC-10, the real environmental-sound set recipes
are tuned on (``../shared/data/esc40``: 1600 clips, 40 per class, 5 s, 16 kHz mono FLAC
from an 8-bit copy of ESC-50; ``esc40.csv`` lists ``filename,label,target,fold,...``).

Fold 4 is the official ESC-50 fold 4, whose source recordings appear in no other fold: the
one clean test fold, so ``dataset.fold`` defaults to 4 (validation is fold 3 by the fold
protocol). Folds 1, 2, 3 and 5 are a seeded split in which takes (A/B/C) of one source
recording can sit in different folds, so validation accuracy is optimistic; select on it,
report fold 4."""

from __future__ import annotations

from pathlib import Path

from soundbench.data.datasets.csv_list import CsvList


class ESC40(CsvList):
    name = "esc40"
    how_to_get = (
        "ESC-40 ships with the project's shared data (../shared/data/esc40: esc40.csv + audio/); "
        "pass dataset.root=/path/to/esc40."
    )
    clip_seconds = 5.0

    def __init__(self, root: str | Path, fold: int = 4, seed: int = 0, allow_partial: bool = False):
        root = Path(root).expanduser()
        super().__init__(
            root / "esc40.csv", audio_dir=root, fold=fold, n_folds=5, seed=seed, allow_partial=allow_partial
        )
