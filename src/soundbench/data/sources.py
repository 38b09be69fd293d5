"""Where each public dataset comes from, and fetching it (see verify.py for checking it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from soundbench.data.download import download, extract
from soundbench.data.index import DatasetError


@dataclass(frozen=True)
class Source:
    url: str
    checksum: str | None  # "sha256:…" / "md5:…"; None where the publisher gives none
    archive: str  # file name under <data_dir>/downloads/
    folder: str  # the folder the archive extracts to (becomes dataset.root)


SOURCES = {
    # Zenodo record 1203745 publishes the md5
    "urbansound8k": Source(
        "https://zenodo.org/record/1203745/files/UrbanSound8K.tar.gz",
        "md5:9aa69802bbf37fb986f71ec1483a196e",
        "UrbanSound8K.tar.gz",
        "UrbanSound8K",
    ),
    # GitHub's archive of a branch has no stable checksum; `verify` checks every listed file
    "esc50": Source(
        "https://github.com/karolpiczak/ESC-50/archive/master.zip", None, "ESC-50-master.zip", "ESC-50-master"
    ),
    # the checksum torchaudio's SPEECHCOMMANDS dataset pins for the v0.02 archive
    "speechcommands": Source(
        "http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz",
        "sha256:af14739ee7dc311471de98f5f9d2c9191b18aedfe957f4a6ff791c709868ff58",
        "speech_commands_v0.02.tar.gz",
        "speech_commands_v0.02",
    ),
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
    else:  # Speech Commands: files at the archive's top level
        staging.rename(root)
    return root
