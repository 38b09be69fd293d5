"""Corpus loaders: missing roots, partial downloads, the demo generator, Speech Commands tasks."""

import logging
import shutil
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

import soundbench.data.demo as demo_generator
from soundbench.data.datasets import ESC50, FSDD, Demo, SpeechCommands, UrbanSound8K
from soundbench.data.demo import CLASSES, generate_demo
from soundbench.data.index import DatasetError
from tests.conftest import compose_config, shared_dataset, write_tone


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


@pytest.mark.slow
def test_demo_is_generated_deterministically_in_the_esc50_layout(tmp_path, demo_root):
    again = generate_demo(tmp_path / "demo")
    first = pd.read_csv(demo_root / "meta" / "esc50.csv")
    assert first.equals(pd.read_csv(again / "meta" / "esc50.csv"))
    name = first["filename"][17]
    assert np.array_equal(sf.read(demo_root / "audio" / name)[0], sf.read(again / "audio" / name)[0])
    assert len(first) == 40 * len(CLASSES) and sorted(first["fold"].unique()) == [1, 2, 3, 4, 5]
    index = ESC50(demo_root).load_index()  # the real ESC-50 loader reads it
    assert index.class_names == CLASSES


def test_parallel_jobs_generate_the_demo_once_and_never_replace_it_under_each_other(tmp_path, monkeypatch):
    # A two-job sweep starts both jobs on an empty folder; the second must wait for the
    # first one's dataset, not delete it while the first job is reading it.
    generations = []
    write_clips = demo_generator._write_clips
    monkeypatch.setattr(demo_generator, "_write_clips", lambda *a: (generations.append(a), write_clips(*a)))
    start = threading.Barrier(2)
    roots = []

    def job():
        start.wait()
        roots.append(generate_demo(tmp_path / "demo", clips_per_class=5))

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(generations) == 1 and len(roots) == 2
    assert len(Demo(tmp_path / "demo", clips_per_class=5).load_index()) == 5 * len(CLASSES)


@pytest.mark.slow
def test_demo_is_regenerated_when_damaged(tmp_path, demo_root):
    copy = tmp_path / "demo"
    shutil.copytree(demo_root, copy)
    clip = sorted((copy / "audio").iterdir())[5]
    original = clip.read_bytes()
    clip.write_bytes(original[:100])  # a half-written generation: cut clip, no stamp
    (copy / "GENERATED").unlink()
    index = Demo(copy).load_index()
    assert len(index) == 320 and clip.read_bytes() == original and (copy / "GENERATED").is_file()


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


def _esc50_root(tmp_path, edit=None):
    """A metadata-only ESC-50 root: 2 classes × 5 folds × 2 clips; edit(rows) may change it."""
    rows = [
        {
            "filename": f"{fold}-{c}{k}-A-{c}.wav",
            "fold": fold,
            "target": c,
            "category": ["dog", "rain"][c],
            "esc10": True,
            "src_file": f"{fold}{c}{k}",
            "take": "A",
        }
        for fold in range(1, 6)
        for c in range(2)
        for k in range(2)
    ]
    meta = pd.DataFrame(rows)
    if edit:
        edit(meta)
    (tmp_path / "meta").mkdir(parents=True, exist_ok=True)
    (tmp_path / "audio").mkdir(exist_ok=True)
    meta.to_csv(tmp_path / "meta" / "esc50.csv", index=False)
    return tmp_path


def _fractional_target(meta):
    meta["target"] = meta["target"].astype(object)
    meta.loc[3, "target"] = "1.5"


def _fold_six(meta):
    meta.loc[0, "fold"] = 6


def _category_renamed_once(meta):
    meta.loc[2, "category"] = "cat"


def _rain_never_in_fold_4(meta):
    meta.loc[(meta["target"] == 1) & (meta["fold"] == 4), "fold"] = 3


@pytest.mark.parametrize(
    "edit,message",
    [
        (_fractional_target, r"esc50.csv: target must be a class id \(a whole number\), found 1.5 on line 5"),
        (_fold_six, r"esc50.csv: fold must be 1..5, found \[6\] on line 2"),
        (_category_renamed_once, r"esc50.csv: target 1 has category 'rain' on \d+ line\(s\) but 'cat' on line 4;"),
        (_rain_never_in_fold_4, r"esc50.csv: class 'rain' has no clip in fold\(s\) \[4\]"),
    ],
)
def test_esc50_inconsistent_metadata_is_refused_with_the_line(tmp_path, edit, message):
    root = _esc50_root(tmp_path, edit)
    with pytest.raises(DatasetError, match=message):
        ESC50(root).read_table()


def test_esc50_consistent_metadata_is_read(tmp_path):
    table, classes = ESC50(_esc50_root(tmp_path)).read_table()
    assert classes == ["dog", "rain"] and len(table) == 20


def test_urbansound8k_inconsistent_metadata_is_refused_with_the_line(tmp_path):
    rows = [
        {
            "slice_file_name": f"{fold}{c}-{c}-0-0.wav",
            "fsID": fold * 10 + c,
            "start": 0.0,
            "end": 4.0,
            "salience": 1,
            "fold": fold,
            "classID": c,
            "class": ["dog_bark", "siren"][c],
        }
        for fold in range(1, 11)
        for c in range(2)
    ]
    (tmp_path / "metadata").mkdir()
    meta = pd.DataFrame(rows)
    meta.loc[7, "fold"] = 0
    meta.to_csv(tmp_path / "metadata" / "UrbanSound8K.csv", index=False)
    with pytest.raises(DatasetError, match=r"UrbanSound8K.csv: fold must be 1..10, found \[0\] on line 9"):
        UrbanSound8K(tmp_path).read_table()
    meta.loc[7, "fold"] = 4
    meta.loc[3, "class"] = "dog_bark"
    meta.to_csv(tmp_path / "metadata" / "UrbanSound8K.csv", index=False)
    with pytest.raises(DatasetError, match=r"classID 1 has class 'siren' on \d+ line\(s\) but 'dog_bark' on line 5;"):
        UrbanSound8K(tmp_path).read_table()


def test_fsdd_official_split_tests_on_index_0_to_4_and_validates_on_5_to_9(fsdd):
    corpus = FSDD(fsdd)
    splits = corpus.splits(corpus.load_index())
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (2400, 300, 300)
    assert splits.test.class_names == tuple(str(d) for d in range(10))
    indices = {name: {int(p.rsplit("_", 1)[1][:-4]) for p in part.table["path"]} for name, part in splits.items()}
    assert indices["test"] == set(range(5)) and indices["validation"] == set(range(5, 10))
    assert min(indices["train"]) == 10


def test_fsdd_speaker_folds_keep_each_speaker_in_one_split(fsdd):
    corpus = FSDD(fsdd, protocol="speakers", fold=3)
    splits = corpus.splits(corpus.load_index())
    speakers = {name: {p.split("_")[-2] for p in part.table["path"]} for name, part in splits.items()}
    assert speakers["test"] == {"lucas"} and speakers["validation"] == {"jackson"}  # folds 3 and 2
    assert len(speakers["train"]) == 4 and len(splits.train) == 2000


def test_fsdd_refuses_a_stray_file_by_name(tmp_path):
    write_tone(tmp_path / "recordings" / "7_jackson_3.wav", sr=8000)
    write_tone(tmp_path / "recordings" / "notes.wav", sr=8000)
    with pytest.raises(DatasetError, match="notes.wav: not an FSDD recording name"):
        FSDD(tmp_path).load_index()


def test_a_background_class_from_another_corpus_keeps_each_recording_in_one_split(fsdd):
    from hydra.utils import instantiate

    esc40 = shared_dataset("esc40")
    cfg = compose_config(
        ["experiment=mcu_fsdd_detect", f"dataset.corpus.root={fsdd}", f"dataset.background.root={esc40}"]
    )
    corpus = instantiate(cfg.dataset)
    index = corpus.load_index()
    assert index.class_names == (*[str(d) for d in range(10)], "_background_")
    splits = corpus.splits(index)
    background = {name: part.table[part.table["class_name"] == "_background_"] for name, part in splits.items()}
    assert {name: len(b) for name, b in background.items()} == {"train": 960, "validation": 320, "test": 320}
    test_files = set(background["test"]["path"])
    assert all("/audio/" in p for p in test_files) and not test_files & set(background["train"]["path"])
    assert (background["test"]["duration"] == 1.0).all() and (background["test"]["start"] <= 4.0).all()
    digits = {name: part.table[part.table["class_name"] != "_background_"] for name, part in splits.items()}
    assert len(digits["test"]) == 300 and len(digits["train"]) == 2400  # FSDD's official split, unchanged
    # ESC-40's fold 4 (its clean test fold) is the background's test split
    folds = pd.read_csv(esc40 / "esc40.csv")
    fold4 = {str((esc40 / f).resolve()) for f in folds.loc[folds["fold"] == 4, "filename"]}
    assert {str(Path(p).resolve()) for p in test_files} == fold4
