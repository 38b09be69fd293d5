"""``dataset=folder``: the user's own audio, one subfolder per class::

    my_sounds/
      dog/      rec01_bark1.wav  rec01_bark2.wav  ...
      siren/    street3.flac ...

Files may sit in nested folders below their class folder. Each file is its own group
unless ``group_pattern`` (a regular expression with one capture group, matched against the
file name) names the recording or speaker it came from, e.g. ``"^(rec\\d+)_"``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from soundbench.data.audio import AUDIO_SUFFIXES
from soundbench.data.datasets.own_data import OwnData
from soundbench.data.index import DatasetError, make_table


class AudioFolder(OwnData):
    name = "folder"
    how_to_get = "Put each class's audio files in a subfolder named after the class: root/<class>/*.wav."

    def __init__(
        self,
        root,
        fold: int = 1,
        n_folds: int = 5,
        seed: int = 0,
        group_pattern: str | None = None,
        folds_file=None,
        allow_partial: bool = False,
    ):
        super().__init__(
            root, fold=fold, n_folds=n_folds, seed=seed, folds_file=folds_file, allow_partial=allow_partial
        )
        self.group_pattern = re.compile(group_pattern) if group_pattern else None

    def read_table(self) -> tuple[pd.DataFrame, list[str]]:
        files = [(path, folder.name) for folder in self._class_folders() for path in _audio_files(folder)]
        if not files:
            raise DatasetError(
                f"folder: no audio files ({', '.join(AUDIO_SUFFIXES)}) in the class subfolders "
                f"of {self.root}. {self.how_to_get}"
            )
        class_names = self.class_list(name for _, name in files)
        label_of = {name: i for i, name in enumerate(class_names)}
        table = make_table(
            {
                "path": [str(path) for path, _ in files],
                "label": [label_of[name] for _, name in files],
                "class_name": [name for _, name in files],
                "group": [self._group(path) for path, _ in files],
            }
        )
        return table, class_names

    def _class_folders(self) -> list[Path]:
        return sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def _group(self, path: Path) -> str:
        if self.group_pattern is None:
            return path.relative_to(self.root).as_posix()
        match = self.group_pattern.search(path.name)
        if not match or not match.groups():
            raise DatasetError(
                f"folder: {path.name} does not match dataset.group_pattern="
                f"{self.group_pattern.pattern!r} (it needs one capture group, the recording or "
                "speaker id); rename the file or fix the pattern"
            )
        return match.group(1)


def _audio_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and not p.name.startswith("."))
