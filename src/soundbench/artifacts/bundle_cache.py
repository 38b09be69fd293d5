"""Bundles exported from checkpoints, kept per checkpoint content: the first ``predict`` on
a run exports it (ONNX export and checks: most of its start time), a second one on the same
run reuses that bundle and starts in seconds.

The key is the checkpoint's bytes, the run's logged config, the run id, and the source of
the code an export runs (artifacts, features, models, experiment): a retrained or replaced
checkpoint, or a soundbench whose export changed, exports anew instead of serving a stale
bundle. An event decision layer tuned on the old bundle (``decision.json``, from
``python -m soundbench.events tune``) belongs to the checkpoint's weights, not to the export:
a re-export of the same checkpoint carries it over and says so, a new checkpoint does not.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Callable

from soundbench.artifacts.bundle import BUNDLE_FILE, ModelBundle, load_bundle
from soundbench.artifacts.trained_files import TrainedFiles

PACKAGE = Path(__file__).resolve().parents[1]
#: the code whose output a bundle is
EXPORT_CODE = ("artifacts", "features", "models", "experiment.py", "config_trust.py")
#: beside each cached bundle: what it was exported from
SOURCE_FILE = "cache_source.json"
#: the tuned decision layer's file (soundbench.predict.decision.DECISION_FILE; predict sits above artifacts)
DECISION_FILE = "decision.json"


def export_code_digest() -> str:
    digest = hashlib.sha256()
    for entry in EXPORT_CODE:
        path = PACKAGE / entry
        for source in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(source.relative_to(PACKAGE).as_posix().encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def _file_digest(path: Path | None) -> str:
    digest = hashlib.sha256()
    if path is not None:
        with open(path, "rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def bundle_key(files: TrainedFiles) -> str:
    parts = (export_code_digest(), files.run_id, _file_digest(files.checkpoint), _file_digest(files.config))
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:20]


def _source(files: TrainedFiles) -> dict:
    return {"run_id": files.run_id, "checkpoint_sha256": _file_digest(files.checkpoint)}


def _carry_over_decision(cache_dir: Path, folder: Path, source: dict) -> None:
    """Copy the newest ``decision.json`` tuned on another export of the same checkpoint."""
    tuned = []
    for entry in cache_dir.glob(f"*/{SOURCE_FILE}"):
        decision = entry.parent / DECISION_FILE
        if entry.parent != folder and decision.is_file() and json.loads(entry.read_text()) == source:
            tuned.append(decision)
    if tuned:
        newest = max(tuned, key=lambda path: path.stat().st_mtime)
        shutil.copy2(newest, folder / DECISION_FILE)
        print(
            f"Carried over the decision layer tuned on an earlier export of this checkpoint ({newest}); "
            "`python -m soundbench.events tune` re-tunes it"
        )


def cached_bundle(files: TrainedFiles, cache_dir: Path, export: Callable[[Path], ModelBundle]) -> ModelBundle:
    """The bundle of ``files`` from ``cache_dir``, exported there first (by ``export(folder)``)
    when it is not there yet. A half-written export (killed) is never served: it is written
    beside the cache entry and moved into place when complete."""
    cache_dir = Path(cache_dir)
    folder = cache_dir / bundle_key(files)
    if (folder / BUNDLE_FILE).is_file():
        print(f"Using the bundle exported before from this checkpoint: {folder}")
        return load_bundle(folder)
    partial = cache_dir / f".{folder.name}.{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    print(f"Exporting {files.run_id or files.checkpoint} to a model bundle in {folder} (reused by later predictions)")
    export(partial)
    source = _source(files)
    (partial / SOURCE_FILE).write_text(json.dumps(source))
    _carry_over_decision(cache_dir, partial, source)
    try:
        partial.rename(folder)
    except OSError:  # another process exported the same checkpoint at the same time: keep its bundle
        shutil.rmtree(partial, ignore_errors=True)
    return load_bundle(folder)
