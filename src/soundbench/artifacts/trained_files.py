"""Where a trained model's files are: a training checkpoint on this machine, or an MLflow
run's checkpoint and logged config, downloaded. Nothing is read or built here (that is
:mod:`soundbench.artifacts.trained`), so what only needs the files (the bundle cache's key)
starts without loading Lightning."""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RUN_CONFIG", "SourceError", "TrainedFiles", "fetch_trained"]


#: the resolved config every training run logs
RUN_CONFIG = "config/resolved.yaml"


class SourceError(ValueError):
    """The run or checkpoint cannot be loaded (to deploy, predict, distil from, embed with);
    the message says why and what to do."""


@dataclass(frozen=True)
class TrainedFiles:
    """Where a trained model's files are on this machine (a run's are downloaded)."""

    checkpoint: Path
    config: Path | None = None  # the run's logged config, for checkpoints older than configs in them
    run_id: str = ""


def fetch_trained(source: str, tracking_uri: str | None = None) -> TrainedFiles:
    """The files of ``source`` (a ``.ckpt`` file, or an MLflow run id: downloaded), unread."""
    path = Path(source)
    if path.suffix == ".ckpt" or path.exists():
        return TrainedFiles(path)  # read (and a missing file or a folder explained) when built
    return _fetch_from_mlflow(source, tracking_uri)


def _fetch_from_mlflow(run_id: str, tracking_uri: str | None) -> TrainedFiles:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException
    from mlflow.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID as PARENT_TAG

    client = MlflowClient(tracking_uri)
    try:
        client.get_run(run_id)
    except MlflowException as error:
        raise SourceError(
            f"{run_id!r} is neither a checkpoint file nor a run in {tracking_uri}: {error.message}"
        ) from None
    checkpoints = [a.path for a in client.list_artifacts(run_id, "checkpoints") if a.path.endswith(".ckpt")]
    if not checkpoints:
        experiment = client.get_run(run_id).info.experiment_id
        children = client.search_runs([experiment], f"tags.`{PARENT_TAG}` = '{run_id}'")
        hint = (
            (
                "it is a cross-validation parent, which holds no model of its own; use one of its fold runs: "
                + ", ".join(c.info.run_id for c in children)
            )
            if children
            else "it did not finish training or ran without the checkpoint callback"
        )
        raise SourceError(f"MLflow run {run_id} has no checkpoint artifact: {hint}")
    download = Path(tempfile.mkdtemp(prefix="soundbench-run-"))
    # the run's logged config serves checkpoints written before configs went into them
    wanted = [checkpoints[0]] + [RUN_CONFIG] * (RUN_CONFIG in {a.path for a in client.list_artifacts(run_id, "config")})
    print(f"Downloading {' and '.join(wanted)} of MLflow run {run_id}", flush=True)
    with _no_progress_bars():  # MLflow draws a bar per file: two bars for one download
        checkpoint, *config = (Path(client.download_artifacts(run_id, path, str(download))) for path in wanted)
    return TrainedFiles(checkpoint, config[0] if config else None, run_id)


@contextlib.contextmanager
def _no_progress_bars():
    from mlflow.environment_variables import MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR as SETTING

    before = os.environ.get(SETTING.name)
    os.environ[SETTING.name] = "false"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(SETTING.name, None)
        else:
            os.environ[SETTING.name] = before
