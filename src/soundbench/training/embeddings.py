"""A frozen network as an embedding extractor with a scikit-learn classifier on top: the
baseline the field recommends trying first on a new, small dataset
(``python train.py model=embedding model.backbone=<run id> model.classifier=logreg``).

The backbone is a soundbench run (MLflow run id or training checkpoint: its own front end
comes with it) or a registered architecture with weights given by path + sha256 (e.g.
``model.backbone=mobilenet model.backbone_args.weights=/x.pth
model.backbone_args.weights_sha256=<hex>``, on this run's ``features``). A window's
embedding is the input of the network's last linear layer. The classifier trains on every
window of the training clips, its one hyperparameter is chosen on validation clip accuracy
(never on the test fold), and the test fold is scored with the same voting, metrics and
MLflow logging as any training run, so a CV over it is ``cv=all`` as usual.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn
from torch.utils.data import DataLoader, Dataset

from soundbench.artifacts.trained import load_trained
from soundbench.config_check import ConfigError, check_config
from soundbench.data.datamodule import AllWindows
from soundbench.evaluation import ClipResults, evaluate_windows
from soundbench.experiment import Experiment, check_pairing
from soundbench.features.frontends import FrontEnd
from soundbench.models import create_model, list_models
from soundbench.tracking.mlflow import finish_run, log_test_results
from soundbench.tracking.summary import RunSummary
from soundbench.tracking.training_run import dataset_record, run_tags, start_tracking
from soundbench.training.init import classifier_head

CLASSIFIERS = ("logreg", "forest")


@dataclass
class Backbone:
    frontend: FrontEnd
    network: nn.Module
    source: str

    @classmethod
    def load(cls, cfg: DictConfig, tracking_uri: str | None) -> Backbone:
        source = str(cfg.model.get("backbone") or "")
        if not source:
            raise ConfigError(
                "model=embedding needs model.backbone=<MLflow run id | training .ckpt | "
                f"architecture ({', '.join(list_models())}) with model.backbone_args.weights>"
            )
        if source in list_models():
            args = dict(cfg.model.get("backbone_args") or {})
            if not args.get("weights") and not args.get("pretrained"):
                # a randomly initialised network's embeddings still separate easy data (0.94 on the demo):
                # a number that looks like a result but measures nothing the user meant
                raise ConfigError(
                    f"model.backbone={source} names an architecture with no weights: its embeddings would "
                    "come from a randomly initialised network. Give +model.backbone_args.weights=<state "
                    "dict .pth> (+model.backbone_args.weights_sha256=<hex>), or a trained soundbench run "
                    "(model.backbone=<MLflow run id | training .ckpt>)"
                )
            frontend = instantiate(cfg.features, _convert_="all")
            check_pairing(source, frontend.name)
            network = create_model(source, frontend.output_shape(), n_classes=2, **args)
            return cls(frontend, network.eval(), source)
        trained = load_trained(source, tracking_uri)
        return cls(trained.frontend, trained.model.eval(), source)

    @torch.no_grad()
    def embed(self, dataset: Dataset, batch_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(embeddings, labels, clip ids) of every window of ``dataset``."""
        head = _last_linear(self.network, self.source)
        captured = []
        hook = head.register_forward_hook(lambda module, inputs, output: captured.append(inputs[0].flatten(1)))
        labels, clip_ids = [], []
        try:
            for windows, label, clip in DataLoader(dataset, batch_size=batch_size):
                self.network(self.frontend(windows))
                labels.append(label), clip_ids.append(clip)
        finally:
            hook.remove()
        return torch.cat(captured).numpy(), torch.cat(labels).numpy(), torch.cat(clip_ids).numpy()


@dataclass
class FittedClassifier:
    kind: str
    setting: str  # the hyperparameter value chosen on validation, as text
    validation_accuracy: float
    pipeline: object  # scikit-learn: scaler + classifier

    def scores(self, embeddings: np.ndarray) -> torch.Tensor:
        """Per-window log-probabilities: what voting averages (as logits would be)."""
        return torch.from_numpy(np.log(np.clip(self.pipeline.predict_proba(embeddings), 1e-12, None))).float()


def fit_classifier(cfg: DictConfig, train, validation, class_names: tuple[str, ...], voting: str) -> FittedClassifier:
    """Every candidate setting trained on the training windows; the best on validation clip
    accuracy wins (ties: the first, i.e. the most regularised)."""
    kind = cfg.model.classifier
    if kind not in CLASSIFIERS:
        raise ConfigError(f"model.classifier={kind!r}: use one of {', '.join(CLASSIFIERS)}")
    best = None
    for setting, pipeline in _candidates(cfg.model, kind, int(cfg.get("seed", 0))):
        pipeline.fit(train[0], train[1])
        fitted = FittedClassifier(kind, setting, 0.0, pipeline)
        accuracy = _evaluate(fitted, validation, class_names, voting).accuracy
        if best is None or accuracy > best.validation_accuracy:
            best = FittedClassifier(kind, setting, accuracy, pipeline)
    return best


def _candidates(model_cfg: DictConfig, kind: str, seed: int):
    if kind == "logreg":
        for c in model_cfg.logreg_C:
            yield f"C={c}", make_pipeline(StandardScaler(), LogisticRegression(C=float(c), max_iter=2000))
    else:
        for leaf in model_cfg.forest_min_samples_leaf:
            yield (
                f"min_samples_leaf={leaf}",
                make_pipeline(
                    StandardScaler(),
                    RandomForestClassifier(
                        n_estimators=int(model_cfg.forest_trees),
                        min_samples_leaf=int(leaf),
                        random_state=seed,
                        n_jobs=-1,
                    ),
                ),
            )


def _evaluate(fitted: FittedClassifier, part, class_names, voting: str) -> ClipResults:
    embeddings, labels, clip_ids = part
    scores = _all_classes(fitted, embeddings, len(class_names))
    return evaluate_windows(scores, torch.from_numpy(labels), torch.from_numpy(clip_ids), class_names, voting)


def _all_classes(fitted: FittedClassifier, embeddings: np.ndarray, n_classes: int) -> torch.Tensor:
    """Scores for every class, also those absent from the training windows (log-prob floor)."""
    scores = torch.full((len(embeddings), n_classes), float(np.log(1e-12)))
    scores[:, fitted.pipeline.classes_] = fitted.scores(embeddings)
    return scores


def _last_linear(network: nn.Module, source: str) -> nn.Linear:
    try:
        return classifier_head(network)
    except ConfigError:
        raise ConfigError(
            f"model.backbone={source}: the network has no linear layer whose input could serve as the embedding"
        ) from None


def run_embedding(cfg: DictConfig, output_dir: str | Path, extra_tags: dict[str, str] | None = None) -> RunSummary:
    """Embed, fit, select on validation, test, log: one run, the same summary as ``run``."""
    started, output_dir = time.perf_counter(), Path(output_dir)
    tracking_uri = cfg.logger.tracking_uri if cfg.get("logger") else None
    backbone = Backbone.load(cfg, tracking_uri)
    experiment = Experiment.from_config(cfg, augment=False, frontend=backbone.frontend)
    corpus, datamodule = experiment.corpus, experiment.datamodule
    check_config(cfg, corpus.n_folds)
    datamodule.setup()
    class_names = datamodule.class_names
    train = datamodule.datasets["train"]
    parts = {
        "train": AllWindows(train.clips, train.labels, datamodule.window, datamodule.hop),
        "validation": datamodule.datasets["validation"],
        "test": datamodule.datasets["test"],
    }
    embedded = {name: backbone.embed(part, int(cfg.model.batch_size)) for name, part in parts.items()}
    fitted = fit_classifier(cfg, embedded["train"], embedded["validation"], class_names, cfg.eval.voting)
    results = _evaluate(fitted, embedded["test"], class_names, cfg.eval.voting)

    run_name = f"embedding-{fitted.kind}-{corpus.name}" + (f"-fold{corpus.fold}" if corpus.fold else "")
    fingerprint = datamodule.index.fingerprint()
    logger = start_tracking(
        cfg,
        run_name,
        output_dir,
        tags=run_tags(
            cfg,
            corpus.name,
            backbone.frontend.name,
            fingerprint,
            {"soundbench.backbone": backbone.source, **(extra_tags or {})},
        ),
        metrics={"model/embedding_dim": float(embedded["train"][0].shape[1])},
        dataset=dataset_record(
            corpus, datamodule.index, fingerprint, f"training, test fold {corpus.fold}" if corpus.fold else "training"
        ),
    )
    output_dir.mkdir(parents=True, exist_ok=True)
    chosen = {"classifier": fitted.kind, "setting": fitted.setting, "validation_clip_acc": fitted.validation_accuracy}
    (output_dir / "classifier.json").write_text(json.dumps(chosen, indent=2))
    if logger:
        logger.log_metrics(
            {
                "val/clip_acc": fitted.validation_accuracy,
                "test/clip_acc": results.accuracy,
                "test/window_acc": results.window_accuracy,
            }
        )
        logger.log_hyperparams({"embedding/chosen": fitted.setting})
        test_table = datamodule.splits.test.table
        salience = test_table["salience"] if "salience" in test_table else None
        log_test_results(logger, results, salience, None, title=f"{run_name} (test, clip level)")
        logger.experiment.log_artifact(logger.run_id, str(output_dir / "classifier.json"), "classifier")
        finish_run(logger)
    summary = RunSummary(
        val_clip_acc=fitted.validation_accuracy,
        test_clip_acc=results.accuracy,
        test_window_acc=results.window_accuracy,
        chance=1.0 / len(class_names),
        run_id=logger.run_id if logger else "",
        seconds=time.perf_counter() - started,
        class_names=class_names,
        confusion=results.confusion(),
    )
    print(
        f"{run_name}: {embedded['train'][0].shape[1]}-d embeddings of {backbone.source}; {fitted.kind} "
        f"{fitted.setting} chosen on validation ({fitted.validation_accuracy:.3f}); test clip accuracy "
        f"{results.accuracy:.3f} (window {results.window_accuracy:.3f}) in {summary.seconds:.0f} s"
    )
    return summary
