"""Configs read from files never choose what gets called.

A training config composed from ``conf/`` is the user's own code path. A config read from a
file — the one a checkpoint carries, a run's ``config/resolved.yaml`` downloaded from an
MLflow server, a bundle's ``features.yaml`` — is data: anyone who can write the file could
put ``_target_: torch.load`` (or ``pandas.read_pickle``, ``os.system`` …) in it, and Hydra's
``instantiate`` would call it. Before such a config is instantiated, every ``_target_`` in
the part that will be built must name one of the project's own front-end, dataset or model
constructors (the allowlists below, taken from the code's registries), compared as strings
so that nothing is imported to check it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache

from omegaconf import DictConfig, ListConfig, OmegaConf

from soundbench.config_check import ConfigError

#: the config groups rebuilt from a file, and what each may call
GROUPS = ("features", "dataset", "model")


class UntrustedConfigError(ConfigError):
    """A config read from a file names a callable outside the allowlist; nothing was called."""


def _public_names(objects: Iterable[object], packages: Iterable[object]) -> frozenset[str]:
    """Each object's defining path and every package-level alias of it (``soundbench.features.LogMel``
    as the configs spell it, ``soundbench.features.frontends.LogMel`` where it is defined)."""
    objects = list(objects)
    names = {f"{obj.__module__}.{obj.__qualname__}" for obj in objects}
    for package in packages:
        names |= {
            f"{package.__name__}.{name}"
            for name, value in vars(package).items()
            if any(value is obj for obj in objects)
        }
    return frozenset(names)


def _subclasses(base: type) -> list[type]:
    found = [base]
    for sub in base.__subclasses__():
        found += _subclasses(sub)
    return found


@cache
def allowed_targets(group: str) -> frozenset[str]:
    """The ``_target_`` strings a file's config may use in ``group`` (each group imports
    only its own package: a bundle's front end is checked without loading the model zoo)."""
    if group == "features":
        import soundbench.features as features

        frontends = [cls for cls in _subclasses(features.FrontEnd) if cls is not features.FrontEnd]
        return _public_names(frontends, [features])
    if group == "dataset":
        import soundbench.data.datasets as datasets

        corpora = [cls for cls in _subclasses(datasets.AudioCorpus) if cls.__module__.startswith("soundbench.")]
        return _public_names(corpora, [datasets])
    if group == "model":
        import soundbench.models as models
        from soundbench.models import registry

        return _public_names([registry.create_model], [models, registry])
    raise ValueError(f"no allowlist for config group {group!r}")


def check_targets(node, allowed: frozenset[str], source: str, key: str) -> None:
    """Raise :class:`UntrustedConfigError` naming ``source`` and the key when ``node`` or
    anything nested in it has a ``_target_`` outside ``allowed``."""
    if isinstance(node, (DictConfig, ListConfig)):
        node = OmegaConf.to_container(node, resolve=False)
    if isinstance(node, Mapping):
        target = node.get("_target_")
        if target is not None and str(target) not in allowed:
            raise UntrustedConfigError(
                f"{source}: {key}._target_={target!r} is not one of soundbench's own constructors, and a config read "
                f"from a file never chooses what gets called (allowed there: {', '.join(sorted(allowed))}). "
                "The file was refused without building anything; do not use it unless you know who wrote it"
            )
        for name, value in node.items():
            check_targets(value, allowed, source, f"{key}.{name}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            check_targets(value, allowed, source, f"{key}[{i}]")


def trusted_file_config(data, source: str, groups: Iterable[str] = GROUPS) -> DictConfig:
    """A training config read from ``source`` (a dict, a DictConfig or a yaml path's
    contents), resolved — so no interpolation can splice another node in at build time —
    and with each group that will be built checked. A missing group is an error too: a
    file's config must say what it trained."""
    cfg = _resolved(data, source)
    for group in groups:
        if not isinstance(cfg.get(group), DictConfig):
            raise UntrustedConfigError(
                f"{source}: the stored config has no {group!r} section; it was not written by soundbench training"
            )
        check_targets(cfg[group], allowed_targets(group), source, group)
    return cfg


def trusted_features_config(data, source: str) -> DictConfig:
    """A bundle's front-end config (``features.yaml``), resolved and checked before it is built."""
    cfg = _resolved(data, source)
    check_targets(cfg, allowed_targets("features"), source, "features")
    return cfg


def _resolved(data, source: str) -> DictConfig:
    try:
        cfg = OmegaConf.create(OmegaConf.to_container(OmegaConf.create(data), resolve=True))
    except Exception as error:  # noqa: BLE001 — any unresolvable content is the file's fault
        raise UntrustedConfigError(
            f"{source}: its config cannot be read ({type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else ''})"
        ) from None
    if not isinstance(cfg, DictConfig):
        raise UntrustedConfigError(f"{source}: its config is a {type(cfg).__name__}, not a mapping of settings")
    return cfg
