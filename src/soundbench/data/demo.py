"""Deterministic generator of the offline demo dataset, written in the ESC-50 layout
(``audio/{fold}-{source}-{take}-{target}.wav`` + ``meta/esc50.csv``) so that the ESC-50
loader reads it unchanged.

Eight synthetic urban sounds. They are told apart by structure, not by one easy cue:
siren and horn are both tonal in the same range, bark and chirp are both short bursts,
engine and drilling are both periodic; every clip has its event at a random offset and
length, up to two quieter events of other classes, random gain, and background noise
at a random SNR (0-15 dB).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
from filelock import FileLock
from tqdm import tqdm

GENERATOR_VERSION = 2
CLASSES = ("siren", "engine_idle", "dog_bark", "drilling", "car_horn", "rain", "bird_chirp", "clock_tick")
CLIP_SECONDS = 4.0  # each clip's length


def generate_demo(
    root: str | Path,
    clips_per_class: int = 40,
    n_folds: int = 5,
    sample_rate: int = 22050,
    seconds: float = CLIP_SECONDS,
    seed: int = 0,
) -> Path:
    """Write the demo dataset under ``root`` (atomically: a half-written dataset is never
    visible) unless an identical one is already there. Returns ``root``."""
    root = Path(root)
    stamp = f"version={GENERATOR_VERSION} clips={clips_per_class} folds={n_folds} sr={sample_rate} s={seconds} seed={seed}"
    if _is_generated(root, stamp):
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    # Parallel sweep jobs start together: the lock makes the second wait for the first and
    # then find the dataset there, instead of replacing it while the first one reads it.
    with FileLock(str(root.parent / f".{root.name}.lock")):
        if not _is_generated(root, stamp):
            _generate(root, stamp, clips_per_class, n_folds, sample_rate, seconds, seed)
    return root


def _is_generated(root: Path, stamp: str) -> bool:
    return (root / "meta" / "esc50.csv").is_file() and _read_stamp(root) == stamp


def _generate(root: Path, stamp: str, clips_per_class: int, n_folds: int, sample_rate: int,
              seconds: float, seed: int) -> None:
    staging = Path(tempfile.mkdtemp(prefix=".demo-", dir=root.parent))
    try:
        _write_clips(staging, clips_per_class, n_folds, sample_rate, seconds, seed)
        (staging / "GENERATED").write_text(stamp + "\n")
        if root.exists():
            shutil.rmtree(root)
        os.replace(staging, root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _read_stamp(root: Path) -> str | None:
    stamp = root / "GENERATED"
    return stamp.read_text().strip() if stamp.is_file() else None


def _write_clips(out: Path, clips_per_class: int, n_folds: int, sr: int, seconds: float, seed: int) -> None:
    (out / "audio").mkdir(parents=True)
    (out / "meta").mkdir()
    rows = []
    jobs = [(target, k) for target in range(len(CLASSES)) for k in range(clips_per_class)]
    for target, k in tqdm(jobs, desc="Generating demo dataset", unit="clip", leave=False,
                          disable=None):  # None: on a terminal only
        rng = np.random.default_rng([seed, target, k])
        clip = synthesize(CLASSES[target], rng, sr, seconds)
        fold = 1 + k % n_folds
        source = 1000 * (target + 1) + k
        filename = f"{fold}-{source}-A-{target}.wav"
        sf.write(out / "audio" / filename, clip, sr, subtype="PCM_16")
        rows.append((filename, fold, target, CLASSES[target], False, source, "A"))
    columns = ["filename", "fold", "target", "category", "esc10", "src_file", "take"]
    pd.DataFrame(rows, columns=columns).to_csv(out / "meta" / "esc50.csv", index=False)


def synthesize(name: str, rng: np.random.Generator, sr: int, seconds: float) -> np.ndarray:
    """One clip of class ``name``: the event at a random offset, quieter distractor events
    of other classes (as in real street scenes), and background noise at 0-15 dB SNR."""
    n = int(sr * seconds)
    clip = _place(_event(name, rng, sr, n), rng, n)
    others = [c for c in CLASSES if c != name]
    for distractor in rng.choice(others, size=rng.integers(0, 3), replace=False):
        level = 10 ** (-rng.uniform(8.0, 20.0) / 20)
        clip += level * _place(_event(str(distractor), rng, sr, n), rng, n)
    noise = _pink_noise(rng, n)
    snr_db = rng.uniform(0.0, 15.0)
    signal_power = np.mean(clip**2)
    clip += noise * np.sqrt(signal_power / (np.mean(noise**2) * 10 ** (snr_db / 10)))
    gain = 10 ** (rng.uniform(-20.0, -1.0) / 20)
    return (gain * clip / (np.abs(clip).max() + 1e-9)).astype(np.float32)


def _event(name: str, rng: np.random.Generator, sr: int, n: int) -> np.ndarray:
    event = EVENTS[name](rng, sr, int(n * rng.uniform(0.3, 1.0)))
    return event / (np.sqrt(np.mean(event**2)) + 1e-9)


def _place(event: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
    out = np.zeros(n)
    offset = rng.integers(0, n - len(event) + 1)
    out[offset:offset + len(event)] = event
    return out


def _pink_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    spectrum /= np.sqrt(np.arange(1, len(spectrum) + 1))
    return np.fft.irfft(spectrum, n)


def _harmonics(phase: np.ndarray, n_harmonics: int, rolloff: float) -> np.ndarray:
    return sum(rolloff**h * np.sin((h + 1) * phase) for h in range(n_harmonics))


def _siren(rng, sr, n):
    t = np.arange(n) / sr
    center, depth, rate = rng.uniform(600, 1200), rng.uniform(150, 500), rng.uniform(0.3, 4.0)
    freq = center + depth * np.sin(2 * np.pi * rate * t + rng.uniform(0, 2 * np.pi))
    return _harmonics(2 * np.pi * np.cumsum(freq) / sr, 3, 0.4)


def _engine_idle(rng, sr, n):
    t = np.arange(n) / sr
    f0 = rng.uniform(25, 60)
    firing = 1 + 0.6 * np.sin(2 * np.pi * f0 / 2 * t) ** 2
    rumble = np.convolve(rng.standard_normal(n), np.ones(64) / 64, mode="same")
    return firing * _harmonics(2 * np.pi * f0 * t, 12, 0.8) + 2 * rumble


def _burst_train(rng, sr, n, count, burst_seconds, make_burst):
    out = np.zeros(n)
    for _ in range(count):
        length = min(n, int(sr * rng.uniform(*burst_seconds)))
        start = rng.integers(0, n - length + 1)
        out[start:start + length] += make_burst(length)
    return out


def _dog_bark(rng, sr, n):
    def bark(length):
        t = np.arange(length) / sr
        f0 = rng.uniform(350, 900) * np.exp(-t * rng.uniform(1, 4))
        envelope = (1 - np.exp(-t * 200)) * np.exp(-t * rng.uniform(8, 20))
        tone = _harmonics(2 * np.pi * np.cumsum(f0) / sr, 6, 0.7)
        return envelope * (tone + 0.5 * rng.standard_normal(length))
    return _burst_train(rng, sr, n, rng.integers(2, 6), (0.12, 0.3), bark)


def _drilling(rng, sr, n):
    t = np.arange(n) / sr
    rate = rng.uniform(15, 45)
    pulses = (np.sin(2 * np.pi * rate * t) > 0.3).astype(float)
    hiss = np.diff(rng.standard_normal(n + 1))  # first difference: a high-pass noise
    whine = np.sin(2 * np.pi * rng.uniform(180, 420) * t)
    return pulses * hiss + 0.3 * whine


def _car_horn(rng, sr, n):
    f0 = rng.uniform(300, 520)
    ratio = rng.choice([1.25, 1.26, 1.33])
    def honk(length):
        t = np.arange(length) / sr
        envelope = np.minimum(1, t * 50) * np.minimum(1, (t[::-1]) * 50)
        return envelope * (_harmonics(2 * np.pi * f0 * t, 8, 0.75) + _harmonics(2 * np.pi * f0 * ratio * t, 8, 0.75))
    return _burst_train(rng, sr, n, rng.integers(1, 4), (0.3, 1.2), honk)


def _rain(rng, sr, n):
    bed = _pink_noise(rng, n)
    drops = np.zeros(n)
    hits = rng.integers(0, n, size=int(rng.uniform(20, 80) * n / sr))
    drops[hits] = rng.uniform(-1, 1, size=len(hits)) * 20
    return bed / np.abs(bed).max() + np.convolve(drops, np.exp(-np.arange(200) / 30), mode="same")


def _bird_chirp(rng, sr, n):
    def chirp(length):
        t = np.arange(length) / sr
        f = rng.uniform(2000, 4000) + rng.uniform(3000, 12000) * t
        return np.hanning(length) * np.sin(2 * np.pi * np.cumsum(f) / sr)
    return _burst_train(rng, sr, n, rng.integers(3, 12), (0.03, 0.1), chirp)


def _clock_tick(rng, sr, n):
    period = int(sr / rng.uniform(1.5, 5.0))
    ticks = np.zeros(n)
    ticks[rng.integers(0, period)::period] = 1.0
    click = np.exp(-np.arange(300) / 40) * np.sin(2 * np.pi * rng.uniform(1500, 3500) * np.arange(300) / sr)
    return np.convolve(ticks, click, mode="same")


EVENTS = {
    "siren": _siren, "engine_idle": _engine_idle, "dog_bark": _dog_bark, "drilling": _drilling,
    "car_horn": _car_horn, "rain": _rain, "bird_chirp": _bird_chirp, "clock_tick": _clock_tick,
}
