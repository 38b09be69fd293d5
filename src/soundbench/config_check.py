"""Config values checked before anything trains: a wrong type or range is a ConfigError
naming the key, the value and what is allowed, instead of a bare AssertionError from deep
inside Lightning after the data is loaded, or a bad fold found only after fold 1 trained.
"""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf

from soundbench.data.clip_check import POLICIES as BAD_CLIP_POLICIES


class ConfigError(ValueError):
    """A config value that cannot work; the message names the key and the fix."""


def check_config(cfg: DictConfig, n_folds: int | None) -> None:
    """``n_folds``: the dataset's fold count, None for datasets with official split lists."""
    _integer(cfg, "seed")
    _integer(cfg, "trainer.max_epochs", low=-1, note="(-1: until stopped)")
    _integer(cfg, "trainer.min_epochs", low=0)
    _integer(cfg, "data.batch_size", low=1)
    _integer(cfg, "data.eval_batch_size", low=1)
    _integer(cfg, "data.windows_per_clip", low=1)
    _integer(cfg, "data.num_workers", low=0)
    _choice(cfg, "data.bad_clips", BAD_CLIP_POLICIES)
    _number(cfg, "data.min_clip_fraction", 0.0, 1.0)
    if n_folds is not None:
        _integer(cfg, "dataset.fold", low=1, high=n_folds, required=True, note=f"(this dataset has folds 1..{n_folds})")
    _cv_folds(cfg, n_folds)
    _cv_seeds(cfg)


def _value(cfg: DictConfig, key: str):
    return OmegaConf.select(cfg, key, default=None)


def _integer(
    cfg: DictConfig, key: str, low: int | None = None, high: int | None = None, required: bool = False, note: str = ""
) -> None:
    """A whole number in low..high; unset (null or absent) leaves the library default unless ``required``."""
    value = _value(cfg, key)
    if value is None and not required:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(
            f"{key}={value!r} must be a whole number {note}".rstrip() + f"; e.g. {key}={max(low or 1, 1)}"
        )
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"{low}..{high}" if high is not None else f">= {low}"
        raise ConfigError(f"{key}={value} is out of range: it must be {bounds} {note}".rstrip())


def _number(cfg: DictConfig, key: str, low: float, high: float) -> None:
    value = _value(cfg, key)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ConfigError(f"{key}={value!r} must be a number in [{low:g}, {high:g}]")


def _choice(cfg: DictConfig, key: str, choices: tuple[str, ...]) -> None:
    value = _value(cfg, key)
    if value is not None and value not in choices:
        raise ConfigError(f"{key}={value!r}: use one of {', '.join(choices)}")


def _cv_seeds(cfg: DictConfig) -> None:
    seeds = _value(cfg, "cv.seeds")
    if seeds is None:
        return
    listed = list(seeds) if OmegaConf.is_list(seeds) or isinstance(seeds, (list, tuple)) else [seeds]
    if (
        not listed
        or any(isinstance(s, bool) or not isinstance(s, int) for s in listed)
        or len(set(listed)) != len(listed)
    ):
        raise ConfigError(f"cv.seeds={listed}: give distinct whole numbers, e.g. cv.seeds=[0,1,2]")


def _cv_folds(cfg: DictConfig, n_folds: int | None) -> None:
    folds = _value(cfg, "cv.folds")
    if not folds or folds == "all":
        return
    if n_folds is None:
        raise ConfigError(f"cv.folds={folds}: this dataset uses official split lists, not folds; use cv=none")
    listed = list(folds) if OmegaConf.is_list(folds) or isinstance(folds, (list, tuple)) else [folds]
    wrong = [f for f in listed if isinstance(f, bool) or not isinstance(f, int) or not 1 <= f <= n_folds]
    if wrong or len(set(listed)) != len(listed):
        raise ConfigError(
            f"cv.folds={listed}: give 'all' or distinct fold numbers in 1..{n_folds}"
            + (f" ({wrong} not)" if wrong else " (a fold is repeated)")
        )
