"""On-disk cache of decoded clips: every clip of a dataset decoded once (soundfile, mono,
resampled to the front end's rate) into one memory-mappable float32 array, keyed by a hash
of what determines it (the clip table and the sample rate). Training then slices windows
from the memory map instead of decoding and resampling audio in every run.

Why waveforms and not spectrograms: the front end runs inside the model step on each
window exactly as it will on a device (per-window dB floor and normalisation), waveform
augmentation stays possible, and the cache serves every feature type at that rate.
Layout: ``<cache_dir>/<key>/{audio.npy, clips.csv, complete}``. A build writes into a folder
of its own and renames it into place when complete, so an interrupted build is redone rather
than half-used, and two runs building the same cache at once (parallel seeds, a sweep) never
delete or truncate the memory map the other is reading (which killed the reader with SIGBUS).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from soundbench.data.index import ClipIndex

CACHE_VERSION = 1


def cache_key(index: ClipIndex, sample_rate: int) -> str:
    root = os.path.commonpath(list(index.table["path"]))  # the cache stores absolute paths
    digest = hashlib.sha256(f"v{CACHE_VERSION}|{index.fingerprint()}|{sample_rate}|{root}".encode())
    return digest.hexdigest()[:16]


def cache_path(cache_dir: str | Path, index: ClipIndex, sample_rate: int) -> Path:
    return Path(cache_dir) / cache_key(index, sample_rate)


def build_cache(index: ClipIndex, sample_rate: int, cache_dir: str | Path, decode) -> Path:
    """Decode every clip of ``index`` with ``decode(index) -> list[Tensor]`` (unless cached)."""
    path = cache_path(cache_dir, index, sample_rate)
    if (path / "complete").is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=path.parent, prefix=f"{path.name}.building-"))
    _write(index, sample_rate, building, decode)
    try:
        building.rename(path)
    except OSError:  # another run finished the same cache first (or left an incomplete one)
        if not (path / "complete").is_file():
            shutil.rmtree(path, ignore_errors=True)
            building.rename(path)
            return path
        shutil.rmtree(building, ignore_errors=True)
    return path


def _write(index: ClipIndex, sample_rate: int, path: Path, decode) -> None:
    clips = decode(index)
    lengths = np.array([len(c) for c in clips], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    audio = np.lib.format.open_memmap(path / "audio.npy", mode="w+", dtype=np.float32, shape=(int(lengths.sum()),))
    for clip, offset in zip(clips, offsets):
        audio[offset : offset + len(clip)] = clip.numpy()
    audio.flush()
    _keys(index.table).assign(offset=offsets, length=lengths).to_csv(path / "clips.csv", index=False)
    (path / "complete").write_text(f"{len(clips)} clips at {sample_rate} Hz\n")


def read_cached(index: ClipIndex, path: Path) -> list[torch.Tensor]:
    """Clips of ``index`` (any subset of the cached dataset) as views of the memory map."""
    audio = np.load(path / "audio.npy", mmap_mode="r")
    table = pd.read_csv(path / "clips.csv", keep_default_na=False, na_values=[""])
    where = {key: (o, n) for key, o, n in zip(_row_keys(table), table["offset"], table["length"])}
    clips = []
    for key in _row_keys(_keys(index.table)):
        offset, length = where[key]
        clips.append(torch.from_numpy(np.array(audio[offset : offset + length])))  # copy: writable, off the map
    return clips


def _keys(table: pd.DataFrame) -> pd.DataFrame:
    return table[["path", "start", "duration"]].reset_index(drop=True)


def _row_keys(table: pd.DataFrame) -> list[tuple]:
    return [
        (str(p), round(float(s), 6), None if pd.isna(d) else round(float(d), 6))
        for p, s, d in zip(table["path"], table["start"], table["duration"])
    ]
