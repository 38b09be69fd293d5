"""LightningDataModule: corpus → index → protocol split → decoded clips → windows.

Clips are decoded once (soundfile + resample, in a thread pool with a progress bar) and
kept in memory; the DataLoaders then only slice windows. Features are *not* computed
here: the front end runs inside the model step, on whatever device trains.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from soundbench.augment.prerender import ClipSource, DeformedClips, PrerenderedDeformations, read_variant
from soundbench.augment.waveform import WaveformAugment
from soundbench.data.audio import read_audio
from soundbench.data.cache import build_cache, read_cached
from soundbench.data.clip_check import ClipProblems, find_problems, report
from soundbench.data.datasets.base import AudioCorpus
from soundbench.data.index import ClipIndex
from soundbench.data.protocols import Splits
from soundbench.data.windows import pad_to, window_at, window_starts

log = logging.getLogger(__name__)


def load_clips(
    index: ClipIndex, sample_rate: int, desc: str, threads: int = 4, cache: Path | None = None
) -> list[torch.Tensor]:
    """Every clip of ``index`` mono at ``sample_rate``: from the decoded-audio cache when one
    is given, else decoded now."""
    return read_cached(index, cache) if cache is not None else decode_clips(index, sample_rate, desc, threads)


def decode_clips(index: ClipIndex, sample_rate: int, desc: str, threads: int = 4) -> list[torch.Tensor]:
    """Decode every clip of ``index`` to mono at ``sample_rate`` (soundfile + resampling)."""
    t = index.table

    def load(row) -> torch.Tensor:
        path, start, duration = row
        duration = None if np.isnan(duration) else duration
        return read_audio(path, sample_rate, start, duration)

    rows = list(zip(t["path"], t["start"], t["duration"]))
    with ThreadPoolExecutor(threads) as pool:  # libsndfile and torch release the GIL
        return list(
            tqdm(
                pool.map(load, rows),
                total=len(rows),
                desc=f"Decoding {desc} audio",
                unit="clip",
                leave=False,
                disable=True if len(rows) < 50 else None,
            )
        )  # None: a terminal only


class RandomWindows(Dataset):
    """Training set: ``windows_per_clip`` windows per clip per epoch, each at a random offset.
    Offsets come from (seed, epoch, item), so they do not depend on workers or batch order.
    With ``deformed`` (one store file per clip, see :mod:`soundbench.augment.prerender`)
    each window is cut from the clip or from one of its pre-rendered variants, drawn alike."""

    def __init__(
        self,
        clips: list[torch.Tensor],
        labels: np.ndarray,
        window: int,
        windows_per_clip: int,
        seed: int,
        augment: WaveformAugment | None = None,
        sample_rate: int = 0,
        deformed: DeformedClips | None = None,
    ):
        self.clips, self.labels, self.window = clips, labels, window
        self.windows_per_clip, self.seed, self.epoch = windows_per_clip, seed, 0
        self.augment, self.sample_rate, self.deformed = augment, sample_rate, deformed

    def __len__(self) -> int:
        return len(self.clips) * self.windows_per_clip

    def __getitem__(self, item: int):
        clip_id = item // self.windows_per_clip
        clip = self.clips[clip_id]
        rng = np.random.default_rng([self.seed, self.epoch, item])
        start = int(rng.integers(0, max(1, clip.shape[0] - self.window + 1)))
        variant = self.deformed.draw(rng) if self.deformed is not None else None
        if variant is None:
            window = window_at(clip, start, self.window)
        else:
            window = pad_to(
                torch.from_numpy(read_variant(self.deformed.paths[clip_id], variant, start, self.window)), self.window
            )
        if self.augment is not None:
            window = torch.from_numpy(self.augment(window.numpy(), self.sample_rate, [self.seed, self.epoch, item]))
        return window, int(self.labels[clip_id])


class AllWindows(Dataset):
    """Evaluation set: every window of every clip, tagged with its clip for voting."""

    def __init__(self, clips: list[torch.Tensor], labels: np.ndarray, window: int, hop: int):
        self.clips, self.labels, self.window = clips, labels, window
        self.items = [(c, s) for c, clip in enumerate(clips) for s in window_starts(clip.shape[0], window, hop)]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, item: int):
        clip_id, start = self.items[item]
        window = window_at(self.clips[clip_id], start, self.window)
        return window, int(self.labels[clip_id]), clip_id


class AudioDataModule(L.LightningDataModule):
    def __init__(
        self,
        corpus: AudioCorpus,
        sample_rate: int,
        window_samples: int,
        window_hop_samples: int,
        batch_size: int = 64,
        num_workers: int = 0,
        windows_per_clip: int = 4,
        eval_batch_size: int | None = None,
        seed: int = 0,
        waveform_augment: WaveformAugment | None = None,
        cache_dir: str | None = None,
        bad_clips: str = "warn",
        min_clip_fraction: float = 0.5,
        prerender: PrerenderedDeformations | None = None,
    ):
        super().__init__()
        self.corpus = corpus
        self.sample_rate, self.window, self.hop = sample_rate, window_samples, window_hop_samples
        self.batch_size, self.eval_batch_size = batch_size, eval_batch_size or 4 * batch_size
        self.num_workers, self.windows_per_clip, self.seed = num_workers, windows_per_clip, seed
        self.waveform_augment = waveform_augment  # training windows only
        self.prerender = prerender  # deformed copies of the training clips, rendered once
        self.cache_dir = cache_dir  # decoded-audio cache (soundbench.data.cache); None: decode every run
        self.bad_clips, self.min_clip_fraction = bad_clips, min_clip_fraction  # see soundbench.data.clip_check
        self.clip_problems = ClipProblems()  # of the splits decoded so far
        self.index: ClipIndex | None = None
        self.splits: Splits | None = None
        self.datasets: dict[str, Dataset] = {}

    def prepare_index(self) -> Splits:
        """Build the index and split it (cheap; no audio decoded). Idempotent."""
        if self.splits is None:
            self.index = self.corpus.load_index()
            self.splits = self.corpus.splits(self.index)
            log.info("%s: %s", self.corpus.name, ", ".join(f"{n} {len(p)} clips" for n, p in self.splits.items()))
        return self.splits

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.prepare_index().train.class_names

    def setup(self, stage: str | None = None) -> None:
        splits = self.prepare_index()
        min_samples = int(round(self.corpus.min_clip_seconds * self.sample_rate))
        cache = self.build_cache() if self.cache_dir else None
        wanted = (
            ("train", "validation")
            if stage == "fit"
            else ("test",)
            if stage == "test"
            else ("train", "validation", "test")
        )
        for name in wanted:
            if name in self.datasets:
                continue
            part = getattr(splits, name)
            if len(part) == 0:
                raise RuntimeError(
                    f"{self.corpus.name}: the {name} split is empty for this fold; "
                    "check dataset.fold and, with allow_partial, which files are present"
                )
            clips = load_clips(part, self.sample_rate, name, cache=cache)
            problems = find_problems(part, clips, self.sample_rate, self.min_clip_fraction)
            report(problems, f"{self.corpus.name} {name} split", self.bad_clips, self.min_clip_fraction)
            self.clip_problems.add(problems)
            clips = [pad_to(clip, min_samples) for clip in clips]
            labels = part.table["label"].to_numpy()
            self.datasets[name] = (
                RandomWindows(
                    clips,
                    labels,
                    self.window,
                    self.windows_per_clip,
                    self.seed,
                    self.waveform_augment,
                    self.sample_rate,
                    self._deformed(part, clips),
                )
                if name == "train"
                else AllWindows(clips, labels, self.window, self.hop)
            )

    def _deformed(self, part: ClipIndex, clips: list[torch.Tensor]) -> DeformedClips | None:
        """The training clips' pre-rendered variants (rendered now where missing)."""
        if self.prerender is None:
            return None
        root = os.path.commonpath(list(self.index.table["path"]))  # the dataset's: names shared by all folds
        t = part.table
        sources = [
            ClipSource(f"{os.path.relpath(path, root)}|{start:.6f}|{duration}", path, clip.numpy())
            for path, start, duration, clip in zip(t["path"], t["start"], t["duration"], clips)
        ]
        paths = self.prerender.render(sources, self.seed, self.sample_rate)
        return DeformedClips(paths, self.prerender.variants, self.prerender.keep_original)

    def build_cache(self) -> Path:
        """Decode the whole dataset into the cache once (no-op when it is there)."""
        self.prepare_index()
        return build_cache(
            self.index, self.sample_rate, self.cache_dir, lambda index: decode_clips(index, self.sample_rate, "all")
        )

    def set_epoch(self, epoch: int) -> None:
        if "train" in self.datasets:
            self.datasets["train"].epoch = epoch

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("validation", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)

    def _loader(self, name: str, shuffle: bool) -> DataLoader:
        return DataLoader(
            self.datasets[name],
            batch_size=self.batch_size if shuffle else self.eval_batch_size,
            shuffle=shuffle,
            num_workers=self.num_workers,
            persistent_workers=False,
            drop_last=False,
        )
