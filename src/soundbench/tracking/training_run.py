"""The MLflow run of one training run: the experiment (created before parallel jobs race to),
the logger, the config, tags, metrics and dataset input of a new run, or the run a resumed
checkpoint continues. Shared by network training and embedding + classifier runs."""

from __future__ import annotations

from pathlib import Path

from hydra.utils import instantiate
from lightning.pytorch.utilities import rank_zero_only
from omegaconf import DictConfig, open_dict

from soundbench.tracking.mlflow import (
    CONFIG_HASH_TAG,
    RUN_ID_FILE,
    DatasetRecord,
    artifact_location,
    config_hash,
    ensure_experiment,
    git_commit,
    log_dataset_input,
    log_run_setup,
    owner_tags,
    resumed_run_id,
    source_tags,
)


def experiment_name(cfg: DictConfig, dataset_name: str) -> str:
    return cfg.logger.experiment_name or dataset_name


def make_logger(cfg: DictConfig, dataset_name: str, run_name: str, run_id: str | None = None):
    if not cfg.get("logger"):
        return None
    with open_dict(cfg.logger):
        cfg.logger.experiment_name = experiment_name(cfg, dataset_name)
        cfg.logger.run_name = cfg.logger.run_name or run_name
        if "artifact_location" in cfg.logger:
            cfg.logger.artifact_location = artifact_location(cfg.logger.tracking_uri, cfg.logger.artifact_location)
    # created here, not lazily by the logger, where parallel jobs would race to create it
    ensure_experiment(cfg.logger.tracking_uri, cfg.logger.experiment_name, cfg.logger.get("artifact_location"))
    return instantiate(cfg.logger, run_id=run_id) if run_id else instantiate(cfg.logger)


def run_tags(cfg: DictConfig, dataset: str, features: str, fingerprint: str, extra: dict | None = None) -> dict:
    """What identifies a run in MLflow: code, data, model, front end and the config hash that
    CV resume matches finished runs by."""
    return {
        "git_commit": git_commit(Path(cfg.paths.root_dir)),
        "dataset": dataset,
        "dataset_fingerprint": fingerprint,
        "model": cfg.model.name,
        "features": features,
        CONFIG_HASH_TAG: config_hash(cfg, fingerprint),
        **(extra or {}),
    }


def dataset_record(corpus, index, fingerprint: str, context: str) -> DatasetRecord:
    """What MLflow's Dataset column shows for a run on ``corpus``. MLflow keeps one record per
    name and digest, so the profile describes the whole dataset; the run's part of it (its
    test fold) is the input's context."""
    profile = {"clips": len(index), "classes": index.n_classes}
    if corpus.n_folds:
        profile["folds"] = corpus.n_folds
    return DatasetRecord(corpus.name, fingerprint, str(Path(corpus.root).resolve()), profile, context)


def start_tracking(
    cfg: DictConfig,
    run_name: str,
    output_dir: Path,
    tags: dict[str, str],
    metrics: dict[str, float],
    dataset: DatasetRecord,
):
    """The MLflow logger of this run (None with logger=none): a new run with the config,
    tags and metrics, or, resuming from a checkpoint, the run that wrote it. Its id goes to
    the run folder (RUN_ID_FILE) so a later resume finds it."""
    if rank_zero_only.rank != 0:
        return None  # distributed training: one MLflow run, rank 0's
    resuming = resumed_run_id(cfg.ckpt_path) if cfg.get("ckpt_path") else None
    logger = make_logger(cfg, tags["dataset"], run_name, run_id=resuming)
    if not logger:
        return None
    if resuming:
        continue_run(logger, cfg)
    else:
        log_run_setup(logger, cfg, hydra_dir=output_dir / ".hydra", tags={**tags, **owner_tags(), **source_tags()})
        log_dataset_input(logger.experiment, logger.run_id, dataset)
        logger.log_metrics(metrics)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / RUN_ID_FILE).write_text(logger.run_id + "\n")
    return logger


def continue_run(logger, cfg: DictConfig) -> None:
    """The resumed run is RUNNING again, owned by this process; its params stay as logged
    (check_resumable made sure the model is the same) and the resume is recorded."""
    client, run_id = logger.experiment, logger.run_id
    client.update_run(run_id, status="RUNNING")
    for key, value in {**owner_tags(), "soundbench.resumed_from": str(cfg.ckpt_path)}.items():
        client.set_tag(run_id, key, value)
    print(f"Resuming MLflow run {run_id} from {cfg.ckpt_path}")
