"""Cross-validation as one command (`python train.py cv=all`): every fold of the dataset's
official protocol (with `cv.seeds=[0,1,2]`, every fold with every seed), one MLflow parent
run with a child run per fold and seed, and on the parent the mean ± std of test clip
accuracy over all of them, the spread between folds and between seeds, the per-run table
and the confusion matrix summed over runs. A run whose configuration (config hash) already
finished is skipped, so an interrupted CV run picks up where it stopped."""

from __future__ import annotations

import copy
import io
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from hydra.utils import instantiate
from mlflow.tracking import MlflowClient
from mlflow.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID
from omegaconf import DictConfig, open_dict

from soundbench.config_check import ConfigError, check_config
from soundbench.plots import plot_confusion_matrix
from soundbench.tracking.mlflow import (
    CONFIG_HASH_TAG,
    DatasetRecord,
    artifact_location,
    close_orphaned_runs,
    config_hash,
    ensure_experiment,
    log_dataset_input,
    owner_tags,
    source_tags,
)
from soundbench.training.mlflow_run import dataset_record, experiment_name
from soundbench.training.run import run

CV_HASH_TAG = "soundbench.cv_hash"
SEED_TAG = "soundbench.seed"
PARENT_TAG = MLFLOW_PARENT_RUN_ID  # what the MLflow UI nests children by


def run_cv(cfg: DictConfig, output_dir: str | Path) -> dict:
    if not cfg.get("logger"):
        raise ValueError("cv needs MLflow tracking (it resumes from finished fold runs); drop logger=none")
    corpus = instantiate(cfg.dataset, _convert_="all")
    if corpus.n_folds is None:
        raise ConfigError(
            f"{corpus.name} uses official split lists, not folds: cross-validation does not apply; use cv=none"
        )
    check_config(_with_fold(cfg, 1), corpus.n_folds)  # every value before fold 1 trains
    folds = list(range(1, corpus.n_folds + 1)) if cfg.cv.folds == "all" else list(cfg.cv.folds)
    seeds = [int(s) for s in cfg.cv.get("seeds") or [cfg.seed]]
    jobs = [(fold, seed) for fold in folds for seed in seeds]

    client = MlflowClient(cfg.logger.tracking_uri)
    experiment_id = ensure_experiment(
        cfg.logger.tracking_uri,
        experiment_name(cfg, corpus.name),
        artifact_location(cfg.logger.tracking_uri, cfg.logger.get("artifact_location")),
    )
    index = corpus.load_index()
    fingerprint = index.fingerprint()  # every fold reads the same index
    cv_hash = config_hash(_with_fold(cfg, 0, seeds if len(seeds) > 1 else seeds[0]), fingerprint)
    features = instantiate(cfg.features, _convert_="all").name
    parent = _parent_run(
        client,
        experiment_id,
        cv_hash,
        f"cv-{cfg.model.name}-{features}-{corpus.name}",
        dataset_record(corpus, index, fingerprint, f"cross-validation, folds {folds}"),
    )
    if cfg.get("parent_run"):  # cross-validating a search's trial: nest under the search
        client.set_tag(parent, PARENT_TAG, cfg.parent_run)
    job_hashes = {job: config_hash(_with_fold(cfg, *job), fingerprint) for job in jobs}
    # runs of this configuration left RUNNING by a killed process (under this parent or an older one)
    orphans = close_orphaned_runs(client, experiment_id, f"tags.`{PARENT_TAG}` = '{parent}'") + [
        run_id
        for job_hash in job_hashes.values()
        for run_id in close_orphaned_runs(client, experiment_id, f"tags.`{CONFIG_HASH_TAG}` = '{job_hash}'")
    ]
    if orphans:
        print(f"Marked KILLED {len(orphans)} fold run(s) left RUNNING by a killed process: {', '.join(orphans)}")
    print(
        f"Cross-validation over folds {folds}"
        + (f" × seeds {seeds}" if len(seeds) > 1 else "")
        + f"; MLflow parent run {parent}"
    )

    rows, confusion, class_names = [], None, None
    progress = FoldProgress(len(jobs))
    try:
        for fold, seed in jobs:
            what = f"fold {fold}" + (f" seed {seed}" if len(seeds) > 1 else "")
            done = _finished_run(client, experiment_id, job_hashes[fold, seed])
            if done is not None:
                print(f"{what}: already finished with this configuration (run {done.info.run_id}); skipping")
                acc, fold_confusion, names = _results_of(client, done)
                run_id = done.info.run_id
                progress.skipped()
            else:
                print(progress.starting(what), flush=True)
                folder = f"fold{fold}" + (f"_seed{seed}" if len(seeds) > 1 else "")
                summary = run(
                    _with_fold(cfg, fold, seed),
                    Path(output_dir) / folder,
                    extra_tags={PARENT_TAG: parent, SEED_TAG: str(seed)},
                )
                progress.finished()
                acc, fold_confusion, names = summary["test/clip_acc"], summary["confusion"], summary["class_names"]
                run_id = summary["run_id"]
            rows.append({"fold": fold, "seed": seed, "test_clip_acc": acc, "run_id": run_id})
            confusion = fold_confusion if confusion is None else confusion + fold_confusion
            class_names = names
    except BaseException:
        client.set_terminated(parent, "KILLED")
        raise
    table = pd.DataFrame(rows)
    summary = _log_parent(client, parent, table, confusion, class_names, cfg)
    client.set_terminated(parent, "FINISHED")
    return summary


class FoldProgress:
    """Which run (fold, and seed) of how many, and the time left estimated from the runs
    trained so far."""

    def __init__(self, n_runs: int):
        self.n_runs, self.done, self.trained_s = n_runs, 0, []
        self._started = time.monotonic()

    def starting(self, what: str) -> str:
        self._started = time.monotonic()
        line = f"== CV {what} ({self.done + 1} of {self.n_runs})"
        if self.trained_s:
            left = (self.n_runs - self.done) * sum(self.trained_s) / len(self.trained_s)
            line += f"; {_duration(sum(self.trained_s))} so far, about {_duration(left)} left"
        return line

    def finished(self) -> None:
        self.trained_s.append(time.monotonic() - self._started)
        self.done += 1

    def skipped(self) -> None:
        self.done += 1


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def _with_fold(cfg: DictConfig, fold: int, seed=None) -> DictConfig:
    """``cfg`` for one fold (and seed: a list of them only to hash the whole CV)."""
    fold_cfg = copy.deepcopy(cfg)
    with open_dict(fold_cfg):
        fold_cfg.dataset.fold = fold
        if seed is not None:
            fold_cfg.seed = seed
    return fold_cfg


def _parent_run(client: MlflowClient, experiment_id: str, cv_hash: str, name: str, dataset: DatasetRecord) -> str:
    """Reuse the parent of an earlier, unfinished CV run with the same configuration."""
    earlier = client.search_runs(
        [experiment_id],
        filter_string=f"tags.`{CV_HASH_TAG}` = '{cv_hash}'",
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    if earlier and earlier[0].info.status != "FINISHED":
        client.update_run(earlier[0].info.run_id, status="RUNNING")
        for key, value in owner_tags().items():
            client.set_tag(earlier[0].info.run_id, key, value)
        return earlier[0].info.run_id
    run_id = client.create_run(
        experiment_id, run_name=name, tags={CV_HASH_TAG: cv_hash, **owner_tags(), **source_tags()}
    ).info.run_id
    log_dataset_input(client, run_id, dataset)
    return run_id


def _finished_run(client: MlflowClient, experiment_id: str, fold_hash: str):
    runs = client.search_runs(
        [experiment_id],
        filter_string=f"tags.`{CONFIG_HASH_TAG}` = '{fold_hash}' and attributes.status = 'FINISHED'",
        max_results=1,
    )
    return runs[0] if runs and "test/clip_acc" in runs[0].data.metrics else None


def _results_of(client: MlflowClient, finished) -> tuple[float, np.ndarray, tuple[str, ...]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = client.download_artifacts(finished.info.run_id, "test/confusion_matrix.csv", tmp)
        frame = pd.read_csv(path, index_col=0)
    return finished.data.metrics["test/clip_acc"], frame.to_numpy(), tuple(frame.index)


def _log_parent(
    client: MlflowClient,
    parent: str,
    table: pd.DataFrame,
    confusion: np.ndarray,
    class_names: tuple[str, ...],
    cfg: DictConfig,
) -> dict:
    """Mean ± std over every run (folds × seeds), each fold's mean over seeds, and the two
    spreads: between folds (std of the fold means) and between seeds (mean over folds of the
    std across seeds; 0 with one seed)."""
    accs = table["test_clip_acc"]
    mean, std = float(accs.mean()), float(accs.std(ddof=0))
    per_fold = table.groupby("fold")["test_clip_acc"]
    fold_means = per_fold.mean()
    spread = {
        "cv/test_clip_acc_std_between_folds": float(fold_means.std(ddof=0)),
        "cv/test_clip_acc_std_between_seeds": float(per_fold.std(ddof=0).mean()),
    }
    n_seeds = int(table["seed"].nunique())
    client.log_metric(parent, "cv/test_clip_acc_mean", mean)
    client.log_metric(parent, "cv/test_clip_acc_std", std)
    client.log_metric(parent, "cv/n_seeds", n_seeds)
    for key, value in spread.items():
        client.log_metric(parent, key, value)
    for fold, acc in fold_means.items():
        client.log_metric(parent, f"cv/fold{fold}/test_clip_acc", float(acc))
    client.log_param(parent, "cv/folds", ",".join(map(str, fold_means.index)))
    client.log_param(parent, "cv/seeds", ",".join(map(str, sorted(table["seed"].unique()))))
    runs = f"{len(fold_means)} folds" + (f" × {n_seeds} seeds" if n_seeds > 1 else "")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        table.to_csv(tmp / "folds.csv", index=False)
        pd.DataFrame(confusion, index=class_names, columns=class_names).to_csv(tmp / "confusion_matrix_summed.csv")
        plot_confusion_matrix(
            confusion, class_names, tmp / "confusion_matrix_summed.png", f"{cfg.model.name}: test clips of {runs}"
        )
        client.log_artifacts(parent, str(tmp), "cv")
    buffer = io.StringIO()
    table.to_string(buffer, index=False, float_format=lambda x: f"{x:.3f}")
    print(
        f"\n{buffer.getvalue()}\nTest clip accuracy over {runs}: {mean:.3f} ± {std:.3f}"
        + (
            f" (between folds ± {spread['cv/test_clip_acc_std_between_folds']:.3f}, "
            f"between seeds ± {spread['cv/test_clip_acc_std_between_seeds']:.3f})"
            if n_seeds > 1
            else ""
        )
    )
    return {
        "cv/test_clip_acc_mean": mean,
        "cv/test_clip_acc_std": std,
        "cv/n_seeds": n_seeds,
        **spread,
        "folds": table,
        "parent_run_id": parent,
    }
