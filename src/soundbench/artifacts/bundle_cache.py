"""Bundles exported from checkpoints, kept per checkpoint content: the first ``predict`` on
a run exports it (ONNX export and checks: most of its start time), a second one on the same
run reuses that bundle and starts in seconds.

The key is the checkpoint's bytes, the run's logged config, the run id, and the source of
the code an export runs (artifacts, features, models, experiment): a retrained or replaced
checkpoint, or a soundbench whose export changed, exports anew instead of serving a stale
bundle.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Callable

from soundbench.artifacts.bundle import BUNDLE_FILE, ModelBundle, load_bundle
from soundbench.artifacts.trained_files import TrainedFiles

PACKAGE = Path(__file__).resolve().parents[1]
#: the code whose output a bundle is
EXPORT_CODE = ("artifacts", "features", "models", "experiment.py", "config_trust.py")


def export_code_digest() -> str:
    digest = hashlib.sha256()
    for entry in EXPORT_CODE:
        path = PACKAGE / entry
        for source in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(source.relative_to(PACKAGE).as_posix().encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def bundle_key(files: TrainedFiles) -> str:
    digest = hashlib.sha256(export_code_digest().encode())
    digest.update(files.run_id.encode() + b"\0")
    for part in (files.checkpoint, files.config):
        if part is not None:
            with open(part, "rb") as stream:
                for chunk in iter(lambda: stream.read(1 << 20), b""):
                    digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()[:20]


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
    try:
        partial.rename(folder)
    except OSError:  # another process exported the same checkpoint at the same time: keep its bundle
        shutil.rmtree(partial, ignore_errors=True)
    return load_bundle(folder)
