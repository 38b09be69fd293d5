"""Warnings that Lightning prints in every run and that say nothing about it, each filtered
by its exact message and only where the reason below holds; every other warning shows."""

from __future__ import annotations

import warnings

from lightning.fabric.utilities.warnings import PossibleUserWarning
from omegaconf import DictConfig

#: Lightning 2.6's own pytree helper builds a ``LeafSpec``, which torch 2.14 deprecates
#: (lightning/pytorch/utilities/_pytree.py); nothing a user can change, gone with a Lightning fix
LEAFSPEC = r"`isinstance\(treespec, LeafSpec\)` is deprecated"
#: on any machine with SLURM installed, Lightning advises prepending ``srun`` so that several
#: processes (GPUs, nodes) start together; a run on one device starts none
SRUN_HINT = r"The `srun` command is available on your system but is not used"


def one_process(trainer: DictConfig) -> bool:
    return str(trainer.get("devices", 1)) == "1" and int(trainer.get("num_nodes", 1) or 1) == 1


def quiet_known_warnings(trainer: DictConfig) -> None:
    warnings.filterwarnings("ignore", message=LEAFSPEC)
    if one_process(trainer):
        warnings.filterwarnings("ignore", message=SRUN_HINT, category=PossibleUserWarning)
