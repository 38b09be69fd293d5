"""One hardware-aware search, start to end: the study, the board check of every trial, the
trials' training through the launcher (nested under an MLflow parent run), the front's
cross-validation and deploy, the report. ``hydra_plugins.soundbench_search`` drives it from
``python train.py -m hparams_search=mcu``; tests drive it with plain callables."""

from __future__ import annotations

import logging
from dataclasses import dataclass
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
from soundbench.search.report import write_report
from soundbench.search.run import Compose, JobOutcome, SearchResult, SearchSettings, run_search
from soundbench.search.space import SearchSpace
from soundbench.tracking.mlflow import artifact_location, ensure_experiment

Launch = Callable[[list[list[str]]], list[JobOutcome]]


@dataclass(frozen=True)
class SearchOptions:
    settings: SearchSettings
    space: SearchSpace
    max_duty_cycle: float        # a trial must leave the CPU this much headroom to keep up
    sampler: optuna.samplers.BaseSampler
    final_cv: bool               # cross-validate the front's members (cv=all) after the search
    final_deploy: bool           # deploy the front's members (linker, QEMU) after the search


def search(base: DictConfig, options: SearchOptions, compose: Compose, launch: Launch, root: Path,
           out_dir: Path, log: Callable[[str], None] = print) -> SearchResult:
    """``base``: the sweep's composed config (its ``target`` is the board); ``compose`` turns
    a trial's overrides into its config; ``launch`` trains trials (overrides already include
    the command line's) and returns their outcomes."""
    if not base.get("target"):
        raise ValueError("hparams_search=mcu needs a board: add target=<name> (conf/target/)")
    if base.cv.folds:
        raise ValueError("hparams_search=mcu selects trials on one validation fold; cross-validation is for the "
                         "Pareto front's members: drop cv=all and add hydra.sweeper.final.cv=true")
    target = target_from_config(OmegaConf.to_container(base.target, resolve=True))
    deploy_settings = DeploySettings.from_config(OmegaConf.load(root / "conf" / "deploy.yaml"))
    check = BoardCheck(base, target, options.max_duty_cycle, DeviceCosts(root, deploy_settings.cycles_per_macc_m4))
    study = optuna.create_study(directions=options.settings.directions, sampler=options.sampler,
                                study_name=f"mcu-{target.name}")
    parent = _ParentRun.start(base, target, options, check.dataset) if base.get("logger") else None
    tagged = (lambda overrides: [*overrides, f"parent_run={parent.run_id}"]) if parent else (lambda o: o)
    log(f"Hardware-aware search on {target.name}: {options.settings.n_trials} trial(s) to train, objectives "
        f"{', '.join(options.settings.objectives)}" + (f"; MLflow parent run {parent.run_id}" if parent else ""))
    try:
        result = run_search(options.space, options.settings, study, compose, check,
                            lambda batch: launch([tagged(o) for o in batch]), log)
        for trial in result.front:  # the search is over: the front's test accuracy may be read now
            trial.reveal_test()
        if options.final_cv and not check.n_folds:
            log(f"final.cv skipped: {check.dataset} uses official split lists, not folds")
        elif options.final_cv:
            final.cross_validate_front(result, lambda batch: launch([tagged(o) for o in batch]), log)
        if options.final_deploy:
            tracking_uri = base.logger.tracking_uri if base.get("logger") else None
            final.deploy_front(result, target, options.max_duty_cycle, deploy_settings, root, out_dir / "deploy",
                               tracking_uri, log)
    except BaseException:
        if parent:
            parent.end("KILLED")
        raise
    command = final.deploy_command(result.winner, target) if result.winner else None
    files = write_report(result, target, options.max_duty_cycle, out_dir, command)
    if parent:
        parent.log(result, files)
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
        return check_untrained(experiment.build_model(self.n_classes), experiment.frontend, self.target,
                               self.max_duty_cycle, self.costs)


@dataclass
class _ParentRun:
    """The sweep's MLflow run: every trial's run nests under it; it holds the report."""
    client: object
    run_id: str

    @classmethod
    def start(cls, base: DictConfig, target: Target, options: SearchOptions, dataset: str) -> _ParentRun:
        from mlflow import MlflowClient  # only a tracked search loads MLflow

        logging.getLogger("alembic").setLevel(logging.WARNING)  # its store migrations, under Hydra's INFO logging
        uri = base.logger.tracking_uri
        experiment_id = ensure_experiment(uri, base.logger.experiment_name or dataset,
                                          artifact_location(uri, base.logger.get("artifact_location")))
        client = MlflowClient(uri)
        run = client.create_run(experiment_id, run_name=f"search-{target.name}-{dataset}",
                                tags={"soundbench.search": "hardware-aware", "target": target.name, "dataset": dataset})
        settings = options.settings
        for key, value in {"target": target.name, "n_trials": settings.n_trials, "objectives": ",".join(settings.objectives),
                           "max_duty_cycle": options.max_duty_cycle, "sampler": type(options.sampler).__name__}.items():
            client.log_param(run.info.run_id, key, value)
        return cls(client, run.info.run_id)

    def log(self, result: SearchResult, files: list[Path]) -> None:
        rejected = [t for t in result.rejected if t.repeat_of is None and t.feasibility]
        metrics = {"search/trials": len(result.trials), "search/trained": len(result.trained),
                   "search/rejected": len(result.rejected), "search/front_size": len(result.front),
                   "search/minutes": result.seconds / 60}
        if rejected:
            metrics["search/seconds_per_rejection"] = sum(t.feasibility.seconds for t in rejected) / len(rejected)
        if result.winner:
            metrics["search/winner_val_acc"] = result.winner.val_accuracy
            if result.winner.test_accuracy is not None:
                metrics["search/winner_test_acc"] = result.winner.test_accuracy
        for key, value in metrics.items():
            self.client.log_metric(self.run_id, key, float(value))
        for path in files:
            self.client.log_artifact(self.run_id, str(path), "search")

    def end(self, status: str) -> None:
        self.client.set_terminated(self.run_id, status)

