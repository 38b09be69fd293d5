"""Start a run from another run's network: in-domain pretraining, then fine-tuning
(``python train.py init=<MLflow run id | training .ckpt>``).

Every tensor of the pretrained network whose name and shape match this run's model is
loaded; the classifier head (the last linear layer) always starts new, since its classes
are this run's. The two runs must share a front end: weights learnt on 40 mel bands at
22.05 kHz mean nothing to 60 bands at 16 kHz, so any difference is refused, naming the
keys. ``finetune.freeze_epochs`` trains only the head for the first epochs (the new head
settles before its gradients reach the pretrained layers) and ``finetune.backbone_lr_scale``
gives the pretrained layers a smaller learning rate. The pretrained network is read as any
deployed model is (``weights_only``, its stored config checked), and its run id goes on
the new run as a tag and a link (``soundbench.init_run_id``).
"""

from __future__ import annotations

from dataclasses import dataclass

import lightning as L
from omegaconf import DictConfig, OmegaConf
from torch import nn

from soundbench.artifacts.trained import load_trained
from soundbench.config_check import ConfigError

#: the tags a fine-tuned run carries (its lineage)
INIT_RUN_TAG, INIT_SOURCE_TAG = "soundbench.init_run_id", "soundbench.init_source"


@dataclass(frozen=True)
class InitResult:
    source: str
    run_id: str  # the pretrained run ("" when given as a checkpoint without one)
    loaded: tuple[str, ...]  # tensors taken from the pretrained network
    new: tuple[str, ...]  # tensors left as initialised: the head, and any whose shape differs

    def tags(self) -> dict[str, str]:
        tags = {INIT_SOURCE_TAG: self.source}
        if self.run_id:
            tags[INIT_RUN_TAG] = self.run_id
        return tags

    def describe(self) -> str:
        return (
            f"init={self.source}: {len(self.loaded)} tensors loaded, {len(self.new)} new "
            f"({', '.join(self.new[:4])}{' …' if len(self.new) > 4 else ''})"
        )


def classifier_head(model: nn.Module) -> nn.Linear:
    """The last linear layer: every model of the zoo ends in one, mapping to the classes."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ConfigError(f"{type(model).__name__} has no linear classifier layer to replace")
    return linears[-1]


def head_parameter_names(model: nn.Module) -> set[str]:
    head = classifier_head(model)
    for prefix, module in model.named_modules():
        if module is head:
            return {f"{prefix}.{name}" if prefix else name for name, _ in head.named_parameters()}
    return set()


def initialise(model: nn.Module, features: DictConfig, source: str, tracking_uri: str | None = None) -> InitResult:
    """Load into ``model`` what matches of the pretrained network ``source``, whose front end
    must equal this run's ``features``."""
    trained = load_trained(str(source), tracking_uri)
    check_same_front_end(trained.features_config, features, source)
    head = head_parameter_names(model)
    wanted, pretrained = model.state_dict(), trained.model.state_dict()
    loaded = {
        k: v
        for k, v in pretrained.items()
        if k in wanted and k not in head and tuple(v.shape) == tuple(wanted[k].shape)
    }
    if not loaded:
        raise ConfigError(
            f"init={source} ({trained.name}) shares no layer of matching shape with this run's model "
            f"({type(model).__name__}): pretrain the same model (model={trained.name}) or drop init="
        )
    model.load_state_dict(loaded, strict=False)
    new = tuple(k for k in wanted if k not in loaded)
    return InitResult(str(source), trained.run_id, tuple(loaded), new)


def check_same_front_end(pretrained: DictConfig, features: DictConfig, source: str) -> None:
    theirs = OmegaConf.to_container(pretrained, resolve=True)
    ours = OmegaConf.to_container(features, resolve=True)
    differ = sorted(k for k in set(theirs) | set(ours) if theirs.get(k) != ours.get(k))
    if differ:
        pairs = "; ".join(f"features.{k}: {theirs.get(k)!r} there, {ours.get(k)!r} here" for k in differ)
        fix = " ".join(f"features.{k}={_override(theirs.get(k))}" for k in differ if k != "_target_")
        raise ConfigError(
            f"init={source} was trained with another front end ({pairs}); its weights only mean "
            f"something on the same features: add {fix or 'its features= choice'}"
        )


def _override(value) -> str:
    return "null" if value is None else str(value).replace(" ", "")


class FreezeBackbone(L.Callback):
    """Train only the classifier head for the first ``epochs`` epochs of a fine-tune."""

    def __init__(self, epochs: int):
        self.epochs = int(epochs)

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        frozen = trainer.current_epoch < self.epochs
        head = head_parameter_names(pl_module.model)
        for name, parameter in pl_module.model.named_parameters():
            parameter.requires_grad_(name in head or not frozen)
