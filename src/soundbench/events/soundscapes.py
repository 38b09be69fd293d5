"""Soundscapes with ground truth: real clips placed at known onsets over real background.

Each soundscape is seeded (``seed``, split, index): a background recording looped to the
soundscape's length from a random offset at ``background_db`` RMS, and a Poisson number of
events (``events_per_minute``) that never overlap and keep at least ``min_gap_s`` apart, each
at a signal-to-noise ratio drawn from ``snr_db`` (the RMS of the event's sounding part over the
background's RMS). An event is the sounding part of its clip (leading and trailing stretches
more than 40 dB under the clip's loudest 10 ms are trimmed: ESC-50's clips are padded with
digital silence), so the annotation's onset and offset are where the sound is.

A split's soundscapes come only from that split's clips (the validation soundscapes from
the validation clips, the test ones from the test clips) and from backgrounds no model
trained on, so tuning a decision layer on validation never sees a test clip.

Written per split: ``audio/<name>.wav``, ``annotations.tsv`` (DCASE's format: filename,
onset, offset, event_label), ``events.csv`` (each event's source clip and SNR) and
``manifest.json``: the settings and the sources' file signatures, so a changed setting or a
replaced clip rebuilds the split instead of serving stale soundscapes.

Why not Scaper: its latest release (1.6.5) calls ``np.Inf``, which NumPy 2 removed, and
depends on soxbindings, which compiles against libsox headers; what it would do here (place,
scale, mix, annotate) is the few functions below.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
from tqdm import tqdm

from soundbench.data.audio import read_audio
from soundbench.file_signature import file_signature

GENERATOR_VERSION = 1  # bump when the placement or mixing changes: rebuilds every soundscape
SPLIT_SEEDS = {"validation": 1, "test": 2}
TRIM_DB = 40.0
ANNOTATIONS = "annotations.tsv"


@dataclass(frozen=True)
class SoundscapeSpec:
    name: str  # names the soundscapes: <name>_<split>_<index>.wav
    sample_rate: int
    seconds: float = 30.0
    count: int = 40  # soundscapes per split
    events_per_minute: float = 12.0
    min_gap_s: float = 0.5
    snr_db: tuple[float, float] = (6.0, 18.0)
    background_db: float = -35.0  # RMS of the background, dB re full scale
    seed: int = 0

    def __post_init__(self) -> None:
        if self.snr_db[0] > self.snr_db[1]:
            raise ValueError(f"soundscapes.snr_db={list(self.snr_db)}: give [low, high]")
        if self.count < 1 or self.seconds <= 0 or self.events_per_minute <= 0:
            raise ValueError("soundscapes.count, seconds and events_per_minute must be positive")


@dataclass(frozen=True)
class ClipSources:
    """What one split's soundscapes are made of."""

    events: pd.DataFrame  # path, class_name, start, duration (NaN: to the end)
    backgrounds: tuple[Path, ...]

    def __post_init__(self) -> None:
        if self.events.empty:
            raise ValueError("no event clips for these soundscapes: check the dataset's root and split")
        if not self.backgrounds:
            raise ValueError("no background recordings: check soundscapes.background (root, classes, folds)")


@dataclass(frozen=True)
class SoundscapeSet:
    folder: Path
    audio: tuple[Path, ...]
    annotations: pd.DataFrame  # filename, onset, offset, event_label
    seconds: float

    @property
    def hours(self) -> float:
        return len(self.audio) * self.seconds / 3600

    @classmethod
    def read(cls, folder: Path) -> SoundscapeSet:
        manifest = json.loads((folder / "manifest.json").read_text())
        annotations = pd.read_csv(folder / ANNOTATIONS, sep="\t", dtype={"event_label": str})
        audio = tuple(folder / "audio" / name for name in manifest["files"])
        return cls(folder, audio, annotations, float(manifest["spec"]["seconds"]))


def build_split(spec: SoundscapeSpec, sources: ClipSources, split: str, folder: Path) -> SoundscapeSet:
    """The split's soundscapes in ``folder``: reused when built from the same settings and
    source files, else (re)built into a temporary folder and renamed into place."""
    key = _manifest_key(spec, sources, split)
    manifest = folder / "manifest.json"
    if manifest.is_file() and json.loads(manifest.read_text()).get("key") == key:
        return SoundscapeSet.read(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    (work / "audio").mkdir()
    rows, names = [], []
    for index in tqdm(range(spec.count), desc=f"{spec.name} {split} soundscapes", leave=False):
        name = f"{spec.name}_{split}_{index:03d}.wav"
        rng = np.random.default_rng([spec.seed, SPLIT_SEEDS[split], index])
        mix, events = _soundscape(spec, sources, rng)
        sf.write(work / "audio" / name, mix, spec.sample_rate, subtype="PCM_16")
        rows += [{"filename": name, **event} for event in events]
        names.append(name)
    table = pd.DataFrame(rows, columns=["filename", "onset", "offset", "event_label", "source", "snr_db"])
    table[["filename", "onset", "offset", "event_label"]].to_csv(work / ANNOTATIONS, sep="\t", index=False)
    table.to_csv(work / "events.csv", index=False)
    (work / "manifest.json").write_text(
        json.dumps({"key": key, "split": split, "spec": asdict(spec), "files": names}, indent=2)
    )
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(work, folder)
    return SoundscapeSet.read(folder)


def _manifest_key(spec: SoundscapeSpec, sources: ClipSources, split: str) -> str:
    digest = hashlib.sha256(json.dumps([GENERATOR_VERSION, asdict(spec), split], default=str).encode())
    events = sources.events[["path", "class_name", "start", "duration"]].to_csv(index=False)
    digest.update(events.encode())
    for path in sorted({*sources.events["path"], *map(str, sources.backgrounds)}):
        digest.update(f"{path}:{file_signature(path)}".encode())
    return digest.hexdigest()


def _soundscape(spec: SoundscapeSpec, sources: ClipSources, rng: np.random.Generator) -> tuple[np.ndarray, list]:
    length = round(spec.seconds * spec.sample_rate)
    background = _background(sources.backgrounds[rng.integers(len(sources.backgrounds))], spec, length, rng)
    clips = _pick_clips(spec, sources.events, rng)
    onsets = _onsets([len(c) / spec.sample_rate for _, c in clips], spec, rng)
    mix = background.copy()
    background_rms = _rms(background)
    events = []
    for (row, clip), onset in zip(clips, onsets):
        snr = float(rng.uniform(*spec.snr_db))
        first = round(onset * spec.sample_rate)
        mix[first : first + len(clip)] += clip * (background_rms * 10 ** (snr / 20) / _rms(clip))
        events.append(
            {
                "onset": round(first / spec.sample_rate, 4),
                "offset": round((first + len(clip)) / spec.sample_rate, 4),
                "event_label": row.class_name,
                "source": row.path,
                "snr_db": round(snr, 2),
            }
        )
    peak = np.abs(mix).max()
    if peak > 0.99:  # scale the whole mix: every SNR is kept
        mix *= 0.99 / peak
    return mix.astype(np.float32), events


def _background(path: Path, spec: SoundscapeSpec, length: int, rng: np.random.Generator) -> np.ndarray:
    audio = read_audio(path, spec.sample_rate).numpy().astype(np.float64)
    if _rms(audio) == 0:
        raise ValueError(f"background {path} is silent; remove it from the background set")
    looped = np.resize(np.roll(audio, -int(rng.integers(len(audio)))), length)  # np.resize repeats it
    return looped * (10 ** (spec.background_db / 20) / _rms(looped))


def _pick_clips(spec: SoundscapeSpec, events: pd.DataFrame, rng: np.random.Generator) -> list:
    """A Poisson number (at least one) of random clips, as many as fit with their gaps."""
    wanted = max(1, int(rng.poisson(spec.events_per_minute * spec.seconds / 60)))
    picked, used = [], spec.min_gap_s
    for row in events.iloc[rng.integers(len(events), size=wanted)].itertuples():
        duration = None if pd.isna(row.duration) else float(row.duration)
        clip = trim(read_audio(row.path, spec.sample_rate, float(row.start), duration).numpy(), spec.sample_rate)
        seconds = len(clip) / spec.sample_rate
        if used + seconds + spec.min_gap_s > spec.seconds:
            continue
        picked.append((row, clip.astype(np.float64)))
        used += seconds + spec.min_gap_s
    if not picked:
        raise ValueError(f"no clip fits a {spec.seconds} s soundscape with {spec.min_gap_s} s gaps: make it longer")
    return picked


def _onsets(durations: list[float], spec: SoundscapeSpec, rng: np.random.Generator) -> list[float]:
    """Onsets that keep events ``min_gap_s`` apart and from both ends; the spare time is
    shared out at random (a Dirichlet split)."""
    spare = spec.seconds - sum(durations) - (len(durations) + 1) * spec.min_gap_s
    gaps = rng.dirichlet(np.ones(len(durations) + 1)) * max(spare, 0.0) + spec.min_gap_s
    onsets, t = [], 0.0
    for gap, duration in zip(gaps, durations):
        t += gap
        onsets.append(t)
        t += duration
    return onsets


def trim(audio: np.ndarray, sample_rate: int, below_peak_db: float = TRIM_DB) -> np.ndarray:
    """The clip from its first to its last 10-ms frame within ``below_peak_db`` of its loudest."""
    frame = max(1, sample_rate // 100)
    n = max(1, len(audio) // frame)
    levels = 10 * np.log10(np.square(audio[: n * frame].reshape(n, frame)).mean(axis=1) + 1e-20)
    loud = np.flatnonzero(levels >= levels.max() - below_peak_db)
    return audio[loud[0] * frame : (loud[-1] + 1) * frame] if len(audio) >= frame else audio


def _rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio))))
