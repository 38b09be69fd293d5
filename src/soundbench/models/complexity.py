"""Model cost per analysis window: parameters and multiply-accumulates (MACC), counted by
torchinfo on one window of the front end's output shape."""

from __future__ import annotations

from torch import nn
from torchinfo import summary


def model_cost(model: nn.Module, input_shape: tuple[int, ...]) -> dict[str, int]:
    was_training = model.training
    stats = summary(model, input_size=(1, *input_shape), verbose=0, device="cpu", mode="eval")
    model.train(was_training)
    return {
        "n_parameters": int(stats.total_params),
        "n_trainable_parameters": int(stats.trainable_params),
        "macc_per_window": int(stats.total_mult_adds),
    }
