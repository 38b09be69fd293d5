"""Hydra multirun grids, launchers (joblib, submitit local), Optuna, experiment configs."""

import subprocess
import sys

import pytest

from tests.conftest import ROOT, compose_config


def multirun(tmp_path, demo_root, *overrides):
    command = [
        sys.executable,
        "train.py",
        "-m",
        f"paths.root_dir={tmp_path}",
        f"dataset.root={demo_root}",
        "trainer.max_epochs=1",
        "data.windows_per_clip=2",
        "logger=none",
        *overrides,
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout + done.stderr


@pytest.mark.slow
def test_multirun_grid_with_two_models_completes(tmp_path, demo_root):
    out = multirun(tmp_path, demo_root, "model=sbcnn,crnn", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2")
    assert out.count("Test clip accuracy") == 2
    assert "sbcnn-logmel-demo" in out and "crnn-logmel-demo" in out


@pytest.mark.slow
def test_submitit_local_launcher_runs_a_job(tmp_path, demo_root):
    multirun(tmp_path, demo_root, "hydra/launcher=submitit_local", "hydra.launcher.timeout_min=10")
    sweep = next((tmp_path / "logs" / "multiruns").iterdir())
    assert list(sweep.glob("0/checkpoints/best-*.ckpt"))
    assert list(sweep.glob(".submitit/*/*_result.pkl"))  # submitit's own job record


@pytest.mark.slow
def test_optuna_search_reports_best_parameters(tmp_path, demo_root):
    multirun(tmp_path, demo_root, "hparams_search=optuna", "hydra.sweeper.n_trials=2")
    results = next((tmp_path / "logs" / "multiruns").iterdir()) / "optimization_results.yaml"
    text = results.read_text()
    assert "best_params" in text and "optimizer.lr" in text


@pytest.mark.parametrize(
    "experiment, expected",
    [
        (
            "thesis_us8k",
            {
                "optimizer.lr": 0.005,
                "optimizer.nesterov": True,
                "data.batch_size": 400,
                "features.n_mels": 60,
                "features.window_frames": 31,
                "cv.folds": "all",
            },
        ),
        ("esc50", {"cv.folds": "all"}),
        ("speechcommands12", {"dataset.task": "12class", "features.sample_rate": 16000}),
    ],
)
def test_experiment_configs_compose(experiment, expected):
    cfg = compose_config([f"experiment={experiment}"])
    for key, value in expected.items():
        node = cfg
        for part in key.split("."):
            node = node[part]
        assert node == value, key


def test_ddp_trainer_runs_on_cpu_by_default_and_takes_the_gpu_form():
    cpu = compose_config(["trainer=ddp"]).trainer
    # SyncBatchNorm refuses CPU modules: the CPU default must leave it off
    assert (cpu.strategy, cpu.accelerator, cpu.devices, cpu.sync_batchnorm) == ("ddp", "cpu", 2, False)
    gpu = compose_config(
        ["trainer=ddp", "trainer.accelerator=gpu", "trainer.devices=4", "trainer.sync_batchnorm=true"]
    ).trainer
    assert (gpu.accelerator, gpu.devices, gpu.sync_batchnorm) == ("gpu", 4, True)
