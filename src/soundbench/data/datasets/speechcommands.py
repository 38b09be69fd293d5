"""Google Speech Commands (Warden 2018): one folder per word + the official
``validation_list.txt`` / ``testing_list.txt`` (files in neither list are train).

Tasks:
    words    every word is a class (35 words in v0.02, 30 in v0.01)
    12class  the 10 command words + ``_silence_`` + ``_unknown_`` (all other words),
             the benchmark of Warden's paper and of "Hello Edge" keyword spotting.

``_silence_`` clips are 1 s segments cut from ``_background_noise_``. To keep them from
leaking, each noise file is divided in time: its first 80 % feeds train, the next 10 %
validation, the last 10 % test. The lists assign speakers to splits by hashing the
speaker id, so the protocol check (speakers disjoint) holds on the official lists.
"""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from soundbench.data.datasets.base import AudioCorpus
from soundbench.data.index import ClipIndex, DatasetError, make_table
from soundbench.data.protocols import Splits, list_split

log = logging.getLogger(__name__)

WORDS_V1 = (
    "bed bird cat dog down eight five four go happy house left marvin nine no off on one "
    "right seven sheila six stop three tree two up wow yes zero"
).split()
WORDS_V2 = sorted(WORDS_V1 + ["backward", "follow", "forward", "learn", "visual"])
COMMANDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
SILENCE, UNKNOWN, NOISE_DIR = "_silence_", "_unknown_", "_background_noise_"
#: where each split's silence segments may start, as fractions of a noise file's length
NOISE_REGIONS = {"train": (0.0, 0.8), "validation": (0.8, 0.9), "test": (0.9, 1.0)}


class SpeechCommands(AudioCorpus):
    name = "speechcommands"
    metadata = ("validation_list.txt", "testing_list.txt")
    how_to_get = (
        "Download http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz (2.3 GB) "
        "and extract it into an empty folder; that folder is the root (it holds the word "
        "folders and the two list files)."
    )
    min_clip_seconds = 1.0
    clip_seconds = 1.0

    def __init__(
        self,
        root,
        task: str = "words",
        version: int = 2,
        allow_partial: bool = False,
        silence_fraction: float = 0.1,
        seed: int = 0,
    ):
        super().__init__(root, fold=None, allow_partial=allow_partial)
        if task not in ("words", "12class"):
            raise DatasetError(f"dataset.task={task!r}: choose 'words' or '12class'")
        if version not in (1, 2):
            raise DatasetError(f"dataset.version={version!r}: Speech Commands has versions 1 and 2")
        self.task, self.version = task, version
        self.silence_fraction, self.seed = silence_fraction, seed

    def splits(self, index: ClipIndex) -> Splits:
        return list_split(index)

    def read_table(self) -> tuple[pd.DataFrame, list[str]]:
        words = self._present_words()
        files = [f"{w}/{p.name}" for w in words for p in sorted((self.root / w).glob("*.wav"))]
        split = self._official_split(files)
        words_of = [f.split("/")[0] for f in files]
        class_names = self._class_names(words)
        label_of = {name: i for i, name in enumerate(class_names)}
        class_of = [self._class_of_word(w) for w in words_of]
        table = make_table(
            {
                "path": [str(self.root / f) for f in files],
                "label": [label_of[c] for c in class_of],
                "class_name": class_of,
                "split": split,
                "group": [f.split("/")[1].split("_nohash_")[0] for f in files],  # speaker id
            }
        )
        if self.task == "12class":
            table = pd.concat([table, self._silence_rows(table, label_of[SILENCE])], ignore_index=True)
        return table, class_names

    def drop_missing(self, table: pd.DataFrame) -> pd.DataFrame:
        # Rows come from files on disk, so "missing" means list entries without a file.
        on_disk = {f"{Path(p).parent.name}/{Path(p).name}" for p in table["path"]}
        words = {f.split("/")[0] for f in on_disk}
        absent = sorted(f for f in self._listed_files if f not in on_disk and f.split("/")[0] in words)
        if absent:
            self._refuse_or_warn(f"{len(absent)} files named in the official lists are missing, e.g. {absent[:3]}")
        return table

    # -- helpers -----------------------------------------------------------------------

    def _vocabulary(self) -> list[str]:
        return WORDS_V2 if self.version == 2 else WORDS_V1

    def _present_words(self) -> list[str]:
        vocabulary = self._vocabulary()
        present = [w for w in vocabulary if (self.root / w).is_dir()]
        missing = [w for w in vocabulary if w not in present]
        if missing:
            self._refuse_or_warn(
                f"{len(missing)} of the {len(vocabulary)} v0.0{self.version} word folders are missing "
                f"({', '.join(missing[:5])}{', …' if len(missing) > 5 else ''})"
            )
        return present

    def _refuse_or_warn(self, problem: str) -> None:
        if not self.allow_partial:
            raise DatasetError(
                f"{self.name} at {self.root}: {problem}. Complete the download (or set "
                "dataset.version to match it), or pass dataset.allow_partial=true to use what is present."
            )
        log.warning("%s: %s; continuing (dataset.allow_partial=true)", self.name, problem)

    @cached_property
    def _listed_files(self) -> dict[str, str]:
        """Official list entries ("word/file.wav") → "validation" or "test"."""
        listed = {}
        for split, list_file in (("validation", "validation_list.txt"), ("test", "testing_list.txt")):
            for line in (self.root / list_file).read_text().split():
                listed[line.strip()] = split
        return listed

    def _official_split(self, files: list[str]) -> list[str]:
        listed = self._listed_files
        return [listed.get(f, "train") for f in files]

    def _class_names(self, present_words: list[str]) -> list[str]:
        if self.task == "12class":
            return [SILENCE, UNKNOWN, *COMMANDS]
        return present_words

    def _class_of_word(self, word: str) -> str:
        if self.task == "12class" and word not in COMMANDS:
            return UNKNOWN
        return word

    def _silence_rows(self, table: pd.DataFrame, label: int) -> pd.DataFrame:
        noise_files = sorted((self.root / NOISE_DIR).glob("*.wav"))
        if not noise_files:
            self._refuse_or_warn(f"{NOISE_DIR}/ is missing, so the 12-class task has no {SILENCE} examples")
            return table.iloc[:0]
        seconds = [sf.info(f).duration for f in noise_files]
        rng = np.random.default_rng(self.seed)
        rows = []
        for split, (lo, hi) in NOISE_REGIONS.items():
            n = int(round(self.silence_fraction * int((table["split"] == split).sum())))
            for i in range(n):
                k = i % len(noise_files)
                first, last = lo * seconds[k], max(lo * seconds[k], hi * seconds[k] - 1.0)
                rows.append(
                    (str(noise_files[k]), float(rng.uniform(first, last)), split, f"{noise_files[k].name}:{split}")
                )
        path, start, split, group = zip(*rows) if rows else ((), (), (), ())
        return make_table(
            {
                "path": list(path),
                "label": [label] * len(rows),
                "class_name": [SILENCE] * len(rows),
                "split": list(split),
                "group": list(group),
            },
            start=list(start),
            duration=[1.0] * len(rows),
        )
