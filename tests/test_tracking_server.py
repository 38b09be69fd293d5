"""A team's MLflow server, for real, as the README sets it up: PostgreSQL as the backend
store, proxied artifacts, MLflow's basic-auth app with credentials from the environment, and
training (cross-validation), deploy and predict all talking to it over HTTP. A crafted
checkpoint uploaded to the server is refused by deploy and predict."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from mlflow import MlflowClient

from tests.conftest import ROOT
from tests.servers import mlflow_server, postgres_bin, postgres_cluster

needs_postgres = pytest.mark.skipif(
    postgres_bin() is None, reason="PostgreSQL is not installed (make toolchain installs it)"
)


ADMIN = ("sb-admin", "a-long-test-secret-7f3a")


@pytest.fixture
def server(tmp_path, monkeypatch):
    artifacts = tmp_path / "server-artifacts"
    artifacts.mkdir()
    with postgres_cluster() as database, mlflow_server(database, artifacts, admin=ADMIN) as url:
        # every client of the run (this process and the CLIs it starts) signs in from the environment
        monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", ADMIN[0])
        monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", ADMIN[1])
        yield url, artifacts


def _run(*command: str, ok: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, *command], cwd=ROOT, capture_output=True, text=True, timeout=900, env=dict(os.environ)
    )
    if ok:
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done


def _anonymous_status(url: str, path: str, body: bytes | None = None) -> int:
    request = urllib.request.Request(url + path, data=body, headers={"Content-Type": "application/json"})
    try:
        return urllib.request.urlopen(request, timeout=10).status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.slow
@needs_postgres
def test_cv_deploy_and_predict_through_an_mlflow_server_on_postgresql(server, tmp_path, demo_root):
    url, server_artifacts = server
    _run(
        "train.py",
        "cv=all",
        "cv.folds=[1,2]",
        "model=strided_ds",
        f"dataset.root={demo_root}",
        "trainer.max_epochs=1",
        "data.windows_per_clip=2",
        f"paths.root_dir={tmp_path}",
        f"logger.tracking_uri={url}",
    )

    client = MlflowClient(url)
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert len(parents) == 1 and len(children) == 2
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parents[0].info.run_id}
    assert "cv/test_clip_acc_mean" in parents[0].data.metrics
    child = children[0].info.run_id
    assert "test/clip_acc" in children[0].data.metrics
    logged = {a.path for folder in ("test", "checkpoints") for a in client.list_artifacts(child, folder)}
    assert "test/confusion_matrix.png" in logged and any(p.endswith(".ckpt") for p in logged)
    # artifacts went to the server's store, not to a folder on the training machine
    assert list(server_artifacts.rglob("confusion_matrix.png")) and not (tmp_path / "mlartifacts").exists()

    # deploy and predict fetch the run (checkpoint and config) from the server
    _run(
        "-m",
        "soundbench.deploy",
        f"run={child}",
        f"tracking_uri={url}",
        "emulator.enabled=false",
        f"out_dir={tmp_path / 'deploy'}",
    )
    assert (tmp_path / "deploy" / "report.md").is_file()
    assert any(k.startswith("deploy/stm32l476/") for k in client.get_run(child).data.metrics)
    clip = sorted((demo_root / "audio").glob("*.wav"))[0]
    _run(
        "predict.py",
        f"bundle={child}",
        f"audio={clip}",
        f"tracking_uri={url}",
        f"out_dir={tmp_path / 'predict'}",
        "progress=false",
    )
    assert list((tmp_path / "predict").rglob("*.csv"))

    # without credentials the server answers nothing and accepts nothing
    assert _anonymous_status(url, "/api/2.0/mlflow/experiments/search?max_results=5") == 401
    assert _anonymous_status(url, "/api/2.0/mlflow/runs/create", b'{"experiment_id": "0"}') == 401
    assert _anonymous_status(url, "/health") == 200

    # a checkpoint whose stored config names another callable, uploaded to a run by anyone
    # with write access, is refused by deploy and predict before anything is called
    import torch

    crafted_run = client.create_run(children[0].info.experiment_id).info.run_id
    saved = torch.load(next(server_artifacts.rglob("*.ckpt")), map_location="cpu", weights_only=True)
    marker = tmp_path / "pwned"
    saved["soundbench_config"]["features"] = {"_target_": "os.makedirs", "name": str(marker)}
    (tmp_path / "upload" / "checkpoints").mkdir(parents=True)
    torch.save(saved, tmp_path / "upload" / "checkpoints" / "best.ckpt")
    client.log_artifacts(crafted_run, str(tmp_path / "upload"))
    for command in (
        [
            "-m",
            "soundbench.deploy",
            f"run={crafted_run}",
            f"tracking_uri={url}",
            "emulator.enabled=false",
            f"out_dir={tmp_path / 'deploy-crafted'}",
        ],
        [
            "predict.py",
            f"bundle={crafted_run}",
            f"audio={clip}",
            f"tracking_uri={url}",
            f"out_dir={tmp_path / 'predict-crafted'}",
        ],
    ):
        done = _run(*command, ok=False)
        assert done.returncode != 0 and "features._target_='os.makedirs'" in done.stderr, done.stderr[-3000:]
        assert "never chooses what gets called" in done.stderr
    assert not marker.exists()


@pytest.mark.slow  # MLflow's database migrations: seconds
def test_a_parallel_job_that_creates_the_experiment_first_is_not_an_error(tmp_path, monkeypatch):
    from soundbench.tracking.mlflow import ensure_experiment

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    create = MlflowClient.create_experiment

    def another_job_wins_the_race(self, name, **kwargs):
        create(MlflowClient(uri), name)
        return create(self, name, **kwargs)  # "already exists"

    monkeypatch.setattr(MlflowClient, "create_experiment", another_job_wins_the_race)
    assert ensure_experiment(uri, "demo", None) == MlflowClient(uri).get_experiment_by_name("demo").experiment_id


def test_a_dataset_input_inserted_by_a_parallel_job_first_is_linked_not_fatal():
    """Two jobs of a sweep log the same new dataset at once; the store's unique key refuses
    the slower insert (PostgreSQL: UniqueViolation on dataset_pk). Logging retries once."""
    from mlflow.exceptions import MlflowException

    from soundbench.tracking.mlflow import DatasetRecord, log_dataset_input

    class RacingClient:
        def __init__(self, error: str):
            self.error, self.calls = error, 0

        def log_inputs(self, run_id, datasets):
            self.calls += 1
            if self.calls == 1:
                raise MlflowException(self.error)

    record = DatasetRecord("demo", "0123abcd", "/data/demo", {"clips": 320}, "training")
    raced = RacingClient(
        '(psycopg2.errors.UniqueViolation) duplicate key value violates unique constraint "dataset_pk"'
    )
    log_dataset_input(raced, "run", record)
    assert raced.calls == 2
    with pytest.raises(MlflowException, match="permission"):
        log_dataset_input(RacingClient("permission denied"), "run", record)
