"""The trained model to deploy or export, found from an MLflow run id or a checkpoint path
(:mod:`soundbench.artifacts.trained_files`) and rebuilt (by
:meth:`soundbench.experiment.Experiment.from_checkpoint`) with the exact configuration it was
trained with, which the checkpoint carries."""

from __future__ import annotations

from pathlib import Path

from soundbench.artifacts.trained_files import RUN_CONFIG, SourceError, TrainedFiles, fetch_trained
from soundbench.experiment import Experiment, TrainedModel
from soundbench.models.checkpoint import CheckpointError

__all__ = ["RUN_CONFIG", "SourceError", "TrainedFiles", "TrainedModel", "fetch_trained", "load_trained"]


def load_trained(source: str, tracking_uri: str | None = None) -> TrainedModel:
    """``source``: a training ``.ckpt`` file, or an MLflow run id."""
    return build_trained(fetch_trained(source, tracking_uri))


def build_trained(files: TrainedFiles) -> TrainedModel:
    return _from_checkpoint(files.checkpoint, files.config, files.run_id)


def _from_checkpoint(path: Path, fallback_config: Path | None = None, run_id: str = "") -> TrainedModel:
    try:
        return Experiment.from_checkpoint(path, fallback_config, run_id)
    except CheckpointError as error:
        raise SourceError(str(error)) from None
