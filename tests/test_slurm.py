"""A sweep on a real SLURM cluster (one node, this machine): Hydra's submitit launcher sends
`sbatch` jobs with the resources of conf/hydra/launcher/slurm.yaml, they train, and their
runs land on the team's MLflow server (PostgreSQL behind it)."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import time

import pytest
from mlflow import MlflowClient

from tests.conftest import ROOT
from tests.servers import mlflow_server, postgres_bin, postgres_cluster, slurm_cluster, slurm_installed

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not slurm_installed(), reason="SLURM is not installed (make toolchain installs slurm-wlm and munge)"
    ),
    pytest.mark.skipif(postgres_bin() is None, reason="PostgreSQL is not installed (make toolchain installs it)"),
    pytest.mark.skipif(os.geteuid() != 0, reason="the test cluster's daemons run as root"),
]


def test_a_two_model_sweep_runs_as_slurm_jobs_and_logs_to_the_mlflow_server(tmp_path, demo_root):
    artifacts = tmp_path / "server-artifacts"
    artifacts.mkdir()
    with postgres_cluster() as database, mlflow_server(database, artifacts) as url, slurm_cluster() as env:
        command = [
            sys.executable,
            "train.py",
            "-m",
            "hydra/launcher=slurm",
            "model=sbcnn,strided_ds",
            f"dataset.root={demo_root}",
            "trainer.max_epochs=1",
            "data.windows_per_clip=2",
            f"paths.root_dir={tmp_path}",
            f"logger.tracking_uri={url}",
        ]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        tasks = sorted((tmp_path / "logs" / "multiruns").glob("*/.submitit/[0-9]*_[0-9]*"))
        assert len(tasks) == 2  # one sbatch array, a task per model
        for task in tasks:  # slurmctld ran each with the launcher's resources
            job = _when_done(task.name, env)
            assert "JobState=COMPLETED" in job and "NumCPUs=8" in job and "mem=32G" in job, job
            assert "Test clip accuracy" in next(task.glob("*_log.out")).read_text()

        client = MlflowClient(url)
        runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
        assert sorted(r.data.params["model/name"] for r in runs) == ["sbcnn", "strided_ds"]
        assert all(r.info.status == "FINISHED" and "test/clip_acc" in r.data.metrics for r in runs)


def _when_done(job_id: str, env: dict[str, str], timeout_s: float = 120) -> str:
    """`scontrol show job` once the job has left RUNNING/COMPLETING (submitit returns as soon
    as the result file is written, a moment before SLURM closes the job)."""
    deadline = time.monotonic() + timeout_s
    while True:
        job = subprocess.run(["scontrol", "show", "job", job_id], env=env, capture_output=True, text=True).stdout
        if not re.search(r"JobState=(RUNNING|COMPLETING|PENDING)", job) or time.monotonic() > deadline:
            return job
        time.sleep(0.5)


def test_a_hardware_aware_search_trains_its_feasible_trials_as_slurm_jobs(tmp_path, demo_root):
    """`hparams_search=mcu` with the SLURM launcher: the board check runs in the sweeper, the
    feasible trials of a batch go out as one sbatch array, their results come back."""
    with slurm_cluster() as env:
        command = [
            sys.executable,
            "train.py",
            "-m",
            "hparams_search=mcu",
            "hydra/launcher=slurm",
            "target=stm32l476",
            f"dataset.root={demo_root}",
            "trainer.max_epochs=1",
            "data.windows_per_clip=1",
            f"paths.root_dir={tmp_path}",
            "hydra.sweeper.n_trials=2",
            "hydra.sweeper.n_jobs=2",
            "hydra.sweeper.final.deploy=false",
        ]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        sweep = next((tmp_path / "logs" / "multiruns").iterdir())
        tasks = sorted(sweep.glob(".submitit/[0-9]*_[0-9]*"))
        assert len(tasks) == 2 and len({t.name.split("_")[0] for t in tasks}) == 1  # one array of two
        for task in tasks:
            assert "JobState=COMPLETED" in _when_done(task.name, env)
        rows = list(csv.DictReader((sweep / "trials.csv").open()))
        trained = [r for r in rows if r["status"] == "trained"]
        assert len(trained) == 2 and all(r["run_id"] and float(r["val_accuracy"]) >= 0 for r in trained)
