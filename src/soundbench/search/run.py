"""One hardware-aware search, start to end: the study, the board check of every trial, the
trials' training through the launcher (nested under an MLflow parent run), the front's
cross-validation and deploy, the report. ``hydra_plugins.soundbench_search`` drives it from
``python train.py -m hparams_search=mcu``; tests drive it with plain callables."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import optuna
from omegaconf import DictConfig, OmegaConf

from soundbench.config_check import check_config
from soundbench.deploy.feasibility import DeviceCosts, Feasibility, check_untrained
from soundbench.deploy.run import DeploySettings
from soundbench.deploy.targets import Target, target_from_config
from soundbench.experiment import Experiment
from soundbench.search import final
from soundbench.search.journal import SearchJournal, study_key
from soundbench.search.loop import Compose, JobOutcome, SearchResult, SearchSettings, run_search
from soundbench.search.report import write_report
from soundbench.search.space import SearchSpace
from soundbench.tracking.mlflow import UNHASHED_KEYS
from soundbench.tracking.search_run import SearchParentRun

Launch = Callable[[list[list[str]]], list[JobOutcome]]


@dataclass(frozen=True)
class SearchOptions:
    settings: SearchSettings
    space: SearchSpace
    max_duty_cycle: float  # a trial must leave the CPU this much headroom to keep up
    sampler: optuna.samplers.BaseSampler
    final_cv: bool  # cross-validate the front's members (cv=all) after the search
    final_deploy: bool  # deploy the front's members (linker, QEMU) after the search
    resume: bool = True  # continue a killed search of the same key from its journal
    sampler_config: object = None  # what built the sampler (its settings are part of the search's key)

    def journal_path(self, base: DictConfig, target: Target) -> Path:
        """Where this search's journal is: the same search (config, space, objectives,
        sampler, board) always finds the same file."""
        # unresolved: the sweep's config has Hydra interpolations that resolve only inside a job
        trained = {k: v for k, v in OmegaConf.to_container(base, resolve=False).items() if k not in UNHASHED_KEYS}
        parts = [
            trained,
            repr(self.space),
            repr(self.settings),
            self.max_duty_cycle,
            self.sampler_config if self.sampler_config is not None else type(self.sampler).__name__,
            target.name,
        ]
        folder = Path(base.paths.log_dir) / "search" / f"{target.name}-{study_key(*parts)}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "search.json").write_text(json.dumps(parts, indent=1, default=str))  # what the key stands for
        return folder / "journal.jsonl"


def search(
    base: DictConfig,
    options: SearchOptions,
    compose: Compose,
    launch: Launch,
    root: Path,
    out_dir: Path,
    log: Callable[[str], None] = print,
) -> SearchResult:
    """``base``: the sweep's composed config (its ``target`` is the board); ``compose`` turns
    a trial's overrides into its config; ``launch`` trains trials (overrides already include
    the command line's) and returns their outcomes."""
    if not base.get("target"):
        raise ValueError("hparams_search=mcu needs a board: add target=<name> (conf/target/)")
    if base.cv.folds:
        raise ValueError(
            "hparams_search=mcu selects trials on one validation fold; cross-validation is for the "
            "Pareto front's members: drop cv=all and add hydra.sweeper.final.cv=true"
        )
    target = target_from_config(OmegaConf.to_container(base.target, resolve=True))
    deploy_settings = DeploySettings.from_config(OmegaConf.load(root / "conf" / "deploy.yaml"))
    check = BoardCheck(
        base,
        target,
        options.max_duty_cycle,
        DeviceCosts(
            root, deploy_settings.cycles_per_macc_m4, deploy_settings.timing_margin, deploy_settings.stage_weights
        ),
    )
    study = optuna.create_study(
        directions=options.settings.directions, sampler=options.sampler, study_name=f"mcu-{target.name}"
    )
    path = options.journal_path(base, target)
    journal = SearchJournal(path) if options.resume else SearchJournal.fresh(path)
    parent = _start_parent_run(base, target, options, check.dataset, journal, log) if base.get("logger") else None
    nested = [f"parent_run={parent.run_id}"] if parent else []  # each trial's run nests under the search's
    log(
        f"Hardware-aware search on {target.name}: {options.settings.n_trials} trial(s) to train, objectives "
        f"{', '.join(options.settings.objectives)}" + (f"; MLflow parent run {parent.run_id}" if parent else "")
    )
    try:
        result = run_search(
            options.space,
            options.settings,
            study,
            compose,
            check,
            lambda batch: launch([replace(job, overrides=[*job.overrides, *nested]) for job in batch]),
            log,
            journal,
        )
        for trial in result.front:  # the search is over: the front's test accuracy may be read now
            trial.reveal_test()
        if options.final_cv and not check.n_folds:
            log(f"final.cv skipped: {check.dataset} uses official split lists, not folds")
        elif options.final_cv:
            final.cross_validate_front(
                result, lambda batch: launch([replace(job, overrides=[*job.overrides, *nested]) for job in batch]), log
            )
        if options.final_deploy:
            tracking_uri = base.logger.tracking_uri if base.get("logger") else None
            final.deploy_front(
                result, target, options.max_duty_cycle, deploy_settings, root, out_dir / "deploy", tracking_uri, log
            )
    except BaseException:
        if parent:
            parent.end("KILLED")
        raise
    command = final.deploy_command(result.winner, target) if result.winner else None
    files = write_report(result, target, options.max_duty_cycle, out_dir, command)
    if parent:
        parent.log(_search_metrics(result), files)
        parent.end("FINISHED")
    log((out_dir / "report.md").read_text())
    return result


class BoardCheck:
    """A trial's config → its untrained model's fit and speed on the board."""

    def __init__(self, base: DictConfig, target: Target, max_duty_cycle: float, costs: DeviceCosts):
        self.target, self.max_duty_cycle, self.costs = target, max_duty_cycle, costs
        experiment = Experiment.from_config(base, augment=False)
        self.n_classes, self.n_folds = len(experiment.class_names), experiment.corpus.n_folds  # reads the index once
        self.dataset = experiment.corpus.name

    def __call__(self, cfg: DictConfig) -> Feasibility:
        experiment = Experiment.from_config(cfg, augment=False)  # refuses a model/front-end mismatch
        check_config(cfg, self.n_folds)
        return check_untrained(
            experiment.build_model(self.n_classes), experiment.frontend, self.target, self.max_duty_cycle, self.costs
        )


def _start_parent_run(
    base: DictConfig, target: Target, options: SearchOptions, dataset: str, journal: SearchJournal, log
) -> SearchParentRun:
    settings = options.settings
    parent = SearchParentRun.start(
        base.logger.tracking_uri,
        base.logger.experiment_name or dataset,
        base.logger.get("artifact_location"),
        name=f"search-{target.name}-{dataset}",
        tags={"target": target.name, "dataset": dataset},
        params={
            "target": target.name,
            "n_trials": settings.n_trials,
            "objectives": ",".join(settings.objectives),
            "max_duty_cycle": options.max_duty_cycle,
            "sampler": type(options.sampler).__name__,
        },
        resume=(journal.parent_run, journal.path) if journal.entries and journal.parent_run else None,
        log=log,
    )
    if parent.run_id != journal.parent_run:
        journal.set_parent_run(parent.run_id)
    return parent


def _search_metrics(result: SearchResult) -> dict[str, float]:
    """The search's headline numbers, on its parent run."""
    rejected = [t for t in result.rejected if t.repeat_of is None and t.feasibility]
    metrics = {
        "search/trials": len(result.trials),
        "search/trained": len(result.trained),
        "search/rejected": len(result.rejected),
        "search/front_size": len(result.front),
        "search/minutes": result.seconds / 60,
    }
    if rejected:
        metrics["search/seconds_per_rejection"] = sum(t.feasibility.seconds for t in rejected) / len(rejected)
    if result.winner:
        metrics["search/winner_val_acc"] = result.winner.val_accuracy
        if result.winner.test_accuracy is not None:
            metrics["search/winner_test_acc"] = result.winner.test_accuracy
    return metrics
