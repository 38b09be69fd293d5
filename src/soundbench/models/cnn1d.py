"""A raw-waveform 1-D CNN (in the spirit of Dai et al. 2017 and Abdoli et al. 2019):
strided Conv1d blocks with batch norm, ReLU and max-pooling learn a filterbank from the
samples; global average pooling, dropout and a dense head classify. Use with
``features=waveform``."""

from __future__ import annotations

import torch
from torch import nn

from soundbench.models.registry import WAVEFORM, register_model


class CNN1D(nn.Module):
    def __init__(
        self,
        input_shape: tuple[int, int],
        n_classes: int,
        filters: tuple[int, ...] = (16, 32, 64, 128),
        kernel_sizes: tuple[int, ...] = (64, 32, 16, 8),
        strides: tuple[int, ...] = (2, 2, 2, 1),
        pools: tuple[int, ...] = (8, 8, 4, 1),
        dense_units: int = 64,
        dropout: float = 0.25,
    ):
        super().__init__()
        if len(input_shape) != 2:
            raise ValueError(
                f"cnn1d needs raw waveform input (channels, samples), got {input_shape}; use features=waveform"
            )
        if not len(filters) == len(kernel_sizes) == len(strides) == len(pools):
            raise ValueError("cnn1d: filters, kernel_sizes, strides and pools must have the same length")
        blocks, channels = [], input_shape[0]
        for out, kernel, stride, pool in zip(filters, kernel_sizes, strides, pools):
            blocks += [
                nn.Conv1d(channels, out, kernel, stride=stride, padding=kernel // 2, bias=False),
                nn.BatchNorm1d(out),
                nn.ReLU(inplace=True),
            ]
            if pool > 1:
                blocks.append(nn.MaxPool1d(pool, ceil_mode=True))
            channels = out
        self.features = nn.Sequential(*blocks, nn.AdaptiveAvgPool1d(1), nn.Flatten())
        self.classifier = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(channels, dense_units),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(dense_units, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


@register_model("cnn1d", front_ends=WAVEFORM, recommended="waveform")
def cnn1d(input_shape, n_classes, **hparams) -> CNN1D:
    return CNN1D(input_shape, n_classes, **hparams)
