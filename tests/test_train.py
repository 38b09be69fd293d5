"""End to end: `python train.py` on the demo data and a short run on real Speech Commands,
both tracked in MLflow."""

from __future__ import annotations

import subprocess
import sys

import pytest
from omegaconf import OmegaConf

from soundbench.training.run import run
from tests.conftest import ROOT, compose_config, the_only_run


@pytest.mark.slow
def test_train_py_on_demo_is_tracked_in_mlflow(tmp_path, demo_root):
    tracking_uri = f"sqlite:///{tmp_path}/mlflow.db"
    command = [
        sys.executable,
        "train.py",
        f"paths.root_dir={tmp_path}",
        f"dataset.root={demo_root}",
        "trainer.max_epochs=6",
        f"logger.tracking_uri={tracking_uri}",
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Test clip accuracy" in done.stdout
    # not a terminal: no progress bars in the captured output (a log file, CI)
    assert "━" not in done.stdout + done.stderr and "clip/s]" not in done.stderr
    # ... but one line per epoch, with its validation accuracy and the time left
    epochs = [line for line in done.stdout.splitlines() if line.startswith("epoch ")]
    assert [line.split()[1] for line in epochs] == [f"{k}/6" for k in range(1, 7)], done.stdout[-2000:]
    assert all("val/clip_acc" in line and "s/epoch" in line for line in epochs)
    assert "left" in epochs[0] and "left" not in epochs[-1]
    # none of the warnings every run used to print (quick-start noise)
    for noise in ("srun", "LeafSpec", "interpreted in multiple ways"):
        assert noise not in done.stderr, noise

    client, run_ = the_only_run(tracking_uri)
    assert run_.info.status == "FINISHED"
    params, metrics, tags = run_.data.params, run_.data.metrics, run_.data.tags
    assert params["model/name"] == "sbcnn" and params["features/n_mels"] == "60"
    assert params["data/short_clips"] == "0" and params["data/silent_clips"] == "0"
    assert metrics["test/clip_acc"] > 0.4  # chance is 1/8; ~0.9 after the default 30 epochs
    assert {"val/clip_acc", "train/loss", "test/window_acc", "model/n_parameters"} <= set(metrics)
    assert len(client.get_metric_history(run_.info.run_id, "val/clip_acc")) == 6  # per epoch
    assert any(k.startswith("test/class_acc/") for k in metrics)
    assert tags["dataset"] == "demo" and len(tags["dataset_fingerprint"]) == 16 and tags["git_commit"]
    artifacts = {a.path for a in client.list_artifacts(run_.info.run_id, "test")}
    assert "test/confusion_matrix.png" in artifacts
    assert {a.path for a in client.list_artifacts(run_.info.run_id, ".hydra")} >= {".hydra/config.yaml"}
    assert client.list_artifacts(run_.info.run_id, "checkpoints")


@pytest.mark.slow
def test_short_run_on_real_speech_commands(tmp_path, speechcommands):
    cfg = compose_config(
        [
            "dataset=speechcommands",
            f"dataset.root={speechcommands}",
            "dataset.version=1",
            "dataset.allow_partial=true",
            "features.sample_rate=16000",
            "features.hop_length=256",
            "trainer.max_epochs=3",
            f"paths.root_dir={tmp_path}",
            f"logger.tracking_uri=sqlite:///{tmp_path}/mlflow.db",
        ]
    )
    summary = run(cfg, output_dir=tmp_path / "run")
    assert 0.0 <= summary.test_clip_acc <= 1.0 and summary.chance == pytest.approx(1 / 3)
    _, run_ = the_only_run(f"sqlite:///{tmp_path}/mlflow.db")
    assert run_.data.params["dataset/task"] == "words"
    assert run_.data.metrics["test/clip_acc"] == pytest.approx(summary.test_clip_acc)


def test_unknown_config_key_is_refused_before_training():
    done = subprocess.run(
        [sys.executable, "train.py", "dataset.flod=3"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "flod" in done.stderr


def test_every_dataset_config_composes():
    for name in [
        "demo",
        "esc50",
        "esc10",
        "urbansound8k",
        "speechcommands",
        "speechcommands12",
        "folder",
        "csv",
        "audacity",
    ]:
        cfg = compose_config([f"dataset={name}"])
        assert cfg.dataset._target_.startswith("soundbench.data.datasets.")
    assert compose_config(["dataset=speechcommands12"]).dataset.task == "12class"


@pytest.mark.slow
def test_two_runs_started_together_get_their_own_folders(tmp_path):
    """Run folders are named by the second *and* a per-process suffix: two runs started at
    once never share (and overwrite) one .hydra/config.yaml."""
    commands = [
        [sys.executable, "train.py", f"paths.root_dir={tmp_path}", "logger=none", "cv.folds=[1]", f"seed={seed}"]
        for seed in (101, 202)
    ]  # fails right after Hydra wrote the run folder: cv needs MLflow
    for process in [subprocess.Popen(c, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for c in commands]:
        process.communicate(timeout=300)
    folders = sorted((tmp_path / "logs" / "runs").iterdir())
    assert len(folders) == 2
    seeds = {OmegaConf.load(folder / ".hydra" / "config.yaml").seed for folder in folders}
    assert seeds == {101, 202}


@pytest.mark.slow
def test_two_first_runs_started_together_on_a_fresh_store_both_finish(tmp_path, demo_root):
    """No mlflow.db yet, the default logger: both processes would migrate the new database's
    schema at once (``table _alembic_tmp_metrics already exists``); one creates it under a
    file lock and the other waits."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    command = [
        sys.executable,
        "train.py",
        f"paths.root_dir={tmp_path}",
        f"dataset.root={demo_root}",
        "model=strided_ds",
        "trainer.max_epochs=1",
        "data.windows_per_clip=1",
    ]
    jobs = [
        subprocess.Popen(
            [*command, f"seed={seed}", f"hydra.run.dir={tmp_path}/run{seed}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (0, 1)
    ]
    outputs = [job.communicate(timeout=600) for job in jobs]
    for job, (_, stderr) in zip(jobs, outputs):
        assert job.returncode == 0, stderr[-3000:]
    from mlflow import MlflowClient

    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    assert sorted(r.info.status for r in runs) == ["FINISHED", "FINISHED"]
    assert all("test/clip_acc" in r.data.metrics for r in runs)


def test_mlflow_tracking_uri_from_the_environment_is_used_unless_given_explicitly(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert compose_config([f"paths.root_dir={tmp_path}"]).logger.tracking_uri == f"sqlite:///{tmp_path}/mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow.example:5000")
    assert compose_config([f"paths.root_dir={tmp_path}"]).logger.tracking_uri == "http://mlflow.example:5000"
    explicit = compose_config([f"paths.root_dir={tmp_path}", "logger.tracking_uri=sqlite:///elsewhere.db"])
    assert explicit.logger.tracking_uri == "sqlite:///elsewhere.db"

    for name in ("deploy", "predict"):
        cfg = compose_config(["run=x"] if name == "deploy" else [], name)
        assert cfg.tracking_uri == "http://mlflow.example:5000", name
