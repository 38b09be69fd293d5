"""Name → model-constructor registry (timm style). A family registers with
``@register_model("name", front_ends=..., recommended=...)``, declaring which front ends
(``features=``) its input layer accepts; ``create_model(name, input_shape, n_classes,
**hparams)`` builds it for a front end's output shape, and ``check_front_end`` refuses a
pairing that cannot work before anything is loaded or trained."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from torch import nn

SPECTROGRAMS = ("logmel", "mel", "mfcc")  # (channels, bands, frames) inputs
WAVEFORM = ("waveform",)  # (channels, samples) inputs


@dataclass(frozen=True)
class ModelEntry:
    name: str
    builder: Callable[..., nn.Module]
    front_ends: tuple[str, ...]  # the features= it accepts
    recommended: str  # the front end its defaults and published results use


_REGISTRY: dict[str, ModelEntry] = {}


def register_model(name: str, front_ends: tuple[str, ...] = SPECTROGRAMS, recommended: str = "logmel"):
    if recommended not in front_ends:
        raise ValueError(f"model {name!r}: recommended front end {recommended!r} is not among {front_ends}")

    def add(builder: Callable[..., nn.Module]):
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is registered twice")
        _REGISTRY[name] = ModelEntry(name, builder, tuple(front_ends), recommended)
        return builder

    return add


def list_models() -> list[str]:
    return sorted(_REGISTRY)


def model_entry(name: str) -> ModelEntry:
    if name not in _REGISTRY:
        raise KeyError(f"unknown model {name!r}; available: {', '.join(list_models())}")
    return _REGISTRY[name]


def check_front_end(model: str, front_end: str) -> None:
    """Refuse ``features=<front_end> model=<model>`` when the model cannot take that input."""
    entry = model_entry(model)
    if front_end not in entry.front_ends:
        takers = [m for m in list_models() if front_end in _REGISTRY[m].front_ends]
        raise ValueError(
            f"model={model} does not accept features={front_end}: it takes "
            f"{', '.join(entry.front_ends)} (use features={entry.recommended}); "
            f"features={front_end} goes with model={' or '.join(takers)}"
        )


def create_model(name: str, input_shape: tuple[int, ...], n_classes: int, **hparams) -> nn.Module:
    return model_entry(name).builder(input_shape=tuple(input_shape), n_classes=n_classes, **hparams)
