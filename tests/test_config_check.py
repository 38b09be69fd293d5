"""Config values that cannot work are refused before anything trains, naming key and fix."""

from __future__ import annotations

import subprocess
import sys

import pytest

from soundbench.config_check import ConfigError, check_config
from tests.conftest import ROOT, compose_config


@pytest.mark.parametrize(
    "override,message",
    [
        ("trainer.max_epochs=abc", "trainer.max_epochs='abc' must be a whole number"),
        ("trainer.max_epochs=-3", r"trainer.max_epochs=-3 is out of range: it must be >= -1"),
        ("dataset.fold=abc", r"dataset.fold='abc' must be a whole number \(this dataset has folds 1..5\)"),
        ("dataset.fold=6", r"dataset.fold=6 is out of range: it must be 1..5"),
        ("cv.folds=[1,9]", r"cv.folds=\[1, 9\]: give 'all' or distinct fold numbers in 1..5 \(\[9\] not\)"),
        ("cv.folds=[2,2]", r"a fold is repeated"),
        ("data.batch_size=0", r"data.batch_size=0 is out of range"),
        ("data.bad_clips=ignore", r"data.bad_clips='ignore': use one of warn, error"),
        ("data.min_clip_fraction=2", r"data.min_clip_fraction=2 must be a number in \[0, 1\]"),
    ],
)
def test_bad_values_name_the_key(override, message):
    with pytest.raises(ConfigError, match=message):
        check_config(compose_config([override]), n_folds=5)


def test_the_defaults_and_list_protocols_pass():
    check_config(compose_config([]), n_folds=5)
    check_config(compose_config(["cv=all", "cv.folds=[1,3]", "trainer.max_epochs=-1"]), n_folds=5)
    check_config(compose_config(["dataset=speechcommands"]), n_folds=None)
    with pytest.raises(ConfigError, match="official split lists"):
        check_config(compose_config(["dataset=speechcommands", "cv=all", "cv.folds=[1]"]), n_folds=None)


@pytest.mark.slow
def test_train_py_stops_before_training_on_a_bad_fold_list(tmp_path):
    """cv.folds=[1,9] on the 5-fold demo used to fail only after fold 1 had trained."""
    done = subprocess.run(
        [
            sys.executable,
            "train.py",
            "cv=all",
            "cv.folds=[1,9]",
            f"paths.log_dir={tmp_path}",
            f"logger.tracking_uri=sqlite:///{tmp_path}/mlflow.db",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0
    assert "cv.folds=[1, 9]: give 'all' or distinct fold numbers in 1..5" in done.stderr
    assert "Epoch" not in done.stderr + done.stdout
