"""Clips cut short or all-zero are named, counted, and refused on request."""

from __future__ import annotations

import logging
import shutil

import numpy as np
import pytest
import soundfile as sf

from soundbench.data.datamodule import AudioDataModule
from soundbench.data.datasets import Demo
from soundbench.data.index import DatasetError


def _damaged_demo(tmp_path, demo_root):
    """The demo with one training clip truncated to 200 bytes (3.5 ms) and one zeroed."""
    root = tmp_path / "demo"
    shutil.copytree(demo_root, root)
    module = AudioDataModule(Demo(root), 16000, 16000, 8000)
    paths = list(module.prepare_index().train.table["path"][:2])
    with open(paths[0], "r+b") as f:
        f.truncate(200)
    data, rate = sf.read(paths[1])
    sf.write(paths[1], np.zeros_like(data), rate)
    return root, paths


def test_short_and_silent_clips_are_named_and_counted(tmp_path, demo_root, caplog):
    root, (cut, silent) = _damaged_demo(tmp_path, demo_root)
    module = AudioDataModule(Demo(root), 16000, 16000, 8000)
    with caplog.at_level(logging.WARNING):
        module.setup("fit")
    assert f"{cut} (0.00" in caplog.text and "of 4 s)" in caplog.text and silent in caplog.text
    assert module.clip_problems.as_params() == {"data/short_clips": 1, "data/silent_clips": 1}
    assert len(module.datasets["train"]) > 0  # still trained on, as the warning says


def test_bad_clips_error_refuses_them(tmp_path, demo_root):
    root, (cut, _) = _damaged_demo(tmp_path, demo_root)
    module = AudioDataModule(Demo(root), 16000, 16000, 8000, bad_clips="error")
    with pytest.raises(DatasetError, match=f"1 clip\\(s\\) shorter than 0.5 of their expected length:\\n  {cut}"):
        module.setup("fit")


def test_intact_data_reports_nothing(demo_root):
    module = AudioDataModule(Demo(demo_root), 16000, 16000, 8000, bad_clips="error")
    module.setup("fit")
    assert module.clip_problems.as_params() == {"data/short_clips": 0, "data/silent_clips": 0}
