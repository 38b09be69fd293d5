"""CRNN (in the spirit of Cakir et al. 2017): conv blocks that pool frequency (and a little
time), a bidirectional GRU over the remaining time steps, mean over time, dense head."""

from __future__ import annotations

import torch
from torch import nn

from soundbench.models.layers import conv_bn_relu, require_spectrogram
from soundbench.models.registry import register_model


class CRNN(nn.Module):
    def __init__(
        self,
        input_shape: tuple[int, int, int],
        n_classes: int,
        filters: tuple[int, ...] = (32, 32, 32),
        pools: tuple[tuple[int, int], ...] = ((4, 1), (3, 1), (5, 1)),
        gru_units: int = 32,
        dropout: float = 0.3,
    ):
        super().__init__()
        require_spectrogram("crnn", input_shape)
        if len(filters) != len(pools):
            raise ValueError("crnn: filters and pools must have the same length")
        blocks, channels = [], input_shape[0]
        for out, pool in zip(filters, pools):
            blocks += [conv_bn_relu(channels, out, 3), nn.MaxPool2d(tuple(pool), ceil_mode=True), nn.Dropout(dropout)]
            channels = out
        self.conv = nn.Sequential(*blocks)
        with torch.no_grad():
            _, c, f, _ = self.conv(torch.zeros(1, *input_shape)).shape
        self.gru = nn.GRU(c * f, gru_units, batch_first=True, bidirectional=True)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * gru_units, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)  # (batch, channels, bands, time)
        x = x.flatten(1, 2).transpose(1, 2)  # (batch, time, channels*bands)
        x, _ = self.gru(x)
        return self.head(x.mean(dim=1))


@register_model("crnn")
def crnn(input_shape, n_classes, **hparams) -> CRNN:
    return CRNN(input_shape, n_classes, **hparams)
