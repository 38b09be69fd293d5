"""Where each public dataset comes from, and how to check what was downloaded."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from soundbench.data.datasets.base import AudioCorpus
from soundbench.data.download import download, extract, file_hash
from soundbench.data.index import DatasetError


@dataclass(frozen=True)
class Source:
    url: str
    checksum: str | None   # "sha256:…" / "md5:…"; None where the publisher gives none
    archive: str           # file name under <data_dir>/downloads/
    folder: str            # the folder the archive extracts to (becomes dataset.root)


SOURCES = {
    # Zenodo record 1203745 publishes the md5
    "urbansound8k": Source("https://zenodo.org/record/1203745/files/UrbanSound8K.tar.gz",
                           "md5:9aa69802bbf37fb986f71ec1483a196e", "UrbanSound8K.tar.gz", "UrbanSound8K"),
    # GitHub's archive of a branch has no stable checksum; `verify` checks every listed file
    "esc50": Source("https://github.com/karolpiczak/ESC-50/archive/master.zip", None, "ESC-50-master.zip",
                    "ESC-50-master"),
    # the checksum torchaudio's SPEECHCOMMANDS dataset pins for the v0.02 archive
    "speechcommands": Source("http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz",
                             "sha256:af14739ee7dc311471de98f5f9d2c9191b18aedfe957f4a6ff791c709868ff58",
                             "speech_commands_v0.02.tar.gz", "speech_commands_v0.02"),
}
SOURCES["esc10"] = SOURCES["esc50"]
SOURCES["speechcommands12"] = SOURCES["speechcommands"]


def fetch_dataset(name: str, data_dir: str | Path, url: str | None = None) -> Path:
    """Download (resumable, verified) and extract dataset ``name`` under ``data_dir``; returns
    its root. ``url`` overrides the official address (a mirror, or file:// for a local copy)."""
    if name not in SOURCES:
        raise DatasetError(f"no download source for dataset {name!r}; known: {', '.join(sorted(SOURCES))}")
    source = SOURCES[name]
    data_dir = Path(data_dir)
    root = data_dir / source.folder
    if root.is_dir():
        return root
    archive = download(url or source.url, data_dir / "downloads" / source.archive, source.checksum)
    staging = extract(archive, data_dir / f".{source.folder}")
    inner = staging / source.folder
    if inner.is_dir():  # the archive holds one top-level folder
        inner.rename(root)
        staging.rmdir()
    else:               # Speech Commands: files at the archive's top level
        staging.rename(root)
    return root


def verify_dataset(corpus: AudioCorpus) -> dict:
    """Every file the metadata lists is present; where the project ships a checksum table
    (UrbanSound8K), every file matches it. Raises DatasetError with the list otherwise."""
    corpus.check_root()
    table, _ = corpus.read_table()
    paths = list(dict.fromkeys(table["path"]))
    missing = [p for p in paths if not Path(p).is_file()]
    mismatched = _checksum_mismatches(corpus, [p for p in paths if p not in set(missing)])
    report = {"dataset": corpus.name, "root": str(corpus.root), "files_listed": len(paths),
              "missing": missing, "checksum_mismatches": mismatched,
              "ok": not missing and not mismatched}
    if not report["ok"]:
        lines = [f"missing: {p}" for p in missing[:20]] + [f"checksum mismatch: {m}" for m in mismatched[:20]]
        raise DatasetError(f"{corpus.name} at {corpus.root}: {len(missing)} of {len(paths)} listed files missing, "
                           f"{len(mismatched)} with a wrong checksum:\n  " + "\n  ".join(lines)
                           + "\nComplete the download (delete the folder and rerun `dvc repro download`).")
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
