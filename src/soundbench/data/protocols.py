"""Evaluation protocols: the single place where train / validation / test are decided.

Fold protocol (UrbanSound8K, ESC-50, ESC-10, demo): the test fold is k, the validation
fold is k-1 (fold 1 wraps to the last fold), all other folds train. List protocol
(Speech Commands): the official ``split`` column decides. Either way the splits are
checked to share no file and no source recording before anything trains on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from soundbench.data.index import ClipIndex, DatasetError

SPLITS = ("train", "validation", "test")


class ProtocolLeakError(DatasetError):
    """Train, validation and test overlap: any result would be invalid."""


@dataclass(frozen=True)
class Splits:
    train: ClipIndex
    validation: ClipIndex
    test: ClipIndex

    def items(self):
        return ((name, getattr(self, name)) for name in SPLITS)


def validation_fold(test_fold: int, n_folds: int) -> int:
    return n_folds if test_fold == 1 else test_fold - 1


def fold_split(
    index: ClipIndex, test_fold: int, n_folds: int, tolerated_groups: frozenset[str] = frozenset()
) -> Splits:
    if not 1 <= test_fold <= n_folds:
        raise DatasetError(f"dataset.fold={test_fold} is out of range: this dataset has folds 1..{n_folds}")
    folds = index.table["fold"]
    if folds.isna().any():
        raise DatasetError("fold protocol needs a fold for every clip; some rows have none")
    val_fold = validation_fold(test_fold, n_folds)
    splits = Splits(
        train=index.subset(((folds != test_fold) & (folds != val_fold)).to_numpy()),
        validation=index.subset((folds == val_fold).to_numpy()),
        test=index.subset((folds == test_fold).to_numpy()),
    )
    assert_disjoint(splits, tolerated_groups)
    return splits


def list_split(index: ClipIndex) -> Splits:
    split = index.table["split"]
    unknown = set(split.dropna().unique()) - set(SPLITS)
    if split.isna().any() or unknown:
        raise DatasetError(f"list protocol needs split in {SPLITS} for every clip; found {unknown or 'missing'}")
    splits = Splits(*(index.subset((split == name).to_numpy()) for name in SPLITS))
    assert_disjoint(splits)
    return splits


def assert_disjoint(splits: Splits, tolerated_groups: frozenset[str] = frozenset()) -> None:
    """No file segment and no source recording may appear in two splits.

    ``tolerated_groups`` are recordings that the dataset's own official folds already
    split (different events of one recording, labelled differently); they are accepted so
    that results stay comparable with the literature. Any other shared recording is refused.
    """
    key_sets = {"file segment": _segment_keys, "source recording": _group_keys}
    for what, keys_of in key_sets.items():
        keys = {name: keys_of(part) for name, part in splits.items()}
        for a, b in combinations(SPLITS, 2):
            shared = keys[a] & keys[b]
            if what == "source recording":
                shared -= tolerated_groups
            if shared:
                raise ProtocolLeakError(
                    f"{a} and {b} share {len(shared)} {what}(s), e.g. {sorted(shared)[:3]}: "
                    "the evaluation would leak. Check the dataset's fold/split metadata."
                )


def _segment_keys(part: ClipIndex) -> set[str]:
    t = part.table
    return {f"{path}@{start}+{duration}" for path, start, duration in zip(t["path"], t["start"], t["duration"])}


def _group_keys(part: ClipIndex) -> set[str]:
    return set(part.table["group"])
