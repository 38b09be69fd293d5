"""The LightningModule: front end → model → loss, and clip-level validation/test."""

from __future__ import annotations

from typing import Callable

import lightning as L
import torch
import torch.nn.functional as F
from torch import nn

from soundbench.augment.batch import Mixup
from soundbench.evaluation import ClipResults, evaluate_windows
from soundbench.experiment import CONFIG_KEY
from soundbench.training.distill import Teacher


class AudioClassifier(L.LightningModule):
    def __init__(
        self,
        frontend: nn.Module,
        model: nn.Module,
        optimizer: Callable[..., torch.optim.Optimizer],
        class_names: tuple[str, ...],
        voting: str = "mean",
        specaugment: nn.Module | None = None,
        mixup: Mixup | None = None,
        config: dict | None = None,
        waveform_batch: nn.Module | None = None,
        scheduler: Callable | None = None,
        teacher: Teacher | None = None,
        backbone_lr_scale: float = 1.0,
    ):
        super().__init__()
        self.frontend, self.model = frontend, model
        self.waveform_batch, self.specaugment, self.mixup = waveform_batch, specaugment, mixup
        self.optimizer_factory, self.scheduler_factory = optimizer, scheduler
        self.teacher = teacher  # distillation (soundbench.training.distill); not a submodule
        self.class_names, self.voting = tuple(class_names), voting
        self._outputs: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
        self.test_results: ClipResults | None = None
        self.config = config  # the resolved training config, which checkpoints carry
        self.backbone_lr_scale = backbone_lr_scale  # fine-tuning: the pretrained layers learn slower

    @classmethod
    def from_experiment(
        cls, experiment, model: nn.Module, class_names: tuple[str, ...], teacher: Teacher | None = None
    ) -> AudioClassifier:
        """The module an :class:`soundbench.experiment.Experiment` trains: its front end and
        augmentation, the config's optimizer, scheduler, voting and fine-tuning learning
        rates, and the resolved config that checkpoints carry."""
        from hydra.utils import instantiate

        cfg, augment = experiment.cfg, experiment.augment
        finetune = cfg.get("finetune") or {}
        return cls(
            experiment.frontend,
            model,
            instantiate(cfg.optimizer),
            class_names,
            cfg.eval.voting,
            specaugment=augment["specaugment"],
            mixup=augment["mixup"],
            waveform_batch=augment["waveform_batch"],
            config=experiment.resolved_config(),
            scheduler=instantiate(cfg.scheduler) if cfg.get("scheduler") else None,
            teacher=teacher,
            backbone_lr_scale=float(finetune.get("backbone_lr_scale", 1.0)) if cfg.get("init") else 1.0,
        )

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        # so that predict and deploy can name the classes without the training data at hand
        checkpoint["class_names"] = list(self.class_names)
        if self.config is not None:  # so a checkpoint alone rebuilds what trained it
            checkpoint[CONFIG_KEY] = self.config

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        """Waveform windows ``(batch, samples)`` → class logits."""
        return self.model(self.frontend(windows))

    def training_step(self, batch, batch_idx):
        windows, labels = batch
        if self.waveform_batch is not None:
            windows = self.waveform_batch(windows)
        # the teacher sees the same (augmented) sound, through its own front end
        teacher_probs = self.teacher.soft_targets(windows) if self.teacher is not None else None
        features = self.frontend(windows)
        targets = labels
        if self.specaugment is not None:
            features = self.specaugment(features)
        if self.mixup is not None:
            mix = self.mixup.draw(features.shape[0], features.device)
            features, targets = mix(features), mix(F.one_hot(labels, len(self.class_names)).float())
            teacher_probs = mix(teacher_probs) if teacher_probs is not None else None
        logits = self.model(features)
        loss = F.cross_entropy(logits, targets)  # accepts class indices or mixup's soft targets
        if teacher_probs is not None:
            loss = self.teacher.loss(logits, teacher_probs, loss)
        self.log("train/loss", loss, on_step=False, on_epoch=True, prog_bar=True, sync_dist=True)
        self.log(
            "train/window_acc",
            (logits.argmax(1) == labels).float().mean(),
            on_step=False,
            on_epoch=True,
            sync_dist=True,
        )
        return loss

    def on_fit_start(self) -> None:
        if self.teacher is not None:
            self.teacher.to(self.device)

    def on_train_epoch_start(self) -> None:
        datamodule = getattr(self.trainer, "datamodule", None)
        if datamodule is not None and hasattr(datamodule, "set_epoch"):
            datamodule.set_epoch(self.current_epoch)

    # validation and test share one path: collect window logits, vote per clip at epoch end
    def validation_step(self, batch, batch_idx):
        self._collect(batch)

    def test_step(self, batch, batch_idx):
        self._collect(batch)

    def on_validation_epoch_end(self) -> None:
        self._log_clip_metrics("val")

    def on_test_epoch_end(self) -> None:
        self.test_results = self._log_clip_metrics("test")

    def _collect(self, batch) -> None:
        windows, labels, clip_ids = batch
        self._outputs.append((self(windows).detach(), labels, clip_ids))

    def _log_clip_metrics(self, stage: str) -> ClipResults | None:
        if not self._outputs:
            return None
        logits, labels, clip_ids = (torch.cat(parts) for parts in zip(*self._outputs))
        self._outputs.clear()
        if self.trainer.world_size > 1:
            # distributed: each rank saw a shard of the windows; every rank votes on all of them
            # (DistributedSampler repeats at most world_size - 1 windows to even the shards)
            logits, labels, clip_ids = (self.all_gather(t).flatten(0, 1) for t in (logits, labels, clip_ids))
        results = evaluate_windows(logits, labels, clip_ids, self.class_names, self.voting)
        # sync_dist: the ranks hold the same numbers (or one rank runs alone); it only says so
        self.log(f"{stage}/loss", F.cross_entropy(logits, labels), prog_bar=False, sync_dist=True)
        self.log(f"{stage}/clip_acc", results.accuracy, prog_bar=True, sync_dist=True)
        self.log(f"{stage}/window_acc", results.window_accuracy, sync_dist=True)
        return results

    def _split_head(self, groups: list[dict]) -> list[dict]:
        """Each parameter group in two: the classifier head, and the backbone (marked)."""
        from soundbench.training.init import classifier_head

        head = {id(p) for p in classifier_head(self.model).parameters()}
        split = []
        for group in groups:
            params = list(group["params"])
            split.append({**group, "params": [p for p in params if id(p) in head]})
            split.append({**group, "params": [p for p in params if id(p) not in head], "backbone": True})
        return [g for g in split if g["params"]]

    def configure_optimizers(self):
        # L2 applies only where a model asks for it (SB-CNN: its dense layers), as in the paper.
        l2_params = list(getattr(self.model, "l2_parameters", lambda: [])())
        l2_ids = {id(p) for p in l2_params}
        rest = [p for p in self.parameters() if id(p) not in l2_ids]
        groups = [{"params": rest, "weight_decay": 0.0}]
        if l2_params:
            groups.append({"params": l2_params, "weight_decay": getattr(self.model, "l2", 0.0)})
        if self.backbone_lr_scale != 1.0:
            groups = self._split_head(groups)
        optimizer = self.optimizer_factory(groups)
        for group in optimizer.param_groups:
            if group.get("backbone"):
                group["lr"] *= self.backbone_lr_scale  # before a scheduler records its initial lr
        if self.scheduler_factory is None:
            return optimizer
        scheduler = self.scheduler_factory(optimizer, total_steps=int(self.trainer.estimated_stepping_batches))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
