"""Cross-validation as one command (`python train.py cv=all`): every fold of the dataset's
official protocol (with `cv.seeds=[0,1,2]`, every fold with every seed), one MLflow parent
run with a child run per fold and seed, and on the parent the mean ± std of test clip
accuracy over all of them, the spread between folds and between seeds, the per-run table
and the confusion matrix summed over runs. A run whose configuration (config hash) already
finished is skipped, so an interrupted CV run picks up where it stopped."""

from __future__ import annotations

import copy
import io
import time
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig, open_dict

from soundbench.config_check import ConfigError, check_config
from soundbench.experiment import Experiment
from soundbench.tracking.cv_run import CvParentRun
from soundbench.tracking.mlflow import config_hash
from soundbench.tracking.summary import CvSummary
from soundbench.tracking.training_run import dataset_record, experiment_name
from soundbench.training.run import run


def run_cv(cfg: DictConfig, output_dir: str | Path) -> CvSummary:
    if not cfg.get("logger"):
        raise ValueError("cv needs MLflow tracking (it resumes from finished fold runs); drop logger=none")
    experiment = Experiment.from_config(cfg, augment=False)  # nothing is read yet
    corpus = experiment.corpus
    if corpus.n_folds is None:
        raise ConfigError(
            f"{corpus.name} uses official split lists, not folds: cross-validation does not apply; use cv=none"
        )
    check_config(_with_fold(cfg, 1), corpus.n_folds)  # every value before fold 1 trains
    folds = list(range(1, corpus.n_folds + 1)) if cfg.cv.folds == "all" else list(cfg.cv.folds)
    seeds = [int(s) for s in cfg.cv.get("seeds") or [cfg.seed]]
    jobs = [(fold, seed) for fold in folds for seed in seeds]

    index = corpus.load_index()
    fingerprint = index.fingerprint()  # every fold reads the same index
    parent = CvParentRun.open(
        cfg.logger.tracking_uri,
        experiment_name(cfg, corpus.name),
        cfg.logger.get("artifact_location"),
        cv_hash=config_hash(_with_fold(cfg, 0, seeds if len(seeds) > 1 else seeds[0]), fingerprint),
        name=f"cv-{cfg.model.name}-{experiment.frontend.name}-{corpus.name}",
        dataset=dataset_record(corpus, index, fingerprint, f"cross-validation, folds {folds}"),
        search_run=cfg.get("parent_run"),  # cross-validating a search's trial: nest under the search
    )
    job_hashes = {job: config_hash(_with_fold(cfg, *job), fingerprint) for job in jobs}
    if orphans := parent.close_orphans(list(job_hashes.values())):
        print(f"Marked KILLED {len(orphans)} fold run(s) left RUNNING by a killed process: {', '.join(orphans)}")
    print(
        f"Cross-validation over folds {folds}"
        + (f" × seeds {seeds}" if len(seeds) > 1 else "")
        + f"; MLflow parent run {parent.run_id}"
    )

    rows, confusion, class_names = [], None, None
    progress = FoldProgress(len(jobs))
    try:
        for fold, seed in jobs:
            what = f"fold {fold}" + (f" seed {seed}" if len(seeds) > 1 else "")
            done = parent.finished_fold(job_hashes[fold, seed])
            if done is not None:
                print(f"{what}: already finished with this configuration (run {done.run_id}); skipping")
                progress.skipped()
                result = done
            else:
                print(progress.starting(what), flush=True)
                folder = f"fold{fold}" + (f"_seed{seed}" if len(seeds) > 1 else "")
                result = run(_with_fold(cfg, fold, seed), Path(output_dir) / folder, extra_tags=parent.child_tags(seed))
                progress.finished()
            rows.append({"fold": fold, "seed": seed, "test_clip_acc": result.test_clip_acc, "run_id": result.run_id})
            confusion = result.confusion if confusion is None else confusion + result.confusion
            class_names = result.class_names
    except BaseException:
        parent.end("KILLED")
        raise
    summary = CvSummary.of(pd.DataFrame(rows), parent.run_id)
    runs = f"{len(summary.fold_means)} folds" + (f" × {summary.n_seeds} seeds" if summary.n_seeds > 1 else "")
    parent.log_results(summary, confusion, class_names, f"{cfg.model.name}: test clips of {runs}")
    parent.end("FINISHED")
    _print_table(summary, runs)
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


def _print_table(summary: CvSummary, runs: str) -> None:
    buffer = io.StringIO()
    summary.folds.to_string(buffer, index=False, float_format=lambda x: f"{x:.3f}")
    spread = (
        f" (between folds ± {summary.std_between_folds:.3f}, between seeds ± {summary.std_between_seeds:.3f})"
        if summary.n_seeds > 1
        else ""
    )
    print(
        f"\n{buffer.getvalue()}\nTest clip accuracy over {runs}: "
        f"{summary.test_clip_acc_mean:.3f} ± {summary.test_clip_acc_std:.3f}{spread}"
    )
