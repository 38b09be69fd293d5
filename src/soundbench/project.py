"""Where the project is, and its configs composed: one answer for the entry points, the
pipeline stages, the search and the benchmark scripts."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

#: set by train.py, predict.py and deploy, so their subprocesses and Hydra jobs agree
ROOT_VARIABLE = "SOUNDBENCH_ROOT"


def project_root() -> Path:
    """``$SOUNDBENCH_ROOT``, else the current folder when it is a soundbench checkout (DVC
    runs stages there), else the checkout this package is installed from (editable)."""
    if ROOT_VARIABLE in os.environ:
        return Path(os.environ[ROOT_VARIABLE]).resolve()
    if (Path.cwd() / "conf" / "train.yaml").is_file():
        return Path.cwd().resolve()
    return Path(__file__).resolve().parents[2]


def compose_config(
    overrides: Sequence[str] = (), config_name: str = "train", root: Path | None = None, **options
) -> DictConfig:
    """``conf/<config_name>.yaml`` of the project at ``root`` with ``overrides``, as the
    entry point would compose it (``options``: Hydra's compose options, e.g.
    ``return_hydra_config=True``)."""
    with composer(root) as compose_one:
        return compose_one(overrides, config_name, **options)


@contextmanager
def composer(root: Path | None = None) -> Iterator[Callable[..., DictConfig]]:
    """``compose_config`` for many configs in a row (a search's trials) with Hydra
    initialised once."""

    def compose_one(overrides: Sequence[str] = (), config_name: str = "train", **options) -> DictConfig:
        return compose(config_name, overrides=list(overrides), **options)

    with initialize_config_dir(config_dir=str((root or project_root()) / "conf"), version_base="1.3"):
        yield compose_one
