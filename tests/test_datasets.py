"""Corpus loaders: missing roots, partial downloads, the demo generator, Speech Commands tasks."""

import logging
import shutil

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from soundbench.data.datasets import ESC50, Demo, SpeechCommands, UrbanSound8K
from soundbench.data.demo import CLASSES, generate_demo
from soundbench.data.index import DatasetError
from tests.conftest import write_tone


def test_missing_root_says_how_to_get_it_and_suggests_demo(tmp_path):
    with pytest.raises(DatasetError) as err:
        UrbanSound8K(tmp_path / "nowhere").load_index()
    message = str(err.value)
    assert "zenodo" in message and "dataset.root=" in message and "dataset=demo" in message


def test_partial_download_is_refused_with_count_and_examples(urbansound8k):
    with pytest.raises(DatasetError, match=r"8679 of 8732 files .* missing") as err:
        UrbanSound8K(urbansound8k).load_index()
    assert "allow_partial=true" in str(err.value) and ".wav" in str(err.value)


def test_allow_partial_drops_missing_rows_with_a_warning(urbansound8k, caplog):
    with caplog.at_level(logging.WARNING):
        index = UrbanSound8K(urbansound8k, allow_partial=True).load_index()
    assert len(index) == 53 and index.n_classes == 10
    assert "dropping 8679 of 8732" in caplog.text


def test_demo_is_generated_deterministically_in_the_esc50_layout(tmp_path, demo_root):
    again = generate_demo(tmp_path / "demo")
    first = pd.read_csv(demo_root / "meta" / "esc50.csv")
    assert first.equals(pd.read_csv(again / "meta" / "esc50.csv"))
    name = first["filename"][17]
    assert np.array_equal(sf.read(demo_root / "audio" / name)[0], sf.read(again / "audio" / name)[0])
    assert len(first) == 40 * len(CLASSES) and sorted(first["fold"].unique()) == [1, 2, 3, 4, 5]
    index = ESC50(demo_root).load_index()  # the real ESC-50 loader reads it
    assert index.class_names == CLASSES


def test_demo_is_regenerated_when_damaged(tmp_path, demo_root):
    copy = tmp_path / "demo"
    shutil.copytree(demo_root, copy)
    (copy / "GENERATED").unlink()
    index = Demo(copy).load_index()
    assert len(index) == 320


def test_speechcommands_12class_task(tmp_path):
    root = tmp_path / "sc"
    for word, speaker in [("yes", "aaaa1111"), ("no", "bbbb2222"), ("cat", "cccc3333"), ("dog", "dddd4444")]:
        write_tone(root / word / f"{speaker}_nohash_0.wav", seconds=0.6)
    write_tone(root / "_background_noise_" / "white_noise.wav", seconds=60.0)
    (root / "validation_list.txt").write_text("no/bbbb2222_nohash_0.wav\n")
    (root / "testing_list.txt").write_text("cat/cccc3333_nohash_0.wav\n")
    corpus = SpeechCommands(root, task="12class", allow_partial=True, silence_fraction=1.0)
    index = corpus.load_index()
    assert index.class_names[:2] == ("_silence_", "_unknown_") and index.n_classes == 12
    table = index.table
    assert set(table.loc[table["path"].str.contains("/cat/|/dog/"), "class_name"]) == {"_unknown_"}
    silence = table[table["class_name"] == "_silence_"]
    assert len(silence) == 4 and (silence["duration"] == 1.0).all()
    train_starts = silence.loc[silence["split"] == "train", "start"]
    test_starts = silence.loc[silence["split"] == "test", "start"]
    assert train_starts.max() + 1.0 <= 48.0 <= 54.0 <= test_starts.min()  # time regions don't overlap
    splits = corpus.splits(index)
    assert len(splits.validation) == 2 and len(splits.test) == 2


def test_speechcommands_incomplete_download_is_refused(speechcommands):
    with pytest.raises(DatasetError, match="word folders are missing"):
        SpeechCommands(speechcommands, version=1).load_index()
