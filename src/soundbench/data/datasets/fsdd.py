"""Free Spoken Digit Dataset (Jakobovski et al.): ``recordings/{digit}_{speaker}_{index}.wav``,
3000 recordings (10 digits × 6 speakers × 50), 8 kHz, 0.14–2.28 s.

Protocols:
    official  the dataset's split: index 0–4 test, the rest train (every speaker in both:
              speaker-dependent). Validation, for model selection, is index 5–9: part of the
              official training set, never the test set.
    speakers  speaker-independent: one fold per speaker (6 folds, leave-one-speaker-out);
              dataset.fold is the test speaker's fold, the previous fold validates.
"""

from __future__ import annotations

import re

import pandas as pd

from soundbench.data.datasets.base import AudioCorpus
from soundbench.data.index import ClipIndex, DatasetError, make_table
from soundbench.data.protocols import Splits, fold_split, list_split

SPEAKERS = ("george", "jackson", "lucas", "nicolas", "theo", "yweweler")  # fold k = SPEAKERS[k - 1]
PROTOCOLS = ("official", "speakers")
_NAME = re.compile(r"^(?P<digit>\d)_(?P<speaker>[a-z]+)_(?P<index>\d+)$")


class FSDD(AudioCorpus):
    name = "fsdd"
    metadata = ("recordings",)
    how_to_get = (
        "Clone https://github.com/Jakobovski/free-spoken-digit-dataset; the root is the clone (it holds recordings/)."
    )
    min_clip_seconds = 0.0

    def __init__(self, root, protocol: str = "official", fold: int = 1, allow_partial: bool = False):
        if protocol not in PROTOCOLS:
            raise DatasetError(f"dataset.protocol={protocol!r}: choose one of {', '.join(PROTOCOLS)}")
        super().__init__(root, fold=fold if protocol == "speakers" else None, allow_partial=allow_partial)
        self.protocol = protocol
        self.n_folds = len(SPEAKERS) if protocol == "speakers" else None

    def splits(self, index: ClipIndex) -> Splits:
        if self.protocol == "official":
            return list_split(index)
        return fold_split(index, int(self.fold), self.n_folds)

    def read_table(self) -> tuple[pd.DataFrame, list[str]]:
        rows = []
        for path in sorted((self.root / "recordings").glob("*.wav")):
            match = _NAME.match(path.stem)
            if not match:
                raise DatasetError(
                    f"{path}: not an FSDD recording name ({{digit}}_{{speaker}}_{{index}}.wav); "
                    "move other files out of recordings/"
                )
            if match["speaker"] not in SPEAKERS:
                raise DatasetError(f"{path}: unknown speaker {match['speaker']!r}; FSDD has {', '.join(SPEAKERS)}")
            rows.append((str(path), int(match["digit"]), match["speaker"], int(match["index"])))
        if not rows:
            raise DatasetError(f"fsdd: no recordings under {self.root / 'recordings'}. {self.how_to_get}")
        meta = pd.DataFrame(rows, columns=["path", "digit", "speaker", "index"])
        speaker_folds = meta["speaker"].map({s: k for k, s in enumerate(SPEAKERS, start=1)})
        official = meta["index"].map(lambda i: "test" if i < 5 else "validation" if i < 10 else "train")
        table = make_table(
            {
                "path": meta["path"],
                "label": meta["digit"],
                "class_name": meta["digit"].astype(str),
                # speakers: a speaker's recordings are one group (never in two splits); official:
                # each recording is its own source, as the split is speaker-dependent by design
                "group": meta["speaker"] if self.protocol == "speakers" else meta["path"],
                "fold": speaker_folds if self.protocol == "speakers" else pd.NA,
                "split": official if self.protocol == "official" else pd.NA,
            }
        )
        return table, [str(d) for d in range(10)]
