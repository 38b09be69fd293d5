"""Pre-rendered deformations: the offline scheme of Salamon & Bello (2017).

Time stretch and pitch shift cost ~2.3 ms per window per core in audiomentations, more than
a small model's whole training step, so running them per window in the loader makes
training input-bound 5-12x. Instead, ``variants`` deformed copies of every training clip are
rendered once (whole clips, in worker processes) and stored on disk; each epoch every
training window is cut from the original or from one of the copies, drawn from
(seed, epoch, item). Cheap per-window or per-batch augmentation stacks on top.

Store: ``<cache_dir>/<settings key>/<clip key>.npy``, one ``(variants, samples)`` float32
array per clip. The settings key hashes the transforms' config, the variant count, the seed
and the sample rate; the clip key hashes the clip's path, offset, duration, size and
modification time, so audio replaced in place is rendered again and folds of a
cross-validation share the clips they have in common. Each clip's variants are seeded from
(seed, clip name, variant) alone: the same config renders the same copies on any machine,
in any worker order.

No torch here: the render workers import only NumPy and audiomentations.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import multiprocessing
import os
import random
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf
from tqdm import tqdm

from soundbench.augment.waveform import fit_length
from soundbench.file_signature import file_signature

log = logging.getLogger(__name__)

STORE_VERSION = 1


@dataclass(frozen=True)
class ClipSource:
    """What a clip's rendering depends on: where its audio comes from, and its samples."""

    name: str  # stable within the dataset (path relative to its root + offset)
    path: str  # absolute; its signature (size, mtime, both ends' hash) invalidates the rendering
    samples: np.ndarray  # mono float32 at the front end's rate


@dataclass(frozen=True)
class DeformedClips:
    """The store files of a split's clips, and how a window picks its source."""

    paths: list[Path]
    variants: int
    keep_original: bool

    def draw(self, rng: np.random.Generator) -> int | None:
        """A variant index, or None for the undeformed clip."""
        pick = int(rng.integers(0, self.variants + int(self.keep_original)))
        if self.keep_original:
            return None if pick == 0 else pick - 1
        return pick


class PrerenderedDeformations:
    """``transforms``: audiomentations transforms as configs (``_target_`` dicts, instantiated
    in each worker; their config keys the store). ``variants``: deformed copies per clip.
    ``keep_original``: windows are also drawn from the undeformed clip (1 in variants + 1)."""

    def __init__(
        self,
        transforms: list,
        variants: int = 4,
        cache_dir: str = "data/prerendered",
        keep_original: bool = True,
        workers: int = 2,
    ):
        if int(variants) < 1:
            raise ValueError(
                f"augment.prerender.variants={variants} must be >= 1 (use augment.prerender=null to disable)"
            )
        self.transforms = [_plain(t) for t in transforms]
        for spec in self.transforms:
            if not isinstance(spec, dict) or "_target_" not in spec:
                raise ValueError(
                    f"augment.prerender.transforms: {spec!r} is not a config with a _target_ "
                    "(e.g. {_target_: audiomentations.TimeStretch, min_rate: 0.81, ...})"
                )
        self.variants, self.keep_original = int(variants), bool(keep_original)
        self.cache_dir, self.workers = Path(cache_dir), int(workers)

    def settings_key(self, seed: int, sample_rate: int) -> str:
        spec = json.dumps(
            {
                "v": STORE_VERSION,
                "transforms": self.transforms,
                "variants": self.variants,
                "seed": int(seed),
                "sample_rate": int(sample_rate),
            },
            sort_keys=True,
        )
        return hashlib.sha256(spec.encode()).hexdigest()[:16]

    def render(self, clips: list[ClipSource], seed: int, sample_rate: int) -> list[Path]:
        """The store file of each clip, rendering those not stored yet (with a progress bar
        on a terminal). Returns paths in the order of ``clips``."""
        folder = self.cache_dir / self.settings_key(seed, sample_rate)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "settings.json").write_text(
            json.dumps(
                {"transforms": self.transforms, "variants": self.variants, "seed": seed, "sample_rate": sample_rate},
                indent=1,
                default=str,
            )
        )
        paths = [folder / f"{_clip_key(clip)}.npy" for clip in clips]
        todo = [(clip, path) for clip, path in zip(clips, paths) if not path.is_file()]
        if todo:
            log.info("rendering %d deformed variants of %d clips into %s", self.variants, len(todo), folder)
            self._render_all(todo, seed, sample_rate)
        return paths

    def _render_all(self, todo, seed: int, sample_rate: int) -> None:
        jobs = [(clip.name, clip.samples, path) for clip, path in todo]
        bar = dict(
            total=len(jobs),
            desc="Rendering deformations",
            unit="clip",
            leave=False,
            disable=True if len(jobs) < 50 else None,
        )  # None: on a terminal only
        args = (self.transforms, self.variants, seed, sample_rate)
        workers = min(self.workers, os.cpu_count() or 1, len(jobs))
        if workers <= 1:
            _start_worker(*args)
            for _ in tqdm(map(_render_clip, jobs), **bar):
                pass
            return
        # spawn: a forked copy of a process running torch threads can deadlock
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start_worker, initargs=(*args, os.getpid())
        ) as pool:
            for _ in tqdm(pool.map(_render_clip, jobs, chunksize=8), **bar):
                pass


# ---- worker side: the transforms are built once per process ----

_WORKER: dict = {}


def _start_worker(transforms: list, variants: int, seed: int, sample_rate: int, parent: int | None = None) -> None:
    import audiomentations
    from hydra.utils import instantiate

    if parent is not None:
        _exit_with_parent(parent)
    _WORKER.update(
        compose=audiomentations.Compose([instantiate(t) for t in transforms]),
        variants=variants,
        seed=seed,
        sample_rate=sample_rate,
    )


def _exit_with_parent(parent: int) -> None:
    """A worker whose parent is gone (``kill -9`` of the training process) exits instead of
    rendering on and then idling (~130 MB each). Linux: the kernel kills it at once
    (PR_SET_PDEATHSIG); anywhere: a watchdog thread notices within a second."""
    import ctypes
    import signal
    import threading
    import time

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the watchdog alone

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    if os.getppid() != parent:  # died before the signal was armed
        os._exit(1)
    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _render_clip(job) -> None:
    name, samples, path = job
    samples = np.ascontiguousarray(samples, dtype=np.float32)
    out = np.empty((_WORKER["variants"], len(samples)), dtype=np.float32)
    name_seed = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")
    for v in range(_WORKER["variants"]):
        # audiomentations draws from Python's and NumPy's global generators
        entropy = np.random.SeedSequence([_WORKER["seed"], name_seed, v]).generate_state(2)
        random.seed(int(entropy[0]))
        np.random.seed(int(entropy[1]))
        deformed = _WORKER["compose"](samples=samples, sample_rate=_WORKER["sample_rate"])
        out[v] = fit_length(deformed, len(samples))
    partial = path.with_suffix(f".{os.getpid()}.part")
    with open(partial, "wb") as f:  # written whole, then renamed: a killed render leaves no half file
        np.save(f, out)
    os.replace(partial, path)


def _clip_key(clip: ClipSource) -> str:
    stamp = file_signature(clip.path)  # size, mtime and both ends' hash: content replaced in place re-renders
    return hashlib.sha256(f"{clip.name}|{stamp}|{len(clip.samples)}".encode()).hexdigest()[:20]


def _plain(spec):
    """A transform's config as plain containers (Hydra passes DictConfigs when not recursive)."""
    return OmegaConf.to_container(spec, resolve=True) if OmegaConf.is_config(spec) else spec


def read_variant(path: Path, variant: int, start: int, length: int) -> np.ndarray:
    """``length`` samples of one stored variant from ``start`` (memory-mapped: only the
    window is read)."""
    return np.array(_open_store(path)[variant, start : start + length])


@functools.lru_cache(maxsize=512)  # opening a map costs ~150 us, reading a window from an open one ~20 us
def _open_store(path: Path) -> np.ndarray:
    return np.load(path, mmap_mode="r")
