"""The one place that turns a configuration, or a checkpoint that carries one, into objects.

The rule lives here only: the dataset and the front end's geometry (sample rate, window,
window hop) make the data module; the front end's output shape and the class count make the
model. Training, deploy, predict's export, the DVC stages, the benchmarks and the tests all
build through :class:`Experiment`. Training checkpoints carry the resolved config
(``CONFIG_KEY``), so a checkpoint alone rebuilds what trained it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from torch import nn

from soundbench.config_check import ConfigError
from soundbench.config_trust import trusted_file_config
from soundbench.data.datamodule import AudioDataModule
from soundbench.features.frontends import FrontEnd
from soundbench.models.checkpoint import CheckpointError, load_checkpoint, model_weights
from soundbench.models.registry import check_front_end

#: the checkpoint key holding the training run's resolved config (plain containers only, so
#: ``weights_only`` loading reads it)
CONFIG_KEY = "soundbench_config"
#: the augmentation levels (conf/augment): offline, per window in the loader, per batch on
#: the training device, on features, on batches of features
AUGMENT_LEVELS = ("prerender", "waveform", "waveform_batch", "specaugment", "mixup")
NO_AUGMENT = dict.fromkeys(AUGMENT_LEVELS)


def check_pairing(model: str, front_end: str) -> None:
    """Refuse a model that cannot take the front end's output, as a config error."""
    try:
        check_front_end(model, front_end)
    except (KeyError, ValueError) as error:
        raise ConfigError(error.args[0]) from None


@dataclass
class Experiment:
    cfg: DictConfig
    frontend: FrontEnd
    datamodule: AudioDataModule
    augment: dict  # each of AUGMENT_LEVELS: the built augmentation, or None where off

    @classmethod
    def from_config(cls, cfg: DictConfig, augment: bool = True, frontend: FrontEnd | None = None, **data) -> Experiment:
        """``augment=False`` leaves training augmentation off (deploy, export, caching);
        ``frontend``: a given front end instead of ``cfg.features`` (an embedding backbone's
        own, which the caller checks against it); ``data`` overrides entries of ``cfg.data``
        (e.g. ``num_workers``)."""
        if frontend is None:
            frontend = instantiate(cfg.features, _convert_="all")
            check_pairing(cfg.model.name, frontend.name)  # before any data is read or model built
        corpus = instantiate(cfg.dataset, _convert_="all")
        augments = dict(NO_AUGMENT)
        if augment and cfg.get("augment"):
            if cfg.augment.get("specaugment") and len(frontend.output_shape()) != 3:  # before any data is read
                raise ConfigError(
                    f"augment.specaugment masks spectrograms; features={frontend.name} gives waveform "
                    "windows: add augment.specaugment=null"
                )
            augments.update(instantiate(cfg.augment, _convert_="all"))
        datamodule = AudioDataModule(
            corpus,
            frontend.sample_rate,
            frontend.window_samples,
            frontend.window_hop_samples,
            seed=cfg.get("seed", 0),
            waveform_augment=augments["waveform"],
            prerender=augments["prerender"],
            **{**cfg.get("data", {}), **data},
        )
        return cls(cfg, frontend, datamodule, augments)

    @classmethod
    def from_checkpoint(
        cls, path: str | Path, fallback_config: str | Path | None = None, run_id: str = ""
    ) -> TrainedModel:
        """The trained model of a checkpoint, rebuilt with the config it carries.
        ``fallback_config``: a resolved config file for checkpoints written before configs
        were stored in them (MLflow runs have one as ``config/resolved.yaml``)."""
        path = Path(path)
        saved = load_checkpoint(path)  # never unpickles code (weights_only)
        # the stored config is data: only the project's own constructors may be named in it
        if CONFIG_KEY in saved:
            cfg = trusted_file_config(saved[CONFIG_KEY], f"checkpoint {path} ({CONFIG_KEY})")
        elif fallback_config is not None:
            cfg = trusted_file_config(OmegaConf.load(fallback_config), f"config file {fallback_config}")
        else:
            raise CheckpointError(
                f"{path} carries no training config (written before soundbench stored it in "
                "checkpoints); deploy or export it by its MLflow run id instead"
            )
        experiment = cls.from_config(cfg, augment=False)
        class_names = tuple(saved.get("class_names", ()))
        model = experiment.build_model(len(class_names) or None)
        model.load_state_dict(model_weights(saved))
        return TrainedModel(experiment, model.eval(), path, run_id, class_names)

    @property
    def corpus(self):
        return self.datamodule.corpus

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.frontend.output_shape()

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.datamodule.class_names

    @property
    def model_name(self) -> str:
        return self.cfg.model.name

    def build_model(self, n_classes: int | None = None) -> nn.Module:
        """The configured model for this front end's output; ``n_classes`` defaults to the
        dataset's class count (which reads the dataset's index)."""
        n_classes = n_classes or len(self.class_names)
        return instantiate(self.cfg.model, _convert_="all")(input_shape=self.input_shape, n_classes=n_classes)

    def resolved_config(self) -> dict:
        """What checkpoints carry: the config as plain containers, interpolations resolved."""
        return OmegaConf.to_container(self.cfg, resolve=True)


@dataclass
class TrainedModel:
    """A checkpoint's model, in eval mode with its weights, and the experiment it came from."""

    experiment: Experiment
    model: nn.Module
    checkpoint: Path
    run_id: str = ""  # MLflow run the results are logged to ("" without one)
    stored_class_names: tuple[str, ...] = ()  # from the checkpoint (older ones lack them)

    @property
    def class_names(self) -> tuple[str, ...]:
        """From the checkpoint when it has them, else from the dataset's index."""
        return self.stored_class_names or self.experiment.class_names

    @property
    def frontend(self) -> FrontEnd:
        return self.experiment.frontend.eval()

    @property
    def datamodule(self) -> AudioDataModule:
        return self.experiment.datamodule

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.experiment.input_shape

    @property
    def name(self) -> str:
        return self.experiment.model_name

    @property
    def features_config(self) -> DictConfig:
        """The front end's config: what a bundle needs to recompute the features."""
        return self.experiment.cfg.features

    @property
    def fold(self) -> int | None:
        return self.experiment.cfg.dataset.get("fold")
