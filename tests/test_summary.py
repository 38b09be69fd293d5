"""Run and cross-validation summaries: what a search and the benchmark scripts read back from
a job folder's summary.json is what the run reported."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from soundbench.tracking.summary import CvSummary, RunSummary, read_summary


def test_a_run_summary_reads_back_from_its_job_folder(tmp_path):
    summary = RunSummary(0.71, 0.68, 0.61, 0.025, "abc", "/ckpt/best.ckpt", 93.5, ("a", "b"), np.eye(2, dtype=int))
    summary.write(tmp_path)
    back = read_summary(tmp_path)
    assert isinstance(back, RunSummary) and back.metrics() == summary.metrics()
    assert (back.run_id, back.checkpoint, back.seconds) == ("abc", "/ckpt/best.ckpt", 93.5)


def test_a_run_without_validation_selection_reads_back_as_nan(tmp_path):
    RunSummary(float("nan"), 0.5, 0.5, 0.1).write(tmp_path)  # JSON has no NaN: the key is left out
    assert math.isnan(read_summary(tmp_path / "summary.json").val_clip_acc)


def test_a_cv_summary_has_the_spreads_between_folds_and_seeds(tmp_path):
    table = pd.DataFrame(
        {"fold": [1, 1, 2, 2], "seed": [0, 1, 0, 1], "test_clip_acc": [0.8, 0.9, 0.6, 0.6], "run_id": list("abcd")}
    )
    summary = CvSummary.of(table, "parent")
    assert summary.test_clip_acc_mean == pytest.approx(0.725)
    assert summary.std_between_folds == pytest.approx(0.125)  # fold means 0.85 and 0.6
    assert summary.std_between_seeds == pytest.approx(0.025)  # 0.05 in fold 1, 0 in fold 2
    assert summary.metrics()["cv/fold2/test_clip_acc"] == pytest.approx(0.6)
    summary.write(tmp_path)
    back = read_summary(tmp_path)
    assert isinstance(back, CvSummary) and back.metrics() == pytest.approx(summary.metrics())
    assert back.parent_run_id == "parent" and list(back.folds["run_id"]) == list("abcd")


def test_a_summary_file_of_another_kind_is_refused_with_its_path(tmp_path):
    (tmp_path / "summary.json").write_text('{"kind": "predict"}')
    with pytest.raises(ValueError, match="summary.json.*'predict'"):
        read_summary(tmp_path)
