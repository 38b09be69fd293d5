"""``dataset=audacity``: long recordings labelled in Audacity; each labelled region is a clip.

    field_recordings/
      2026-05-01_garden.wav   2026-05-01_garden.txt     (File → Export → Export Labels)
      night/pond.flac         night/pond.txt

A recording's label file has its name with ``.txt`` (or ``.labels.txt``, what ``predict``
writes) in place of the audio extension. Recordings without a label file are skipped. All
regions of one recording form one group, so a recording never straddles train and test.
Overlapping regions, regions beyond the end of the audio and malformed lines are refused
with the file and line. ``classes`` keeps only the listed labels (others are ignored).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from soundbench.data.audio import AUDIO_SUFFIXES, audio_info
from soundbench.data.datasets.own_data import OwnData
from soundbench.data.index import DatasetError, make_table
from soundbench.data.label_track import Label, check_labels, read_labels

log = logging.getLogger(__name__)

LABEL_SUFFIXES = (".txt", ".labels.txt")


def label_file_of(recording: Path) -> Path | None:
    found = [recording.with_name(recording.stem + s) for s in LABEL_SUFFIXES]
    found = [p for p in found if p.is_file()]
    if len(found) > 1:
        raise DatasetError(f"{recording} has two label files ({found[0].name}, {found[1].name}); keep one")
    return found[0] if found else None


class AudacityLabels(OwnData):
    name = "audacity"
    how_to_get = "Put recordings and their Audacity label files (same name, .txt) in one folder."

    def __init__(
        self,
        root,
        fold: int = 1,
        n_folds: int = 5,
        seed: int = 0,
        classes: list[str] | None = None,
        folds_file=None,
        allow_partial: bool = False,
    ):
        super().__init__(
            root, fold=fold, n_folds=n_folds, seed=seed, folds_file=folds_file, allow_partial=allow_partial
        )
        self.classes = list(classes) if classes else None

    def read_table(self) -> tuple[pd.DataFrame, list[str]]:
        regions = [(recording, label) for recording in self._recordings() for label in self._labels_of(recording)]
        if not regions:
            raise DatasetError(f"audacity: no labelled regions under {self.root}. {self.how_to_get}")
        class_names = self.class_list(label.text for _, label in regions)
        label_of = {name: i for i, name in enumerate(class_names)}
        table = make_table(
            {
                "path": [str(recording) for recording, _ in regions],
                "label": [label_of[label.text] for _, label in regions],
                "class_name": [label.text for _, label in regions],
                "group": [recording.relative_to(self.root).as_posix() for recording, _ in regions],
                "start": [label.start for _, label in regions],
                "duration": [label.duration for _, label in regions],
            }
        )
        return table, class_names

    def _recordings(self) -> list[Path]:
        audio = sorted(
            p for p in self.root.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and not p.name.startswith(".")
        )
        unlabelled = [p for p in audio if label_file_of(p) is None]
        if unlabelled:
            log.info(
                "audacity: %d recording(s) without a label file are skipped, e.g. %s", len(unlabelled), unlabelled[0]
            )
        return [p for p in audio if p not in unlabelled]

    def _labels_of(self, recording: Path) -> list[Label]:
        path = label_file_of(recording)
        labels = read_labels(path)
        check_labels(labels, path, audio_info(recording).duration)
        return [label for label in labels if self.classes is None or label.text in self.classes]
