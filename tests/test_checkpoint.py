"""Checkpoints are read without running code from them, and a bad one is named."""

from __future__ import annotations

import pathlib

import pytest
import torch

from soundbench.artifacts.trained import SourceError, load_trained
from soundbench.models import create_model
from soundbench.models.checkpoint import CheckpointError, check_resumable, load_checkpoint
from soundbench.training.run import run
from tests.conftest import compose_config


class _Payload:
    """Unpickling this calls Path.touch(marker): a stand-in for any code an attacker picks."""

    def __init__(self, marker: pathlib.Path):
        self.marker = marker

    def __reduce__(self):
        return pathlib.Path.touch, (self.marker,)


def _checkpoint(path: pathlib.Path, model: torch.nn.Module, **extra) -> pathlib.Path:
    torch.save({"state_dict": {f"model.{k}": v for k, v in model.state_dict().items()}, **extra}, path)
    return path


def _strided_ds():
    return create_model("strided_ds", (1, 60, 31), 10)


def test_a_malicious_checkpoint_is_refused_and_its_code_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    evil = _checkpoint(tmp_path / "evil.ckpt", _strided_ds(), hook=_Payload(marker))
    with pytest.raises(CheckpointError, match=r"refused to load .*evil\.ckpt.*can run code"):
        load_checkpoint(evil)
    assert not marker.exists()

    # the deploy/predict model source refuses it the same way
    with pytest.raises(SourceError, match="refused to load"):
        load_trained(str(evil))
    assert not marker.exists()


def test_a_checkpoint_without_its_training_config_says_to_use_the_run_id(tmp_path):
    path = _checkpoint(tmp_path / "old.ckpt", _strided_ds())
    with pytest.raises(SourceError, match=r"old\.ckpt carries no training config.*MLflow run id"):
        load_trained(str(path))


def test_a_truncated_checkpoint_names_the_file(tmp_path):
    path = _checkpoint(tmp_path / "last.ckpt", _strided_ds())
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(CheckpointError, match=r"last\.ckpt is truncated or not a PyTorch checkpoint"):
        load_checkpoint(path)


def test_resuming_with_a_different_model_fails_before_training(tmp_path, demo_root):
    other = _checkpoint(tmp_path / "sbcnn.ckpt", create_model("sbcnn", (1, 60, 31), 10))
    with pytest.raises(CheckpointError, match="different model or front end"):
        check_resumable(other, _strided_ds())
    cfg = compose_config([f"dataset.root={demo_root}", "model=strided_ds", "logger=none",
                          f"paths.root_dir={tmp_path}", f"+ckpt_path={other}"])
    with pytest.raises(CheckpointError, match=r"ckpt_path=.*sbcnn\.ckpt.*model=, features="):
        run(cfg, tmp_path / "out")
    assert not (tmp_path / "out" / "checkpoints").exists()  # no epoch was spent


def test_an_own_checkpoint_loads(tmp_path):
    model = _strided_ds()
    check_resumable(_checkpoint(tmp_path / "ok.ckpt", model, class_names=("a", "b")), model)
