"""The MLflow side of a hardware-aware search: one parent run that every trial's run (and
the front's cross-validations) nests under, holding the search's settings, its headline
metrics and its report. A resumed search continues its journal's parent run; parents (and
their trials) a killed search left RUNNING are marked KILLED first."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from soundbench.tracking.mlflow import PARENT_TAG, artifact_location, close_orphaned_runs, ensure_experiment, owner_tags

#: the tag that marks a search's parent run
SEARCH_TAG = "soundbench.search"


@dataclass(frozen=True)
class SearchParentRun:
    client: object
    run_id: str

    @classmethod
    def start(
        cls,
        tracking_uri: str,
        experiment: str,
        artifacts: str | None,
        name: str,
        tags: dict[str, str],
        params: dict[str, object],
        resume: tuple[str, Path] | None = None,
        log: Callable[[str], None] = print,
    ) -> SearchParentRun:
        """``resume``: (the journal's parent run id, the journal) of a search being resumed:
        that run is RUNNING again, owned by this process, if it still exists; else a new
        run with ``tags`` and ``params``."""
        from mlflow import MlflowClient  # only a tracked search loads MLflow

        logging.getLogger("alembic").setLevel(logging.WARNING)  # its store migrations, under Hydra's INFO logging
        experiment_id = ensure_experiment(tracking_uri, experiment, artifact_location(tracking_uri, artifacts))
        client = MlflowClient(tracking_uri)
        parents = close_orphaned_runs(client, experiment_id, f"tags.`{SEARCH_TAG}` = 'hardware-aware'")
        orphans = parents + [
            trial
            for parent in parents
            for trial in close_orphaned_runs(client, experiment_id, f"tags.`{PARENT_TAG}` = '{parent}'")
        ]
        if orphans:
            log(f"marked KILLED {len(orphans)} run(s) of a killed search: {', '.join(orphans)}")
        if resume and _exists(client, resume[0]):
            run_id, journal = resume
            client.update_run(run_id, status="RUNNING")
            for key, value in {**owner_tags(), "soundbench.resumed_from": str(journal)}.items():
                client.set_tag(run_id, key, value)
            return cls(client, run_id)
        run_id = client.create_run(
            experiment_id, run_name=name, tags={SEARCH_TAG: "hardware-aware", **tags, **owner_tags()}
        ).info.run_id
        for key, value in params.items():
            client.log_param(run_id, key, value)
        return cls(client, run_id)

    def log(self, metrics: dict[str, float], files: list[Path]) -> None:
        for key, value in metrics.items():
            self.client.log_metric(self.run_id, key, float(value))
        for path in files:
            self.client.log_artifact(self.run_id, str(path), "search")

    def end(self, status: str) -> None:
        self.client.set_terminated(self.run_id, status)


def _exists(client, run_id: str) -> bool:
    from mlflow.exceptions import MlflowException

    try:
        client.get_run(run_id)
    except MlflowException:
        return False
    return True
