"""Waveform augmentation with audiomentations, applied to training windows only.

audiomentations draws its parameters from Python's and NumPy's global generators, so each
window reseeds them from (seed, epoch, item): the same run gives the same augmented
windows, whatever the number of DataLoader workers or their scheduling.
"""

from __future__ import annotations

import random
from pathlib import Path

import audiomentations
import numpy as np


class WaveformAugment:
    """An ``audiomentations.Compose`` of ``transforms`` (built from config), plus background
    noise mixed from ``background_noise_dir`` when one is given: a folder of .wav files (e.g.
    Speech Commands' ``_background_noise_``) or a list of recordings
    (:func:`corpus_recordings`: a corpus's training folds). Output keeps the input length."""

    def __init__(
        self,
        transforms: list,
        background_noise_dir: str | list[str] | None = None,
        background_snr_db: tuple[float, float] = (3.0, 30.0),
        background_p: float = 0.5,
    ):
        transforms = list(transforms)
        if background_noise_dir:
            sounds = _background_sounds(background_noise_dir)
            transforms.append(
                audiomentations.AddBackgroundNoise(
                    sounds_path=sounds, min_snr_db=background_snr_db[0], max_snr_db=background_snr_db[1], p=background_p
                )
            )
        self.compose = audiomentations.Compose(transforms)

    def __call__(self, window: np.ndarray, sample_rate: int, seed: list[int]) -> np.ndarray:
        entropy = np.random.SeedSequence(seed).generate_state(2)
        random.seed(int(entropy[0]))
        np.random.seed(int(entropy[1]))
        out = self.compose(samples=np.ascontiguousarray(window, dtype=np.float32), sample_rate=sample_rate)
        return fit_length(out, len(window))


def _background_sounds(source: str | list[str]) -> Path | list[Path]:
    if isinstance(source, str):
        folder = Path(source).expanduser()
        if not any(folder.rglob("*.wav")):
            raise FileNotFoundError(f"augment.waveform.background_noise_dir={folder} holds no .wav files")
        return folder
    files = [Path(p) for p in source]
    missing = [str(p) for p in files if not p.is_file()]
    if not files or missing:
        raise FileNotFoundError(f"augment.waveform.background_noise_dir: {len(missing)} of {len(files)} files missing")
    return files


def corpus_recordings(corpus, folds: list[int]) -> list[str]:
    """The recordings of ``corpus`` (an AudioCorpus) in ``folds``: background noise from
    the folds a run may train on, never from its validation or test folds."""
    table = corpus.load_index().table
    files = sorted(set(table.loc[table["fold"].isin([int(f) for f in folds]), "path"]))
    if not files:
        raise FileNotFoundError(f"{corpus.name}: no recordings in folds {list(folds)} for background noise")
    return files


def fit_length(samples: np.ndarray, length: int) -> np.ndarray:
    if len(samples) >= length:
        return samples[:length]
    return np.pad(samples, (0, length - len(samples)))
