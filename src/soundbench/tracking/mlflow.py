"""What every MLflow run records beyond Lightning's per-epoch metrics: the resolved
config, provenance tags (MLflow's source and dataset input too, so its UI fills the runs
table's Source and Dataset columns), test results and artifacts."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pandas as pd
from lightning.pytorch.loggers import MLFlowLogger
from lightning.pytorch.utilities import rank_zero_only
from mlflow.utils.mlflow_tags import MLFLOW_GIT_COMMIT, MLFLOW_PARENT_RUN_ID, MLFLOW_SOURCE_NAME, MLFLOW_SOURCE_TYPE
from omegaconf import DictConfig, OmegaConf

from soundbench.plots import plot_confusion_matrix
from soundbench.project import project_root

if TYPE_CHECKING:  # only the type: tracking stays below training (which imports it)
    from soundbench.evaluation import ClipResults


CONFIG_HASH_TAG = "soundbench.config_hash"
#: which process runs a run: a RUNNING run whose process is gone was killed (kill -9, power loss)
HOST_TAG, PID_TAG = "soundbench.host", "soundbench.pid"
#: the file in a run folder that names its MLflow run, so resuming from its checkpoint continues that run
RUN_ID_FILE = "mlflow_run_id"
#: config parts that do not change what is trained or measured (a resumed run trains
#: the same thing as the one it resumes)
UNHASHED_KEYS = ("logger", "paths", "cv", "hydra", "ckpt_path", "target", "optimized_metric", "parent_run")


#: keys below the top level that say where or how fast, not what: the data is identified by
#: its fingerprint instead of its path, so moving it or another checkout resumes CV
UNHASHED_SUBKEYS = {"dataset": ("root",), "data": ("num_workers", "cache_dir", "bad_clips")}

#: what the MLflow UI nests child runs by (a CV's folds, a search's trials)
PARENT_TAG = MLFLOW_PARENT_RUN_ID


def config_hash(cfg: DictConfig, data_fingerprint: str) -> str:
    """Hash of the resolved config minus bookkeeping (where things are logged or stored,
    worker counts), plus the data's fingerprint (ClipIndex.fingerprint: files, labels,
    folds, sizes, mtimes). Two runs with the same hash train the same thing on the same data."""
    resolved = OmegaConf.to_container(cfg, resolve=True)
    meaningful = {k: v for k, v in resolved.items() if k not in UNHASHED_KEYS}
    for key, subkeys in UNHASHED_SUBKEYS.items():
        if isinstance(meaningful.get(key), dict):
            meaningful[key] = {k: v for k, v in meaningful[key].items() if k not in subkeys}
    meaningful["data_fingerprint"] = data_fingerprint
    return hashlib.sha256(json.dumps(meaningful, sort_keys=True, default=str).encode()).hexdigest()[:16]


def git_commit(cwd: Path) -> str:
    """HEAD commit, suffixed '-dirty' when the work tree has uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


class RunLogger(MLFlowLogger):
    """Lightning's MLflow logger, except that a stage ending well does not end the run.

    Lightning calls ``finalize("success")`` when ``fit`` returns, before the test fold is
    scored: with the stock logger, a process killed during testing left a FINISHED run
    with no test result, which CV resume then counted as done. Here the run stays RUNNING
    (its PID tag lets CV resume mark it KILLED) until :meth:`finish` is called after the test
    results are logged; a failure still ends it as FAILED at once."""

    @rank_zero_only
    def finalize(self, status: str = "success") -> None:
        if status in ("success", "finished") and not getattr(self, "_soundbench_done", False):
            if self._initialized and self._checkpoint_callback:
                self._scan_and_log_checkpoints(self._checkpoint_callback)
            return
        super().finalize(status)

    def finish(self) -> None:
        """The run has all its results: mark it FINISHED."""
        self._soundbench_done = True
        self.finalize("success")


def finish_run(logger: MLFlowLogger) -> None:
    """Mark a run whose results are all logged FINISHED (any MLflow logger a config names)."""
    logger.finish() if isinstance(logger, RunLogger) else logger.finalize("success")


def link_init_run(client, run_id: str, init_run_id: str) -> None:
    """The run's description links the run it was fine-tuned from (MLflow renders it as markdown)."""
    try:
        experiment = client.get_run(init_run_id).info.experiment_id
        link = f"[{init_run_id}](#/experiments/{experiment}/runs/{init_run_id})"
    except Exception:  # noqa: BLE001 — the pretrained run lives in another store: name it without a link
        link = init_run_id
    client.set_tag(run_id, "mlflow.note.content", f"Fine-tuned from run {link} (init=).")


def log_to_run(tracking_uri: str, run_id: str, metrics: dict[str, float], files: list[Path], folder: str) -> None:
    """Attach results computed after a run finished (a deploy report) to that run."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri)
    for key, value in metrics.items():
        client.log_metric(run_id, key, float(value))
    for path in files:
        client.log_artifact(run_id, str(path), folder)


def log_run_setup(logger: MLFlowLogger, cfg: DictConfig, tags: dict[str, str], hydra_dir: Path | None) -> None:
    """Config as flattened params, the resolved yaml (and Hydra's .hydra/ folder), tags."""
    resolved = OmegaConf.to_container(cfg, resolve=True)
    logger.log_hyperparams(resolved)  # Lightning flattens nested keys to "model/filters" style
    client, run_id = logger.experiment, logger.run_id
    for key, value in tags.items():
        client.set_tag(run_id, key, value)
    client.log_text(run_id, OmegaConf.to_yaml(cfg, resolve=True), "config/resolved.yaml")
    if hydra_dir is not None and hydra_dir.is_dir():
        client.log_artifacts(run_id, str(hydra_dir), ".hydra")


def source_tags(entry_point: str = "train.py") -> dict[str, str]:
    """MLflow's source tags (the runs table's Source column): the entry point and the commit
    of the checkout it ran from."""
    root = project_root()
    tags = {MLFLOW_SOURCE_TYPE: "LOCAL", MLFLOW_SOURCE_NAME: str(root / entry_point)}
    commit = git_commit(root).removesuffix("-dirty")
    if commit != "unknown":
        tags[MLFLOW_GIT_COMMIT] = commit
    return tags


@dataclass(frozen=True)
class DatasetRecord:
    """A run's dataset as MLflow shows it (the runs table's Dataset column)."""

    name: str
    digest: str  # soundbench's dataset fingerprint
    source: str  # the dataset folder
    profile: dict[str, Any]  # clip counts per split, classes, fold
    context: str = "training"


def log_dataset_input(client, run_id: str, record: DatasetRecord) -> None:
    """``record`` as an MLflow dataset input of the run (metadata only: no data is copied)."""
    from mlflow.data.dataset_source_registry import get_dataset_source_from_json
    from mlflow.data.meta_dataset import MetaDataset
    from mlflow.entities import DatasetInput, InputTag
    from mlflow.exceptions import MlflowException
    from mlflow.utils.mlflow_tags import MLFLOW_DATASET_CONTEXT

    class ClipIndexDataset(MetaDataset):
        @property
        def profile(self) -> dict[str, Any]:
            return record.profile

        def to_dict(self) -> dict[str, str]:  # MetaDataset's leaves the profile out
            return {**super().to_dict(), "profile": json.dumps(record.profile)}

    # a local folder, said so: MLflow registers two "local" sources (schemes "" and "file"), so
    # resolving a bare path warns that it "can be interpreted in multiple ways"
    source = get_dataset_source_from_json(json.dumps({"uri": record.source}), "local")
    dataset = ClipIndexDataset(source, name=record.name, digest=record.digest)
    inputs = [DatasetInput(dataset._to_mlflow_entity(), tags=[InputTag(MLFLOW_DATASET_CONTEXT, record.context)])]
    try:
        client.log_inputs(run_id, datasets=inputs)
    except MlflowException as error:
        # parallel jobs (a sweep's SLURM array) insert the same new dataset at once: the store's
        # unique key refuses the slower one; the record is there now, so logging again links it
        if not _is_duplicate_key(error):
            raise
        time.sleep(0.5)
        client.log_inputs(run_id, datasets=inputs)


def _is_duplicate_key(error: Exception) -> bool:
    text = str(error).lower()
    return any(s in text for s in ("unique constraint", "uniqueviolation", "duplicate key", "integrityerror"))


def artifact_location(tracking_uri: str, configured: str | None) -> str | None:
    """Where a new experiment stores artifacts: a tracking *server* decides itself (its
    ``--artifacts-destination``, proxied to every client), so a local folder is only for
    the local sqlite store; with a server it would leave artifacts on the training machine."""
    return None if urlparse(str(tracking_uri)).scheme in ("http", "https") else configured


#: MLflow 3's UI opens an experiment without this tag in its GenAI view (traces, sessions);
#: tagged, it opens the runs table of a model-training experiment
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
TRAINING_EXPERIMENT = {EXPERIMENT_KIND_TAG: "custom_model_development"}


def sqlite_path(tracking_uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` tracking URI (None for servers and other stores)."""
    uri = str(tracking_uri)
    return Path(uri.removeprefix("sqlite:///")) if uri.startswith("sqlite:///") else None


def prepare_store(tracking_uri: str) -> None:
    """Create or upgrade a sqlite tracking store once, under a file lock beside it.

    Opening a new (or older) database makes MLflow run its schema migrations; two processes
    doing it at once (two first runs, a joblib multirun, a SLURM array on a new store) both
    fail (``table _alembic_tmp_metrics already exists``, ``duplicate column name``). The
    first to take the lock migrates, the others wait and find the schema current; MLflow
    caches the opened store per process, so later clients do not migrate again."""
    from filelock import FileLock
    from mlflow import MlflowClient

    database = sqlite_path(tracking_uri)
    if database is None:
        return
    database.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{database}.lock"):
        MlflowClient(tracking_uri).search_experiments(max_results=1)


def ensure_experiment(tracking_uri: str, name: str, artifact_location: str | None) -> str:
    """The experiment's id, created if needed. Parallel jobs (a SLURM array, joblib) start
    together: when another one creates it first, use theirs instead of failing."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    prepare_store(tracking_uri)
    client = MlflowClient(tracking_uri)
    existing = client.get_experiment_by_name(name)
    if existing is None:
        try:
            return client.create_experiment(name, artifact_location=artifact_location, tags=TRAINING_EXPERIMENT)
        except MlflowException:
            existing = client.get_experiment_by_name(name)
            if existing is None:
                raise
    if EXPERIMENT_KIND_TAG not in existing.tags:  # made before soundbench said what kind it is
        client.set_experiment_tag(existing.experiment_id, EXPERIMENT_KIND_TAG, TRAINING_EXPERIMENT[EXPERIMENT_KIND_TAG])
    return existing.experiment_id


def log_test_results(
    logger: MLFlowLogger, results: ClipResults, salience: pd.Series | None, best_checkpoint: str | None, title: str
) -> None:
    client, run_id = logger.experiment, logger.run_id
    per_class = results.per_class_accuracy()
    for name, acc in per_class.items():
        client.log_metric(run_id, f"test/class_acc/{_metric_safe(name)}", acc)
    if salience is not None:  # UrbanSound8K: 1 = foreground, 2 = background
        for value, label in ((1, "foreground"), (2, "background")):
            client.log_metric(run_id, f"test/clip_acc_{label}", results.accuracy_where(salience.to_numpy() == value))
    confusion = results.confusion()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        plot_confusion_matrix(confusion, results.class_names, tmp / "confusion_matrix.png", title)
        pd.DataFrame(confusion, index=results.class_names, columns=results.class_names).to_csv(
            tmp / "confusion_matrix.csv"
        )
        (tmp / "per_class_accuracy.json").write_text(json.dumps(per_class, indent=2))
        client.log_artifacts(run_id, str(tmp), "test")
    if best_checkpoint:
        client.log_artifact(run_id, best_checkpoint, "checkpoints")


def _metric_safe(name: str) -> str:
    # MLflow metric names allow alphanumerics, _ - . space / only
    return "".join(c if c.isalnum() or c in "_-. /" else "_" for c in name).strip("_") or "class"


def owner_tags() -> dict[str, str]:
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}


def _process_is_gone(run) -> bool:
    """Only decidable for runs started on this machine."""
    tags = run.data.tags
    if tags.get(HOST_TAG) != socket.gethostname() or not tags.get(PID_TAG, "").isdigit():
        return False
    try:
        os.kill(int(tags[PID_TAG]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        pass
    return False


def close_orphaned_runs(client, experiment_id: str, filter_string: str) -> list[str]:
    """Mark KILLED the RUNNING runs matching ``filter_string`` whose process no longer exists
    (left RUNNING forever by kill -9); returns their ids. Runs of live processes, or started
    on another machine, are left alone."""
    running = client.search_runs([experiment_id], filter_string=f"{filter_string} and attributes.status = 'RUNNING'")
    orphans = [r.info.run_id for r in running if _process_is_gone(r)]
    for run_id in orphans:
        client.set_terminated(run_id, "KILLED")
    return orphans


def resumed_run_id(ckpt_path: str | Path) -> str | None:
    """The MLflow run a checkpoint's run folder (<run dir>/checkpoints/x.ckpt) belongs to."""
    marker = Path(ckpt_path).resolve().parent.parent / RUN_ID_FILE
    return marker.read_text().strip() if marker.is_file() else None
