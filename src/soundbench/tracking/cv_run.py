"""The MLflow side of cross-validation: one parent run with a child run per fold and seed
(nested by MLflow's parent tag), reused when an unfinished CV with the same configuration
(its hash) is started again; finished fold runs found by their config hash so a resumed CV
skips them; fold runs a killed process left RUNNING marked KILLED; and the parent's
metrics, per-run table and summed confusion matrix."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from mlflow.tracking import MlflowClient

from soundbench.plots import plot_confusion_matrix
from soundbench.tracking.mlflow import (
    CONFIG_HASH_TAG,
    PARENT_TAG,
    DatasetRecord,
    artifact_location,
    close_orphaned_runs,
    ensure_experiment,
    log_dataset_input,
    owner_tags,
    source_tags,
)
from soundbench.tracking.summary import CvSummary

CV_HASH_TAG = "soundbench.cv_hash"
SEED_TAG = "soundbench.seed"


@dataclass(frozen=True)
class FinishedFold:
    """A fold run that already finished with this configuration: its results, read back."""

    run_id: str
    test_clip_acc: float
    confusion: np.ndarray
    class_names: tuple[str, ...]


@dataclass(frozen=True)
class CvParentRun:
    client: MlflowClient
    experiment_id: str
    run_id: str

    @classmethod
    def open(
        cls,
        tracking_uri: str,
        experiment: str,
        artifacts: str | None,
        cv_hash: str,
        name: str,
        dataset: DatasetRecord,
        search_run: str | None = None,
    ) -> CvParentRun:
        """The parent of an earlier, unfinished CV with the same configuration (RUNNING
        again, owned by this process), else a new one; nested under ``search_run`` when a
        search cross-validates a trial."""
        client = MlflowClient(tracking_uri)
        experiment_id = ensure_experiment(tracking_uri, experiment, artifact_location(tracking_uri, artifacts))
        earlier = client.search_runs(
            [experiment_id],
            filter_string=f"tags.`{CV_HASH_TAG}` = '{cv_hash}'",
            order_by=["attributes.start_time DESC"],
            max_results=1,
        )
        if earlier and earlier[0].info.status != "FINISHED":
            run_id = earlier[0].info.run_id
            client.update_run(run_id, status="RUNNING")
            for key, value in owner_tags().items():
                client.set_tag(run_id, key, value)
        else:
            run_id = client.create_run(
                experiment_id, run_name=name, tags={CV_HASH_TAG: cv_hash, **owner_tags(), **source_tags()}
            ).info.run_id
            log_dataset_input(client, run_id, dataset)
        if search_run:
            client.set_tag(run_id, PARENT_TAG, search_run)
        return cls(client, experiment_id, run_id)

    def child_tags(self, seed: int) -> dict[str, str]:
        """Tags a fold run carries: its parent (nesting in the UI) and its seed."""
        return {PARENT_TAG: self.run_id, SEED_TAG: str(seed)}

    def close_orphans(self, fold_hashes: list[str]) -> list[str]:
        """Fold runs of this configuration left RUNNING by a killed process (under this
        parent or an older one), marked KILLED; their ids."""
        search = self.client, self.experiment_id
        return close_orphaned_runs(*search, f"tags.`{PARENT_TAG}` = '{self.run_id}'") + [
            run_id
            for fold_hash in fold_hashes
            for run_id in close_orphaned_runs(*search, f"tags.`{CONFIG_HASH_TAG}` = '{fold_hash}'")
        ]

    def finished_fold(self, fold_hash: str) -> FinishedFold | None:
        runs = self.client.search_runs(
            [self.experiment_id],
            filter_string=f"tags.`{CONFIG_HASH_TAG}` = '{fold_hash}' and attributes.status = 'FINISHED'",
            max_results=1,
        )
        if not runs or "test/clip_acc" not in runs[0].data.metrics:
            return None
        with tempfile.TemporaryDirectory() as tmp:
            path = self.client.download_artifacts(runs[0].info.run_id, "test/confusion_matrix.csv", tmp)
            frame = pd.read_csv(path, index_col=0)
        return FinishedFold(
            runs[0].info.run_id, runs[0].data.metrics["test/clip_acc"], frame.to_numpy(), tuple(frame.index)
        )

    def log_results(self, summary: CvSummary, confusion: np.ndarray, class_names: tuple[str, ...], title: str) -> None:
        for key, value in summary.metrics().items():
            self.client.log_metric(self.run_id, key, value)
        self.client.log_param(self.run_id, "cv/folds", ",".join(map(str, summary.fold_means.index)))
        self.client.log_param(self.run_id, "cv/seeds", ",".join(map(str, sorted(summary.folds["seed"].unique()))))
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            summary.folds.to_csv(tmp / "folds.csv", index=False)
            pd.DataFrame(confusion, index=class_names, columns=class_names).to_csv(tmp / "confusion_matrix_summed.csv")
            plot_confusion_matrix(confusion, class_names, tmp / "confusion_matrix_summed.png", title)
            self.client.log_artifacts(self.run_id, str(tmp), "cv")

    def end(self, status: str) -> None:
        self.client.set_terminated(self.run_id, status)
