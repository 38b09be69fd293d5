"""Resuming continues the same MLflow run; runs left RUNNING by a killed process are closed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from mlflow.tracking import MlflowClient

from soundbench.tracking.mlflow import HOST_TAG, PID_TAG, RUN_ID_FILE, close_orphaned_runs
from soundbench.training.run import run
from tests.conftest import compose_config, the_only_run


@pytest.mark.slow
def test_resuming_from_a_checkpoint_continues_its_mlflow_run(tmp_path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    common = [
        f"dataset.root={tmp_path}/demo8",  # its own small demo: the shared one stays as it is
        "model=strided_ds",
        f"paths.root_dir={tmp_path}",
        f"logger.tracking_uri={uri}",
        "dataset.clips_per_class=8",
    ]
    run(compose_config(common + ["trainer.max_epochs=2"]), tmp_path / "first")
    client, first = the_only_run(uri)
    client.set_terminated(first.info.run_id, "FAILED")  # as an interrupted run leaves it
    last = tmp_path / "first" / "checkpoints" / "last.ckpt"

    run(compose_config(common + ["trainer.max_epochs=3", f"ckpt_path={last}"]), tmp_path / "second")
    _, resumed = the_only_run(uri)  # no second run: the history is one
    assert resumed.info.run_id == first.info.run_id == (tmp_path / "second" / RUN_ID_FILE).read_text().strip()
    assert resumed.info.status == "FINISHED" and resumed.data.tags["soundbench.resumed_from"] == str(last)
    steps = [m.step for m in client.get_metric_history(resumed.info.run_id, "val/clip_acc")]
    assert len(steps) >= 3 and steps == sorted(steps)  # one history that went on, not restarted at step 0
    assert not (tmp_path / "second" / "checkpoints").exists()  # checkpoints continue where they were
    assert any(p.name.startswith("best-epoch") for p in last.parent.iterdir())


def test_runs_of_killed_processes_are_marked_killed(tmp_path):
    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    experiment = client.create_experiment("x", artifact_location=str(tmp_path / "artifacts"))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    here = socket.gethostname()
    owners = {
        "killed": {HOST_TAG: here, PID_TAG: str(gone.pid)},
        "alive": {HOST_TAG: here, PID_TAG: str(os.getpid())},
        "elsewhere": {HOST_TAG: "another-host", PID_TAG: str(gone.pid)},
    }
    ids = {
        name: client.create_run(experiment, tags={"group": "cv1", **tags}).info.run_id for name, tags in owners.items()
    }
    assert close_orphaned_runs(client, experiment, "tags.`group` = 'cv1'") == [ids["killed"]]
    status = {name: client.get_run(run_id).info.status for name, run_id in ids.items()}
    assert status == {"killed": "KILLED", "alive": "RUNNING", "elsewhere": "RUNNING"}


@pytest.mark.slow
def test_a_run_killed_while_testing_is_not_finished_and_is_closed_as_killed(tmp_path, demo_root):
    """Lightning ends a run when fit returns; killed during testing, it was FINISHED with
    no test result, and CV resume counted the fold as done."""
    from tests.conftest import ROOT

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    done = subprocess.run(
        [
            sys.executable,
            "train.py",
            f"paths.root_dir={tmp_path}",
            f"dataset.root={demo_root}",
            "model=strided_ds",
            "trainer.max_epochs=1",
            "data.windows_per_clip=1",
            f"logger.tracking_uri={uri}",
            "+callbacks.kill._target_=tests.callbacks.KillAtTestStart",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == -9, done.stderr[-3000:]
    client, killed = the_only_run(uri)
    assert killed.info.status == "RUNNING" and "test/clip_acc" not in killed.data.metrics
    assert close_orphaned_runs(client, killed.info.experiment_id, "tags.model = 'strided_ds'") == [killed.info.run_id]
    assert client.get_run(killed.info.run_id).info.status == "KILLED"
