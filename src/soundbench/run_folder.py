"""Output folders that two runs never share.

Hydra names run folders by the start time; two runs started in the same second (a script
launching several, two users) would write into one folder, one run's .hydra/config.yaml
overwriting the other's. Entry points register ``${sb_run_suffix:}`` before Hydra starts;
the configs append it to the time: the process id (unique among running processes) and a
random token (unique across machines sharing a log folder)."""

from __future__ import annotations

import os
import secrets

from omegaconf import OmegaConf

RESOLVER = "sb_run_suffix"


def run_suffix() -> str:
    return f"{os.getpid()}-{secrets.token_hex(2)}"


def register_run_suffix() -> None:
    # use_cache: every interpolation in one process resolves to the same folder
    if not OmegaConf.has_resolver(RESOLVER):
        OmegaConf.register_new_resolver(RESOLVER, run_suffix, use_cache=True)
