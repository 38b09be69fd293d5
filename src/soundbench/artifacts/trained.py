"""The trained model to deploy or export, found from an MLflow run id or a checkpoint path
and rebuilt (by :meth:`soundbench.experiment.Experiment.from_checkpoint`) with the exact
configuration it was trained with, which the checkpoint carries."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from mlflow.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID as PARENT_TAG

from soundbench.experiment import Experiment, TrainedModel
from soundbench.models.checkpoint import CheckpointError

__all__ = ["SourceError", "TrainedModel", "load_trained"]


#: the resolved config every training run logs
RUN_CONFIG = "config/resolved.yaml"


class SourceError(ValueError):
    """The run or checkpoint cannot be loaded (to deploy, predict, distil from, embed with);
    the message says why and what to do."""


def load_trained(source: str, tracking_uri: str | None = None) -> TrainedModel:
    """``source``: a training ``.ckpt`` file, or an MLflow run id."""
    path = Path(source)
    if path.suffix == ".ckpt" or path.exists():
        return _from_checkpoint(path)
    return _from_mlflow(source, tracking_uri)


def _from_checkpoint(path: Path, fallback_config: Path | None = None, run_id: str = "") -> TrainedModel:
    try:
        return Experiment.from_checkpoint(path, fallback_config, run_id)
    except CheckpointError as error:
        raise SourceError(str(error)) from None


def _from_mlflow(run_id: str, tracking_uri: str | None) -> TrainedModel:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

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
    return _from_checkpoint(checkpoint, config[0] if config else None, run_id)


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
