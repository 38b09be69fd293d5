"""One training run from a composed config: build data, front end, model, trainer and
logger from their config groups, fit, test the best checkpoint, record everything."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import lightning as L
from hydra.utils import instantiate
from omegaconf import DictConfig

from soundbench.config_check import check_config
from soundbench.experiment import Experiment
from soundbench.models import model_cost
from soundbench.models.checkpoint import check_resumable
from soundbench.tracking.mlflow import PARENT_TAG, finish_run, link_init_run, log_test_results
from soundbench.tracking.summary import RunSummary
from soundbench.tracking.training_run import dataset_record, run_tags, start_tracking
from soundbench.training.distill import Teacher
from soundbench.training.embeddings import run_embedding
from soundbench.training.init import FreezeBackbone, InitResult, initialise
from soundbench.training.known_warnings import quiet_known_warnings
from soundbench.training.module import AudioClassifier
from soundbench.training.progress import EpochLines

log = logging.getLogger(__name__)


def run(cfg: DictConfig, output_dir: str | Path, extra_tags: dict[str, str] | None = None) -> RunSummary | None:
    """Train and test one configuration; returns its summary (None on a helper rank of
    distributed training). ``extra_tags`` go on the MLflow run (e.g. a CV parent)."""
    started = time.perf_counter()
    output_dir = Path(output_dir)
    L.seed_everything(cfg.seed, workers=True)
    if cfg.model.name == "embedding":  # a frozen backbone + a scikit-learn classifier: no network training
        return run_embedding(cfg, output_dir, extra_tags)

    experiment = Experiment.from_config(cfg)
    corpus, frontend, datamodule = experiment.corpus, experiment.frontend, experiment.datamodule
    check_config(cfg, corpus.n_folds)
    splits = datamodule.prepare_index()
    class_names = datamodule.class_names
    input_shape = experiment.input_shape
    model = experiment.build_model(len(class_names))
    initialised = _initialise(cfg, model) if cfg.get("init") and not cfg.get("ckpt_path") else None
    module = AudioClassifier.from_experiment(
        experiment, model, class_names, teacher=_teacher(cfg, frontend.sample_rate, class_names)
    )
    cost = model_cost(model, input_shape)
    if cfg.get("ckpt_path"):
        check_resumable(cfg.ckpt_path, model)  # before an MLflow run or an epoch is spent on it

    run_name = f"{cfg.model.name}-{frontend.name}-{corpus.name}" + (f"-fold{corpus.fold}" if corpus.fold else "")
    if len((cfg.get("cv") or {}).get("seeds") or []) > 1:  # one of several seeds of a CV fold
        run_name += f"-seed{cfg.seed}"
    if cfg.get("parent_run"):  # a search's trial nests under the search's MLflow run
        extra_tags = {PARENT_TAG: cfg.parent_run, **(extra_tags or {})}
    if initialised:  # lineage: the pretrained run, as tags and a link in the run's description
        extra_tags = {**initialised.tags(), **(extra_tags or {})}
    fingerprint = datamodule.index.fingerprint()  # stats every file: once
    dataset = dataset_record(
        corpus, datamodule.index, fingerprint, f"training, test fold {corpus.fold}" if corpus.fold else "training"
    )
    logger = start_tracking(
        cfg,
        run_name,
        output_dir,
        tags=run_tags(cfg, corpus.name, frontend.name, fingerprint, extra_tags),
        metrics={f"model/{k}": v for k, v in cost.items()},
        dataset=dataset,
    )
    # a resumed run keeps writing checkpoints where it did, so its best-so-far survives
    checkpoints = Path(cfg.ckpt_path).resolve().parent if cfg.get("ckpt_path") else output_dir / "checkpoints"
    if logger and initialised and initialised.run_id:
        link_init_run(logger.experiment, logger.run_id, initialised.run_id)
    callbacks = _make_callbacks(cfg, checkpoints)
    if cfg.get("init") and int((cfg.get("finetune") or {}).get("freeze_epochs", 0)) > 0:
        callbacks.append(FreezeBackbone(cfg.finetune.freeze_epochs))
    bars = _progress_bar(cfg)
    if not bars:  # a log file: one line per epoch instead
        callbacks.append(EpochLines())
    quiet_known_warnings(cfg.trainer)
    trainer = instantiate(
        cfg.trainer,
        logger=logger or False,
        callbacks=callbacks,
        default_root_dir=str(output_dir),
        enable_progress_bar=bars,
    )

    print(
        f"{run_name}: {len(class_names)} classes; "
        + ", ".join(f"{n} {len(p)} clips" for n, p in splits.items())
        + f"; {_parameters(cost)}, {cost['macc_per_window']:,} MACC per window; input {input_shape}"
    )
    try:
        trainer.fit(module, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"), weights_only=True)
    except SystemExit:  # Lightning's answer to Ctrl-C: the MLflow run is already marked FAILED
        _explain_interruption(trainer, checkpoints)
        raise

    best = trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else ""
    if trainer.world_size > 1:
        if not trainer.is_global_zero:
            return None  # a helper rank of distributed training: rank 0 tests and reports
        # every test window exactly once, on one process (a DistributedSampler would repeat some)
        trainer = instantiate(
            cfg.trainer,
            devices=1,
            strategy="auto",
            sync_batchnorm=False,
            logger=logger or False,
            default_root_dir=str(output_dir),
            enable_progress_bar=_progress_bar(cfg),
        )
    trainer.test(module, datamodule=datamodule, ckpt_path=best or None, verbose=False, weights_only=True)
    if logger:
        logger.log_hyperparams(datamodule.clip_problems.as_params())
    results = module.test_results
    salience = splits.test.table["salience"] if "salience" in splits.test.table else None
    if logger:
        log_test_results(logger, results, salience, best, title=f"{run_name} (test, clip level)")
        finish_run(logger)

    best_score = trainer.checkpoint_callback.best_model_score if trainer.checkpoint_callback else None
    summary = RunSummary(
        val_clip_acc=float(best_score) if best_score is not None else float("nan"),  # what selected the checkpoint
        test_clip_acc=results.accuracy,
        test_window_acc=results.window_accuracy,
        chance=1.0 / len(class_names),
        run_id=logger.run_id if logger else "",
        checkpoint=best,
        seconds=time.perf_counter() - started,
        class_names=class_names,
        confusion=results.confusion(),
    )
    _print_summary(summary, cfg, logger, best)
    return summary


def _parameters(cost: dict[str, int]) -> str:
    """The count trained, and the count deployed where batch norm folds away at export."""
    trained, deployed = cost["n_parameters"], cost["n_parameters_deployed"]
    return f"{trained:,} parameters" + (
        f" ({deployed:,} deployed: batch norm folds into the layer before it)" if deployed != trained else ""
    )


def _initialise(cfg: DictConfig, model) -> InitResult:
    tracking_uri = cfg.logger.tracking_uri if cfg.get("logger") else None
    result = initialise(model, cfg.features, cfg.init, tracking_uri)
    print(result.describe())
    return result


def _teacher(cfg: DictConfig, sample_rate: int, class_names: tuple[str, ...]) -> Teacher | None:
    settings = cfg.get("distill") or {}
    if not settings.get("teacher"):
        return None
    tracking_uri = cfg.logger.tracking_uri if cfg.get("logger") else None
    return Teacher.load(settings.teacher, sample_rate, class_names, settings.temperature, settings.alpha, tracking_uri)


def _progress_bar(cfg: DictConfig) -> bool:
    """trainer.enable_progress_bar, where null means: on a terminal, not in a log file or CI."""
    wanted = cfg.trainer.get("enable_progress_bar")
    return sys.stdout.isatty() if wanted is None else bool(wanted)


def _make_callbacks(cfg: DictConfig, checkpoints: Path) -> list:
    callbacks = []
    for callback_cfg in (cfg.get("callbacks") or {}).values():
        if callback_cfg is None:
            continue
        if "dirpath" in callback_cfg and callback_cfg.dirpath is None:
            callbacks.append(instantiate(callback_cfg, dirpath=str(checkpoints)))
        else:
            callbacks.append(instantiate(callback_cfg))
    return callbacks


def _explain_interruption(trainer: L.Trainer, checkpoints: Path) -> None:
    last = checkpoints / "last.ckpt"
    print(
        f"\nTraining was interrupted in epoch {trainer.current_epoch}. "
        + (
            f"Resume with the same command plus ckpt_path={last}"
            if last.is_file()
            else "No epoch had finished, so there is no checkpoint to resume from."
        )
    )


def _print_summary(summary: RunSummary, cfg: DictConfig, logger, best: str) -> None:
    print(
        f"\nTest clip accuracy {summary.test_clip_acc:.3f} (window {summary.test_window_acc:.3f}, "
        f"chance {summary.chance:.3f}, voting={cfg.eval.voting}) in {summary.seconds:.0f} s"
    )
    if best:
        print(f"Best checkpoint: {best}")
    if logger:
        print(
            f"MLflow run {logger.run_id}; browse with:\n"
            f"  mlflow ui --app-name soundbench --backend-store-uri {cfg.logger.tracking_uri}"
        )
