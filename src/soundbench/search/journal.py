"""A search's journal: every finished trial, appended as one JSON line the moment the
sampler is told its result, so a killed search (``kill -9``, a lost SLURM allocation) is
resumed by running the same command again: the finished trials are replayed into a new
study (the sampler learns from them as before), nothing that finished is trained again,
and the search goes on to its ``n_trials``.

Why a file of our own rather than Optuna's storage: the pinned Optuna 2.10 (held by
hydra-optuna-sweeper 1.2's ``optuna<3``) cannot open its RDB storage under SQLAlchemy 2,
which MLflow 3 needs, and its journal storage arrived in Optuna 3.1. A trial that was
still training when the search died is not in the journal and is proposed again.

The journal lives at ``<paths.log_dir>/search/<target>-<key>/journal.jsonl``; ``key``
hashes everything that shapes the search (the training config, the space, the objectives,
the sampler, the board and the duty-cycle limit), so another search never resumes from it.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import fields
from pathlib import Path

import optuna
from optuna.distributions import distribution_to_json, json_to_distribution
from optuna.trial import TrialState, create_trial

from soundbench.deploy.feasibility import Feasibility
from soundbench.search.trials import TrialRecord

FORMAT_VERSION = 1


def study_key(*parts: object) -> str:
    """A short hash of what shapes a search (each part's ``repr`` or JSON)."""
    text = json.dumps(
        [p if isinstance(p, (str, int, float, dict, list)) else repr(p) for p in parts], sort_keys=True, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class SearchJournal:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.entries: list[dict] = []
        self.parent_run: str | None = None
        if self.path.is_file():
            self._read()

    @classmethod
    def fresh(cls, path: Path) -> SearchJournal:
        """Start over (``hydra.sweeper.resume=false``): an existing journal is kept beside as ``.old``."""
        path = Path(path)
        if path.is_file():
            path.replace(path.with_suffix(".jsonl.old"))
        return cls(path)

    def _read(self) -> None:
        lines = self.path.read_text().splitlines()
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                if n == len(lines):
                    break  # a line cut by the kill: that trial is proposed again
                raise ValueError(f"{self.path}, line {n}: not a journal line; delete the file to start the search over")
            if entry.get("kind") == "parent_run":
                self.parent_run = entry["run_id"]
            elif entry.get("kind") == "trial":
                self.entries.append(entry)

    def _append(self, entry: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a") as out:
            out.write(json.dumps({"format": FORMAT_VERSION, **entry}, default=str) + "\n")
            out.flush()

    def set_parent_run(self, run_id: str) -> None:
        if run_id != self.parent_run:
            self.parent_run = run_id
            self._append({"kind": "parent_run", "run_id": run_id})

    def record(self, trial: optuna.trial.FrozenTrial, record: TrialRecord) -> None:
        """A trial the sampler has just been told about."""
        self._append(
            {
                "kind": "trial",
                "state": trial.state.name,
                "values": trial.values,
                "params": trial.params,
                "user_attrs": trial.user_attrs,
                "distributions": {k: distribution_to_json(d) for k, d in trial.distributions.items()},
                "record": _record_to_json(record),
            }
        )

    def replay(self, study: optuna.Study) -> list[TrialRecord]:
        """Add every journaled trial to ``study`` (renumbered in order: a trial that was
        pending when the search died left a gap) and return their records."""
        records, numbers = [], {}
        for entry in self.entries:
            state = TrialState[entry["state"]]
            with warnings.catch_warnings():  # create_trial/add_trial: "experimental" since Optuna 2.0
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                study.add_trial(
                    create_trial(
                        state=state,
                        values=entry["values"] if state == TrialState.COMPLETE else None,
                        params=entry["params"],
                        user_attrs=entry["user_attrs"],
                        distributions={k: json_to_distribution(d) for k, d in entry["distributions"].items()},
                    )
                )
            record = _record_from_json(entry["record"])
            numbers[record.number] = record.number = study.trials[-1].number
            if record.repeat_of is not None:
                record.repeat_of = numbers.get(record.repeat_of, record.repeat_of)
            records.append(record)
        return records


_SKIPPED = ("deployed", "test_accuracy", "cv_test_accuracy")  # set after the search, never journaled


def _record_to_json(record: TrialRecord) -> dict:
    data = {f.name: getattr(record, f.name) for f in fields(TrialRecord) if f.name not in _SKIPPED}
    data["feasibility"] = (
        {f.name: getattr(record.feasibility, f.name) for f in fields(Feasibility)} if record.feasibility else None
    )
    return data


def _record_from_json(data: dict) -> TrialRecord:
    data = dict(data)
    feasibility = Feasibility(**data.pop("feasibility")) if data.get("feasibility") else None
    data.pop("feasibility", None)
    return TrialRecord(**data, feasibility=feasibility)
