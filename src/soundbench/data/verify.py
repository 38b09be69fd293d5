"""Checking a downloaded dataset: every listed file present, and matching the project's
checksum table where it ships one (UrbanSound8K)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from soundbench.data.datasets.base import AudioCorpus
from soundbench.data.download import file_hash
from soundbench.data.index import DatasetError


def verify_dataset(corpus: AudioCorpus) -> dict:
    """Every file the metadata lists is present; where the project ships a checksum table
    (UrbanSound8K), every file matches it. Raises DatasetError with the list otherwise."""
    corpus.check_root()
    table, _ = corpus.read_table()
    paths = list(dict.fromkeys(table["path"]))
    missing = [p for p in paths if not Path(p).is_file()]
    mismatched = _checksum_mismatches(corpus, [p for p in paths if p not in set(missing)])
    report = {
        "dataset": corpus.name,
        "root": str(corpus.root),
        "files_listed": len(paths),
        "missing": missing,
        "checksum_mismatches": mismatched,
        "ok": not missing and not mismatched,
    }
    if not report["ok"]:
        lines = [f"missing: {p}" for p in missing[:20]] + [f"checksum mismatch: {m}" for m in mismatched[:20]]
        raise DatasetError(
            f"{corpus.name} at {corpus.root}: {len(missing)} of {len(paths)} listed files missing, "
            f"{len(mismatched)} with a wrong checksum:\n  "
            + "\n  ".join(lines)
            + "\nComplete the download (delete the folder and rerun `dvc repro download`)."
        )
    return report


def checksum_table(name: str) -> pd.DataFrame | None:
    resource = resources.files("soundbench.data") / "checksums" / f"{name}_sha256.csv"
    return pd.read_csv(resource) if resource.is_file() else None


def _checksum_mismatches(corpus: AudioCorpus, paths: list[str]) -> list[str]:
    table = checksum_table(corpus.name)
    if table is None:
        return []
    expected = dict(zip(table["slice_file_name"], table["sha256"]))
    bad = []
    for path in tqdm(paths, desc=f"Checking {corpus.name} sha256", unit="file", disable=len(paths) < 100):
        want = expected.get(Path(path).name)
        actual = file_hash(path)
        if want is None or actual != want:
            bad.append(f"{path} (expected {want}, got {actual})")
    return bad
