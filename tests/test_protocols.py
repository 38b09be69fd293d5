"""The evaluation protocols on the real metadata: fold sizes, validation folds,
disjointness, official Speech Commands lists."""

import pandas as pd
import pytest

from soundbench.data.datasets import ESC10, ESC50, SpeechCommands, UrbanSound8K
from soundbench.data.index import ClipIndex, make_table
from soundbench.data.protocols import ProtocolLeakError, fold_split, validation_fold

US8K_FOLD_SIZES = [873, 888, 925, 990, 936, 823, 838, 806, 816, 837]


def metadata_only(corpus):
    """The full index from the real metadata, without requiring the audio files."""
    table, class_names = corpus.read_table()
    return ClipIndex(table, tuple(class_names))


def test_urbansound8k_fold_sizes_and_validation_rule(urbansound8k):
    index = metadata_only(UrbanSound8K(urbansound8k))
    assert len(index) == 8732 and index.n_classes == 10
    assert index.table["fold"].value_counts().sort_index().tolist() == US8K_FOLD_SIZES
    assert validation_fold(1, 10) == 10
    for k in range(1, 11):
        splits = UrbanSound8K(urbansound8k, fold=k).splits(index)  # asserts disjoint files and freesound ids
        assert set(splits.test.table["fold"]) == {k}
        assert set(splits.validation.table["fold"]) == {10 if k == 1 else k - 1}
        assert len(splits.train) + len(splits.validation) + len(splits.test) == 8732
        assert len(splits.train.table["fold"].unique()) == 8


def test_urbansound8k_keeps_salience(urbansound8k):
    index = metadata_only(UrbanSound8K(urbansound8k))
    assert set(index.table["salience"]) == {1, 2}


def test_esc50_has_400_clips_per_fold_and_esc10_has_10_classes(esc50):
    index = metadata_only(ESC50(esc50))
    assert index.table["fold"].value_counts().tolist() == [400] * 5
    esc10 = metadata_only(ESC10(esc50))
    assert esc10.n_classes == 10 and len(esc10) == 400
    assert sorted(esc10.table["label"].unique()) == list(range(10))
    for k in range(1, 6):
        splits = ESC50(esc50, fold=k).splits(index)
        assert len(splits.test) == 400 and set(splits.validation.table["fold"]) == {5 if k == 1 else k - 1}


def test_speechcommands_lists_decide_the_split(speechcommands):
    corpus = SpeechCommands(speechcommands, version=1, allow_partial=True)
    index = corpus.load_index()
    splits = corpus.splits(index)
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (128, 7, 15)
    validation_list = set((speechcommands / "validation_list.txt").read_text().split())
    for path in splits.validation.table["path"]:
        assert "/".join(path.split("/")[-2:]) in validation_list
    assert index.class_names == ("nine", "right", "zero")


@pytest.mark.parametrize("corpus, column", [(UrbanSound8K, "fsID"), (ESC50, "src_file")])
def test_only_the_officially_split_recordings_are_tolerated(urbansound8k, esc50, corpus, column):
    root = urbansound8k if corpus is UrbanSound8K else esc50
    meta = pd.read_csv(next(root.glob("meta*/*.csv")))
    folds_per_recording = meta.groupby(column)["fold"].nunique()
    spanning = {str(g) for g in folds_per_recording[folds_per_recording > 1].index}
    assert spanning == corpus.official_shared_groups


def test_a_group_in_two_splits_is_refused():
    table = make_table(
        {
            "path": ["a.wav", "b.wav", "c.wav"],
            "label": [0, 0, 0],
            "class_name": ["x"] * 3,
            "fold": [1, 2, 3],
            "group": ["rec1", "rec1", "rec2"],  # rec1 straddles folds 1 and 2
        }
    )
    with pytest.raises(ProtocolLeakError, match="source recording"):
        fold_split(ClipIndex(table, ("x",)), 1, 3)


def test_out_of_range_fold_is_explained(urbansound8k):
    index = metadata_only(UrbanSound8K(urbansound8k))
    with pytest.raises(Exception, match="folds 1..10"):
        fold_split(index, 11, 10)
