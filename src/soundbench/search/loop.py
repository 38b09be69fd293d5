"""The hardware-aware search loop on Optuna's ask/tell API: every trial is checked against
the board before it may train (rejected ones, in seconds, are told to the sampler as the
worst result, with the reason),
the feasible ones are trained in batches through the configured Hydra launcher, and the
study is multi-objective: validation accuracy up, latency per window hop and/or RAM/flash
down. Test accuracy is read only for the Pareto front, after the search.

Hydra's parts (composing a trial's config, launching jobs) come in as callables, so the loop
is the same under the sequential, joblib and SLURM launchers and testable without them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import optuna
from hydra.errors import HydraException
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException
from optuna.trial import TrialState

from soundbench.deploy.feasibility import Feasibility
from soundbench.search.journal import SearchJournal
from soundbench.search.space import SearchSpace
from soundbench.search.trials import OBJECTIVES, TrialRecord
from soundbench.tracking.summary import CvSummary, RunSummary


@dataclass(frozen=True)
class SearchSettings:
    n_trials: int  # trials that train (rejected ones do not count)
    max_rejected: int  # give up after this many rejections in a row
    n_jobs: int  # trials launched together (one launcher batch)
    objectives: tuple[str, ...]  # of OBJECTIVES, "accuracy" first

    def __post_init__(self) -> None:
        unknown = [o for o in self.objectives if o not in OBJECTIVES]
        if unknown or not self.objectives or self.objectives[0] != "accuracy":
            raise ValueError(
                f"hydra.sweeper.objectives={list(self.objectives)}: start with accuracy, then any of "
                f"{[o for o in OBJECTIVES if o != 'accuracy']}"
            )
        if self.n_trials < 1 or self.n_jobs < 1:
            raise ValueError("hydra.sweeper.n_trials and n_jobs must be at least 1")

    @property
    def directions(self) -> list[str]:
        return [OBJECTIVES[o][0] for o in self.objectives]


@dataclass(frozen=True)
class JobOutcome:
    """What a launched training job gave: its validation accuracy (the value it returned)
    and its summary (test accuracy, run id, checkpoint), or the error it raised."""

    val_accuracy: float | None
    summary: RunSummary | CvSummary | None
    error: str | None = None


#: what a rejected trial's costs (latency, RAM, flash) are told to the sampler as: dominated
#: by every trained trial, so it never joins the front and the sampler learns to avoid it
REJECTED_COST = 1e9

#: compose a trial's config from its overrides / check it on the board / train a batch
Compose = Callable[[list[str]], DictConfig]
Check = Callable[[DictConfig], Feasibility]
Launch = Callable[[list["TrialJob"]], list[JobOutcome]]


@dataclass(frozen=True)
class TrialJob:
    """A trial to train: its number, its config overrides, and the job folder the launcher
    gives it (its number, so trial 7's files are in ``7/``; the final cross-validation of a
    front member goes to ``7-cv/``)."""

    number: int
    overrides: list[str]
    folder: str = ""

    @property
    def subdir(self) -> str:
        return self.folder or str(self.number)


@dataclass
class SearchResult:
    trials: list[TrialRecord]
    study: optuna.Study
    objectives: tuple[str, ...]
    seconds: float

    @property
    def trained(self) -> list[TrialRecord]:
        return [t for t in self.trials if t.trained]

    @property
    def rejected(self) -> list[TrialRecord]:
        return [t for t in self.trials if t.rejected]

    @property
    def front(self) -> list[TrialRecord]:
        """The trained trials no other trained trial beats on every objective (ties kept
        once: a repeated configuration is the same point), most accurate first."""
        by_number = {t.number: t for t in self.trials}
        front = [by_number[t.number] for t in self.study.best_trials]
        return sorted((t for t in front if t.trained), key=lambda t: -t.val_accuracy)

    @property
    def winner(self) -> TrialRecord | None:
        """The most accurate (on validation) trial of the front."""
        return self.front[0] if self.front else None


def run_search(
    space: SearchSpace,
    settings: SearchSettings,
    study: optuna.Study,
    compose: Compose,
    check: Check,
    launch: Launch,
    log: Callable[[str], None] = print,
    journal: SearchJournal | None = None,
) -> SearchResult:
    """``journal``: where each finished trial is written as the sampler is told of it; the
    trials it already holds (a killed search's) are replayed into ``study`` first and count
    toward ``n_trials``, so nothing that finished trains again."""
    started = time.perf_counter()
    told = (
        (lambda trial, record: journal.record(study.trials[trial.number], record))
        if journal
        else (lambda trial, record: None)
    )
    proposals = _Proposals(space, settings, study, compose, check, log, told)
    if journal and journal.entries:
        proposals.resume(journal.replay(study))
        log(
            f"resuming from {journal.path}: {len(proposals.trials)} finished trial(s) reused "
            f"({sum(t.trained for t in proposals.trials)} trained, {sum(bool(t.rejected) for t in proposals.trials)} "
            "rejected); nothing of theirs is trained again"
        )
    while (
        spent := sum(t.trained or (bool(t.failed) and t.repeat_of is None) for t in proposals.trials)
    ) < settings.n_trials:
        batch = proposals.next_batch(min(settings.n_jobs, settings.n_trials - spent))
        if not batch:
            log(
                f"stopping: {settings.max_rejected} trials in a row were rejected or repeats; "
                "widen the search space or the budget (hydra.sweeper.max_rejected)"
            )
            break
        for trial, record in batch:
            fe = record.feasibility
            log(
                f"trial {record.number} trains: {' '.join(record.overrides)} (fits: {fe.flash_bytes / 1024:.0f} KiB "
                f"flash, {fe.ram_bytes / 1024:.1f} KiB RAM, {fe.latency_ms:.0f} ms per {fe.window_hop_ms:.0f} ms hop)"
            )
        for (trial, record), outcome in zip(
            batch, launch([TrialJob(record.number, record.overrides) for _, record in batch])
        ):
            _record_outcome(study, trial, record, outcome, settings.objectives, log)
            told(trial, record)
        done, elapsed = spent + len(batch), time.perf_counter() - started
        log(
            f"{done} of {settings.n_trials} trial(s) trained in {elapsed / 60:.1f} min"
            + (
                f", about {elapsed / done * (settings.n_trials - done) / 60:.1f} min left"
                if done < settings.n_trials
                else ""
            )
        )
    return SearchResult(proposals.trials, study, settings.objectives, time.perf_counter() - started)


class _Proposals:
    """Asks the study for trials until a batch of ones that fit is ready: each is checked on
    the board (rejected ones are told and recorded), repeats reuse their first result."""

    def __init__(
        self,
        space: SearchSpace,
        settings: SearchSettings,
        study: optuna.Study,
        compose: Compose,
        check: Check,
        log: Callable[[str], None],
        told: Callable[[optuna.trial.Trial, TrialRecord], None],
    ):
        self.space, self.settings, self.study, self.compose, self.check, self.log = (
            space,
            settings,
            study,
            compose,
            check,
            log,
        )
        self.told = told
        self.trials: list[TrialRecord] = []
        self.seen: dict[tuple[str, ...], TrialRecord] = {}
        self.rejected_in_a_row = 0

    def resume(self, records: list[TrialRecord]) -> None:
        """Trials a killed search finished: their configurations are known results."""
        self.trials = list(records)
        for record in records:
            self.seen.setdefault(tuple(record.overrides), record)

    def next_batch(self, size: int) -> list[tuple[optuna.trial.Trial, TrialRecord]]:
        batch = []
        while len(batch) < size and self.rejected_in_a_row < self.settings.max_rejected:
            trial = self.study.ask()
            record = TrialRecord(trial.number, self.space.suggest(trial))
            self.trials.append(record)
            if self._reused(trial, record) or self._rejected(trial, record):
                self.told(trial, record)
                self.rejected_in_a_row += 1  # a small or infeasible space is exhausted: do not loop forever
                continue
            self.rejected_in_a_row = 0
            batch.append((trial, record))
        return batch

    def _reused(self, trial, record: TrialRecord) -> bool:
        earlier = self.seen.setdefault(tuple(record.overrides), record)
        if earlier is record or earlier.status in ("pending", "repeat"):
            return False
        _repeat(self.study, trial, record, earlier, self.settings.objectives, self.log)
        return True

    def _rejected(self, trial, record: TrialRecord) -> bool:
        check_trial(record, self.compose, self.check)
        if record.rejected:
            _tell_rejected(self.study, trial, record, self.settings.objectives)
            self.log(
                f"trial {record.number} rejected before training "
                f"({record.feasibility.seconds if record.feasibility else 0:.1f} s): {record.rejected}"
            )
        return bool(record.rejected)


def check_trial(record: TrialRecord, compose: Compose, check: Check) -> None:
    """Fit and speed on the board; a configuration that cannot be built is rejected with the
    error that names the key."""
    try:
        record.feasibility = check(compose(record.overrides))
        record.rejected = record.feasibility.reason
    except (ValueError, KeyError, TypeError, RuntimeError, HydraException, OmegaConfBaseException) as error:
        record.rejected = f"cannot build: {error}"


def _tell_rejected(study, trial, record: TrialRecord, objectives) -> None:
    """A rejected trial goes to the sampler as the worst possible result (accuracy 0, every
    cost REJECTED_COST), with its reason as a user attribute. Told PRUNED instead, Optuna
    2.10's multi-objective TPE never sees it and keeps proposing the same infeasible region
    (measured: 18 of the first 24 trials rejected on the demo)."""
    trial.set_user_attr("rejected", record.rejected)
    study.tell(trial, [0.0 if o == "accuracy" else REJECTED_COST for o in objectives])


def _repeat(study, trial, record: TrialRecord, earlier: TrialRecord, objectives, log) -> None:
    """The sampler proposed a configuration already evaluated: reuse its outcome."""
    record.repeat_of, record.feasibility, record.rejected = earlier.number, earlier.feasibility, earlier.rejected
    record.failed, record.val_accuracy = earlier.failed, earlier.val_accuracy
    if earlier.trained:
        study.tell(trial, record.objective_values(list(objectives)))
    elif earlier.rejected:
        _tell_rejected(study, trial, record, objectives)
    else:
        study.tell(trial, state=TrialState.FAIL)
    log(f"trial {record.number} repeats trial {earlier.number}: its result reused, nothing trained")


def _record_outcome(study, trial, record: TrialRecord, outcome: JobOutcome, objectives, log) -> None:
    if outcome.error is not None or outcome.val_accuracy is None or outcome.val_accuracy != outcome.val_accuracy:
        record.failed = outcome.error or "the job returned no validation accuracy"
        study.tell(trial, state=TrialState.FAIL)
        log(f"trial {record.number} failed: {record.failed}")
        return
    record.val_accuracy = float(outcome.val_accuracy)
    if isinstance(outcome.summary, RunSummary):
        summary = outcome.summary
        record.sealed_test_accuracy, record.run_id = summary.test_clip_acc, summary.run_id
        record.checkpoint, record.train_seconds = summary.checkpoint, summary.seconds
    study.tell(trial, record.objective_values(list(objectives)))
    log(
        f"trial {record.number}: validation accuracy {record.val_accuracy:.3f}"
        + (f" in {record.train_seconds:.0f} s" if record.train_seconds else "")
    )
