"""Checkpoints are read without running code from them, and a bad one is named."""

from __future__ import annotations

import pathlib

import pytest
import torch

from soundbench.artifacts.trained import SourceError, load_trained
from soundbench.config_trust import UntrustedConfigError
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
    cfg = compose_config(
        [
            f"dataset.root={demo_root}",
            "model=strided_ds",
            "logger=none",
            f"paths.root_dir={tmp_path}",
            f"+ckpt_path={other}",
        ]
    )
    with pytest.raises(CheckpointError, match=r"ckpt_path=.*sbcnn\.ckpt.*model=, features="):
        run(cfg, tmp_path / "out")
    assert not (tmp_path / "out" / "checkpoints").exists()  # no epoch was spent


def test_an_own_checkpoint_loads(tmp_path):
    model = _strided_ds()
    check_resumable(_checkpoint(tmp_path / "ok.ckpt", model, class_names=("a", "b")), model)


# ---- configs read from files never choose what gets called (issue 25, items 1-2) ----


def _genuine_config(tmp_path, demo_root) -> dict:
    from omegaconf import OmegaConf

    cfg = compose_config([f"dataset.root={demo_root}", "model=strided_ds", "logger=none", f"paths.root_dir={tmp_path}"])
    return OmegaConf.to_container(cfg, resolve=True)


def _evil_pickle(tmp_path) -> tuple[pathlib.Path, pathlib.Path]:
    marker = tmp_path / "pwned"
    payload = tmp_path / "payload.pt"
    torch.save({"x": _Payload(marker)}, payload)
    return payload, marker


@pytest.mark.parametrize("group", ["features", "dataset", "model"])
def test_a_checkpoint_whose_stored_config_names_torch_load_is_refused_and_nothing_runs(tmp_path, demo_root, group):
    """The checkpoint passes weights_only loading; its config's ``_target_`` is the attack."""
    payload, marker = _evil_pickle(tmp_path)
    config = _genuine_config(tmp_path, demo_root)
    config[group] = {"_target_": "torch.load", "f": str(payload), "weights_only": False}
    crafted = _checkpoint(tmp_path / "crafted.ckpt", _strided_ds(), soundbench_config=config, class_names=["a"])
    with pytest.raises(UntrustedConfigError, match=rf"crafted\.ckpt.*{group}\._target_='torch\.load'"):
        load_trained(str(crafted))
    assert not marker.exists()


def test_a_target_nested_or_spliced_in_by_interpolation_is_refused(tmp_path, demo_root):
    payload, marker = _evil_pickle(tmp_path)
    evil = {"_target_": "torch.load", "f": str(payload), "weights_only": False}
    nested = _genuine_config(tmp_path, demo_root)
    nested["model"]["block"] = evil
    with pytest.raises(UntrustedConfigError, match=r"model\.block\._target_='torch\.load'"):
        load_trained(str(_checkpoint(tmp_path / "nested.ckpt", _strided_ds(), soundbench_config=nested)))
    spliced = _genuine_config(tmp_path, demo_root)
    spliced["evil"] = evil
    spliced["features"]["extra"] = "${evil}"
    with pytest.raises(UntrustedConfigError, match=r"features\.extra\._target_='torch\.load'"):
        load_trained(str(_checkpoint(tmp_path / "spliced.ckpt", _strided_ds(), soundbench_config=spliced)))
    assert not marker.exists()


def test_a_run_config_file_is_held_to_the_same_rules(tmp_path, demo_root):
    """Checkpoints older than stored configs fall back to the run's config/resolved.yaml."""
    from omegaconf import OmegaConf

    from soundbench.experiment import Experiment

    payload, marker = _evil_pickle(tmp_path)
    config = _genuine_config(tmp_path, demo_root)
    config["dataset"] = {"_target_": "pandas.read_pickle", "filepath_or_buffer": str(payload)}
    OmegaConf.save(OmegaConf.create(config), tmp_path / "resolved.yaml")
    old = _checkpoint(tmp_path / "old.ckpt", _strided_ds())
    with pytest.raises(UntrustedConfigError, match=r"resolved\.yaml: dataset\._target_='pandas\.read_pickle'"):
        Experiment.from_checkpoint(old, tmp_path / "resolved.yaml")
    assert not marker.exists()


def test_a_genuine_stored_config_still_rebuilds_its_model(tmp_path, demo_root):
    model = _strided_ds()
    config = _genuine_config(tmp_path, demo_root)
    trained = load_trained(
        str(
            _checkpoint(tmp_path / "ok.ckpt", model, soundbench_config=config, class_names=[f"c{i}" for i in range(10)])
        )
    )
    assert trained.name == "strided_ds" and trained.frontend.name == "logmel"
    assert all(torch.equal(a, b) for a, b in zip(trained.model.state_dict().values(), model.state_dict().values()))


def test_a_bundle_whose_features_yaml_names_another_callable_is_refused(tmp_path):
    from soundbench.artifacts.bundle import BUNDLE_FILE, FEATURES_FILE, load_bundle

    payload, marker = _evil_pickle(tmp_path)
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "model.onnx").write_bytes(b"")
    (bundle / BUNDLE_FILE).write_text('{"format": 1, "class_names": ["a"], "models": {"float32": "model.onnx"}}')
    (bundle / FEATURES_FILE).write_text(f"_target_: torch.load\nf: {payload}\nweights_only: false\n")
    with pytest.raises(UntrustedConfigError, match=r"bundle file .*features\.yaml: features\._target_='torch\.load'"):
        load_bundle(bundle)
    assert not marker.exists()
    (bundle / FEATURES_FILE).write_text(
        "_target_: soundbench.features.LogMel\nsample_rate: 16000\nn_fft: 512\n"
        "hop_length: 256\nn_mels: 40\nwindow_frames: 31\nwindow_overlap: 0.5\n"
    )
    assert load_bundle(bundle).frontend.name == "logmel"


def test_a_folder_given_as_checkpoint_says_which_files_it_holds(tmp_path):
    folder = tmp_path / "run" / "checkpoints"
    _checkpoint(folder.mkdir(parents=True) or folder / "best-epoch03.ckpt", _strided_ds())
    with pytest.raises(
        SourceError, match=r"checkpoints is a folder; pass one of its checkpoint files \(best-epoch03\.ckpt\)"
    ):
        load_trained(str(folder))


def test_a_cv_parent_given_as_a_model_names_its_fold_runs_whatever_the_use(tmp_path):
    from mlflow import MlflowClient
    from mlflow.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    client = MlflowClient(uri)
    experiment = client.create_experiment("x", artifact_location=str(tmp_path / "artifacts"))
    parent = client.create_run(experiment).info.run_id
    child = client.create_run(experiment, tags={MLFLOW_PARENT_RUN_ID: parent}).info.run_id
    with pytest.raises(
        SourceError,
        match=rf"cross-validation parent, which holds no model of its own; use one of its "
        rf"fold runs: {child}",
    ) as refused:
        load_trained(parent, uri)
    assert "deploy" not in str(refused.value)
