"""The trained model to deploy, found from an MLflow run id or a checkpoint path, rebuilt
with the exact configuration it was trained with (front end, model, dataset and fold)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from hydra.utils import instantiate
from mlflow.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID as PARENT_TAG
from omegaconf import DictConfig, OmegaConf
from torch import nn

from soundbench.data.datamodule import AudioDataModule
from soundbench.features.frontends import FrontEnd
from soundbench.models.checkpoint import CheckpointError, load_checkpoint, model_weights


class SourceError(ValueError):
    """The run or checkpoint cannot be deployed; the message says why and what to do."""


@dataclass
class TrainedModel:
    cfg: DictConfig            # the training run's resolved config
    frontend: FrontEnd
    model: nn.Module           # eval mode, weights loaded
    datamodule: AudioDataModule
    checkpoint: Path
    run_id: str = ""           # MLflow run the results are logged to ("" without one)
    stored_class_names: tuple[str, ...] = ()  # from the checkpoint (older ones lack them)

    @property
    def class_names(self) -> tuple[str, ...]:
        """From the checkpoint when it has them, else from the dataset's index."""
        return self.stored_class_names or self.datamodule.class_names

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.frontend.output_shape()

    @property
    def name(self) -> str:
        return self.cfg.model.name


def load_trained(source: str, tracking_uri: str | None = None) -> TrainedModel:
    """``source``: a ``.ckpt`` file from a training run's output folder, or an MLflow run id."""
    path = Path(source)
    if path.suffix == ".ckpt" or path.exists():
        return _from_checkpoint(path)
    return _from_mlflow(source, tracking_uri)


def _from_checkpoint(path: Path) -> TrainedModel:
    if not path.is_file():
        raise SourceError(f"checkpoint {path} does not exist")
    config = path.parent.parent / ".hydra" / "config.yaml"  # <run dir>/checkpoints/<name>.ckpt
    if not config.is_file():
        raise SourceError(f"no training config next to {path} (expected {config}); "
                          "deploy a checkpoint inside its training output folder, or pass the MLflow run id")
    return _build(OmegaConf.load(config), path, run_id="")


def _from_mlflow(run_id: str, tracking_uri: str | None) -> TrainedModel:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient(tracking_uri)
    try:
        client.get_run(run_id)
    except MlflowException as error:
        raise SourceError(f"{run_id!r} is neither a checkpoint file nor a run in {tracking_uri}: {error.message}") from None
    checkpoints = [a.path for a in client.list_artifacts(run_id, "checkpoints") if a.path.endswith(".ckpt")]
    if not checkpoints:
        experiment = client.get_run(run_id).info.experiment_id
        children = client.search_runs([experiment], f"tags.`{PARENT_TAG}` = '{run_id}'")
        hint = ("it is a cross-validation parent; deploy one of its fold runs: "
                + ", ".join(c.info.run_id for c in children)) if children else \
            "it did not finish training or ran without the checkpoint callback"
        raise SourceError(f"MLflow run {run_id} has no checkpoint artifact: {hint}")
    download = Path(tempfile.mkdtemp(prefix="soundbench-deploy-"))
    checkpoint = Path(client.download_artifacts(run_id, checkpoints[0], str(download)))
    config = Path(client.download_artifacts(run_id, "config/resolved.yaml", str(download)))
    return _build(OmegaConf.load(config), checkpoint, run_id=run_id)


def _build(cfg: DictConfig, checkpoint: Path, run_id: str) -> TrainedModel:
    frontend = instantiate(cfg.features, _convert_="all")
    corpus = instantiate(cfg.dataset, _convert_="all")
    datamodule = AudioDataModule(corpus, frontend.sample_rate, frontend.window_samples, frontend.window_hop_samples,
                                 seed=cfg.seed, **cfg.data)
    try:
        saved = load_checkpoint(checkpoint)  # never unpickles code (weights_only)
    except CheckpointError as error:
        raise SourceError(str(error)) from None
    class_names = tuple(saved.get("class_names", ()))
    n_classes = len(class_names or datamodule.class_names)
    model = instantiate(cfg.model, _convert_="all")(input_shape=frontend.output_shape(), n_classes=n_classes)
    model.load_state_dict(model_weights(saved))
    return TrainedModel(cfg, frontend.eval(), model.eval(), datamodule, checkpoint, run_id, class_names)
