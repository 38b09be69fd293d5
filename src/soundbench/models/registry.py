"""Name → model-constructor registry (timm style). A family registers with
``@register_model("name")``; ``create_model(name, input_shape, n_classes, **hparams)``
builds it for a front end's output shape."""

from __future__ import annotations

from typing import Callable

from torch import nn

_REGISTRY: dict[str, Callable[..., nn.Module]] = {}


def register_model(name: str):
    def add(builder: Callable[..., nn.Module]):
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is registered twice")
        _REGISTRY[name] = builder
        return builder
    return add


def list_models() -> list[str]:
    return sorted(_REGISTRY)


def create_model(name: str, input_shape: tuple[int, ...], n_classes: int, **hparams) -> nn.Module:
    if name not in _REGISTRY:
        raise KeyError(f"unknown model {name!r}; available: {', '.join(list_models())}")
    return _REGISTRY[name](input_shape=tuple(input_shape), n_classes=n_classes, **hparams)
