"""Strided depthwise-separable CNN, the thesis' best microcontroller family ("Stride-DS-24"):
a strided stem convolution, then depthwise-separable blocks that downsample with stride 2
instead of max-pooling (less RAM: no full-resolution activation before each pool), global
average pooling and a dense classifier."""

from __future__ import annotations

import torch
from torch import nn

from soundbench.models.layers import conv_bn_relu, depthwise_separable, require_spectrogram
from soundbench.models.registry import register_model


class StridedDS(nn.Module):
    def __init__(
        self,
        input_shape: tuple[int, int, int],
        n_classes: int,
        filters: int = 24,
        n_stages: int = 3,
        kernel_size: int = 5,
        dropout: float = 0.5,
    ):
        super().__init__()
        require_spectrogram("strided_ds", input_shape)
        if n_stages < 1:
            raise ValueError("strided_ds: model.n_stages must be at least 1")
        stages = [conv_bn_relu(input_shape[0], filters, kernel_size, stride=2)]
        stages += [depthwise_separable(filters, filters, kernel_size, stride=2) for _ in range(n_stages - 1)]
        self.features = nn.Sequential(*stages, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(filters, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


@register_model("strided_ds")
def strided_ds(input_shape, n_classes, **hparams) -> StridedDS:
    return StridedDS(input_shape, n_classes, **hparams)
