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
    noise mixed from ``background_noise_dir`` when one is given (e.g. Speech Commands'
    ``_background_noise_``). Output keeps the input length."""

    def __init__(
        self,
        transforms: list,
        background_noise_dir: str | None = None,
        background_snr_db: tuple[float, float] = (3.0, 30.0),
        background_p: float = 0.5,
    ):
        transforms = list(transforms)
        if background_noise_dir:
            folder = Path(background_noise_dir).expanduser()
            if not any(folder.rglob("*.wav")):
                raise FileNotFoundError(f"augment.waveform.background_noise_dir={folder} holds no .wav files")
            transforms.append(
                audiomentations.AddBackgroundNoise(
                    sounds_path=folder, min_snr_db=background_snr_db[0], max_snr_db=background_snr_db[1], p=background_p
                )
            )
        self.compose = audiomentations.Compose(transforms)

    def __call__(self, window: np.ndarray, sample_rate: int, seed: list[int]) -> np.ndarray:
        entropy = np.random.SeedSequence(seed).generate_state(2)
        random.seed(int(entropy[0]))
        np.random.seed(int(entropy[1]))
        out = self.compose(samples=np.ascontiguousarray(window, dtype=np.float32), sample_rate=sample_rate)
        return fit_length(out, len(window))


def fit_length(samples: np.ndarray, length: int) -> np.ndarray:
    if len(samples) >= length:
        return samples[:length]
    return np.pad(samples, (0, length - len(samples)))
