"""After the search, for the Pareto front only: every fold (``final.cv``) and the full deploy
check (``final.deploy``: int8 accuracy, the linker's verdict on front end + model, cycles in
QEMU), which proves that no member of the reported front breaks the budget on the board."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from soundbench.artifacts.trained import load_trained
from soundbench.deploy.run import DeploySettings, deploy
from soundbench.deploy.targets import Target
from soundbench.search.loop import Launch, SearchResult, TrialJob
from soundbench.search.trials import DeployedCheck, TrialRecord

#: the overrides that turn a trial into its cross-validation (train.py returns the CV mean)
CV_OVERRIDES = ["cv=all", "optimized_metric=cv/test_clip_acc_mean"]


def cross_validate_front(result: SearchResult, launch: Launch, log: Callable[[str], None] = print) -> None:
    """Each front member over every fold: its CV mean of test accuracy."""
    front = result.front
    if not front:
        return
    log(f"cross-validating the {len(front)} trial(s) of the front: {', '.join(str(t.number) for t in front)}")
    jobs = [TrialJob(t.number, [*t.overrides, *CV_OVERRIDES], folder=f"{t.number}-cv") for t in front]
    for trial, outcome in zip(front, launch(jobs)):
        if outcome.error is None:
            trial.cv_test_accuracy = outcome.val_accuracy  # the value train.py returned: the CV mean
        else:
            log(f"trial {trial.number}: cross-validation failed: {outcome.error}")


def deploy_front(
    result: SearchResult,
    target: Target,
    max_duty_cycle: float,
    settings: DeploySettings,
    root: Path,
    out_dir: Path,
    tracking_uri: str | None,
    log: Callable[[str], None] = print,
) -> None:
    for trial in result.front:
        source = trial.run_id or trial.checkpoint
        if not source:
            log(f"trial {trial.number} not deployed: its run left neither an MLflow run nor a checkpoint")
            continue
        log(f"deploying trial {trial.number} ({source}) on {target.name}")
        report = deploy(load_trained(source, tracking_uri), target, out_dir / f"trial{trial.number}", root, settings)
        trial.deployed = DeployedCheck.of(report, max_duty_cycle, out_dir / f"trial{trial.number}")


def deploy_command(trial: TrialRecord, target: Target) -> str:
    return f"python -m soundbench.deploy run={trial.run_id or trial.checkpoint} target={target.name}"
