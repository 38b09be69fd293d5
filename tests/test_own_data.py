"""The user's own data: folder / CSV / Audacity datasets, fold assignment that never splits
a group and is reused, and the errors for messy labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from soundbench.data.datasets import AudacityLabels, AudioFolder, CsvList
from soundbench.data.index import DatasetError
from soundbench.data.label_track import LabelFileError, read_labels
from soundbench.data.protocols import fold_split
from tests.conftest import write_tone

SR = 8000
CLASSES = {"dog": 400.0, "siren": 1200.0, "bird": 3000.0}


def write_clip(path, hz: float, seconds: float = 0.5, seed: int = 0):
    t = np.arange(int(seconds * SR)) / SR
    noise = np.random.default_rng(seed).normal(0, 0.01, len(t))
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, 0.3 * np.sin(2 * np.pi * hz * t) + noise, SR)
    return path


@pytest.fixture
def sound_folder(tmp_path):
    """3 classes x 7 recordings x 3 clips; recordings named rec<k>_ (a recording holds all classes)."""
    root = tmp_path / "my_sounds"
    for name, hz in CLASSES.items():
        for rec in range(7):
            for k in range(3):
                write_clip(root / name / f"rec{rec}_{k}.wav", hz * (1 + 0.02 * rec), seed=rec * 10 + k)
    return root


def assert_groups_in_one_fold(corpus):
    index = corpus.load_index()
    assert index.table.groupby("group")["fold"].nunique().max() == 1
    for fold in range(1, corpus.n_folds + 1):
        fold_split(index, fold, corpus.n_folds)  # raises if a recording straddles splits
    return index


def test_folder_folds_keep_each_recording_in_one_fold_and_are_reused(sound_folder):
    corpus = AudioFolder(sound_folder, group_pattern=r"^(rec\d+)_")
    index = assert_groups_in_one_fold(corpus)
    assert index.class_names == ("bird", "dog", "siren")
    per_fold = index.table.groupby(["fold", "class_name"]).size().unstack()
    assert (per_fold > 0).all().all()  # stratified: every class in every fold
    saved = sound_folder / "soundbench_folds.csv"
    assert saved.is_file()
    pd.testing.assert_series_equal(
        AudioFolder(sound_folder, group_pattern=r"^(rec\d+)_", seed=99).load_index().table["fold"], index.table["fold"]
    )  # reused, not redrawn


def test_folder_refuses_new_files_against_saved_folds(sound_folder):
    AudioFolder(sound_folder).load_index()
    write_clip(sound_folder / "dog" / "late_addition.wav", 400.0)
    with pytest.raises(DatasetError, match="1 new clip.*late_addition.wav.*Delete that file"):
        AudioFolder(sound_folder).load_index()


def test_fold_assignment_is_deterministic_per_seed(tmp_path, sound_folder):
    first = AudioFolder(sound_folder, seed=3, folds_file=tmp_path / "a.csv").load_index().table["fold"]
    again = AudioFolder(sound_folder, seed=3, folds_file=tmp_path / "b.csv").load_index().table["fold"]
    assert (first == again).all()


def test_classes_with_too_few_recordings_are_named(sound_folder):
    for extra in range(2):
        write_clip(sound_folder / "frog" / f"rec{extra}_0.wav", 800.0)
    with pytest.raises(DatasetError, match=r"'frog' \(2 clips from 2 recording"):
        AudioFolder(sound_folder, group_pattern=r"^(rec\d+)_").load_index()


def test_csv_with_groups_never_splits_a_group(tmp_path, sound_folder):
    files = sorted(sound_folder.rglob("*.wav"))
    rows = pd.DataFrame(
        {
            "filename": [f.relative_to(sound_folder).as_posix() for f in files],
            "label": [f.parent.name for f in files],
            "group": [f.name.split("_")[0] for f in files],
        }
    )
    rows.to_csv(sound_folder / "labels.csv", index=False)
    corpus = CsvList(sound_folder / "labels.csv", n_folds=4)
    index = assert_groups_in_one_fold(corpus)
    assert len(index) == len(files) and (sound_folder / "labels.folds.csv").is_file()


def test_csv_with_folds_uses_them(tmp_path, sound_folder):
    files = sorted(sound_folder.rglob("*.wav"))
    rec = [int(f.name[3]) for f in files]
    pd.DataFrame(
        {"filename": [str(f) for f in files], "label": [f.parent.name for f in files], "fold": [1 + r % 3 for r in rec]}
    ).to_csv(tmp_path / "mine.csv", index=False)
    corpus = CsvList(tmp_path / "mine.csv")
    assert corpus.n_folds == 3
    index = corpus.load_index()
    assert list(index.table["fold"]) == [1 + r % 3 for r in rec]
    assert not (tmp_path / "mine.folds.csv").exists()


def test_csv_errors_name_the_lines(tmp_path):
    (tmp_path / "a.csv").write_text("file,label\nx.wav,dog\n")
    with pytest.raises(DatasetError, match=r"missing column\(s\) \['filename'\]"):
        CsvList(tmp_path / "a.csv").load_index()
    (tmp_path / "b.csv").write_text("filename,label\nx.wav,dog\ny.wav,\nx.wav,cat\n")
    with pytest.raises(DatasetError, match="empty filename or label on line 3"):
        CsvList(tmp_path / "b.csv").load_index()
    (tmp_path / "c.csv").write_text("filename,label\nx.wav,dog\nx.wav,cat\n")
    with pytest.raises(DatasetError, match="more than once \\(lines 2, 3\\)"):
        CsvList(tmp_path / "c.csv").load_index()
    (tmp_path / "d.csv").write_text("filename,label\nx.wav,dog\ny.wav,cat,extra\n")
    with pytest.raises(DatasetError, match="d.csv: cannot be read as CSV .*line 3.*fix or delete that line"):
        CsvList(tmp_path / "d.csv").load_index()
    (tmp_path / "e.csv").write_text("filename,label,fold\nx.wav,dog,1\ny.wav,cat,1.5\n")
    with pytest.raises(DatasetError, match="e.csv: fold must be a fold number 1..n .*found 1.5 on line 3"):
        CsvList(tmp_path / "e.csv").load_index()
    (tmp_path / "f.csv").write_text("filename,label,fold,Fold\nx.wav,dog,1,2\n")
    with pytest.raises(DatasetError, match=r"f.csv: the header names 'fold' more than once \('fold', 'Fold'"):
        CsvList(tmp_path / "f.csv").load_index()


def test_a_class_id_with_another_name_on_one_line_names_that_line(tmp_path):
    from soundbench.data.metadata import check_class_ids

    ids = pd.Series([0] * 40 + [1] * 10 + [0])
    names = pd.Series(["dog"] * 40 + ["rooster"] * 10 + ["rooster"])
    with pytest.raises(DatasetError, match=r"target 0 has category 'dog' on 40 line\(s\) but 'rooster' on line 52;"):
        check_class_ids(ids, names, tmp_path / "esc50.csv", "target", "category")


def test_csv_folds_that_leave_a_class_out_of_a_fold_are_refused(tmp_path):
    rows = ["filename,label,fold"]
    for k in range(6):
        write_tone(tmp_path / f"d{k}.wav", sr=SR)
        write_tone(tmp_path / f"c{k}.wav", sr=SR)
        rows += [f"d{k}.wav,dog,{k % 3 + 1}", f"c{k}.wav,cat,{1 if k < 3 else 2}"]  # no cat in fold 3
    (tmp_path / "list.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(DatasetError, match=r"list.csv: class 'cat' has no clip in fold\(s\) \[3\]"):
        CsvList(tmp_path / "list.csv").load_index()


def long_recording(path, seconds: float = 12.0):
    sf.write(path, np.random.default_rng(0).normal(0, 0.1, int(seconds * SR)), SR)
    return path


def test_audacity_regions_become_clips_of_one_group(tmp_path):
    for k in range(3):
        long_recording(tmp_path / f"walk{k}.wav")
        (tmp_path / f"walk{k}.txt").write_text("0.5\t2.0\tdog\n\\\t100.0\t2000.0\n3\t4.25\tbird\n")
    long_recording(tmp_path / "unlabelled.wav")
    table, classes = AudacityLabels(tmp_path).read_table()
    assert classes == ["bird", "dog"] and len(table) == 6
    first = table[table["group"] == "walk0.wav"]
    assert list(first["start"]) == [0.5, 3.0] and list(first["duration"]) == [1.5, 1.25]
    assert list(AudacityLabels(tmp_path, classes=["dog"]).read_table()[0]["class_name"]) == ["dog"] * 3


@pytest.mark.parametrize(
    "content, message",
    [
        ("0.5\t2.0\tdog\n1.0 2.0 cat\n", r"walk\.txt, line 2: expected 'start<TAB>end<TAB>label'"),
        ("0.5\tabc\tdog\n", r"walk\.txt, line 1: start and end must be numbers"),
        ("2.0\t2.0\tdog\n", r"walk\.txt, line 1: a region needs 0 <= start < end"),
        ("0.5\t3.0\tdog\n2.5\t4.0\tcat\n", r"line 1 \('dog' 0.5–3 s\) and line 2 \('cat' 2.5–4 s\) overlap"),
        ("0.5\t3.0\tdog\n10\t14\tcat\n", r"beyond the end of the audio \(12.000 s\): line 2 ends at 14 s"),
    ],
)
def test_label_file_errors_name_file_and_line(tmp_path, content, message):
    long_recording(tmp_path / "walk.wav")
    (tmp_path / "walk.txt").write_text(content)
    with pytest.raises(LabelFileError, match=message):
        AudacityLabels(tmp_path).read_table()


def test_label_reader_accepts_audacity_exports(tmp_path):
    path = tmp_path / "labels.txt"
    path.write_text("\ufeff0.000000\t1.500000\tcar horn\n\n")  # BOM and a trailing blank line
    [label] = read_labels(path)
    assert (label.start, label.end, label.text) == (0.0, 1.5, "car horn")


@pytest.mark.slow
def test_train_on_own_folder(tmp_path, sound_folder):
    from omegaconf import OmegaConf

    from soundbench.training.run import run
    from tests.conftest import compose_config

    cfg = compose_config(
        [
            "dataset=folder",
            f"dataset.root={sound_folder}",
            r"dataset.group_pattern='^(rec\d+)_'",
            "model=strided_ds",
            "features.sample_rate=8000",
            "features.n_fft=256",
            "features.hop_length=128",
            "features.n_mels=32",
            "logger=none",
            "trainer.max_epochs=8",
            f"paths.root_dir={tmp_path}",
        ]
    )
    assert OmegaConf.select(cfg, "dataset.n_folds") == 5
    summary = run(cfg, tmp_path / "run")
    assert summary.test_clip_acc >= 0.6  # three tones, well apart: learnable in a few epochs
