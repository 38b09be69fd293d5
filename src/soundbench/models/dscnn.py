"""DS-CNN from "Hello Edge: Keyword Spotting on Microcontrollers" (Zhang et al. 2017):
a (10×4)-kernel strided conv, then depthwise-separable 3×3 blocks, average pooling and a
dense layer. The paper's DS-CNN-S uses 64 filters and 4 blocks on 10 MFCCs × 49 frames."""

from __future__ import annotations

import torch
from torch import nn

from soundbench.models.layers import conv_bn_relu, depthwise_separable, require_spectrogram
from soundbench.models.registry import register_model


class DSCNN(nn.Module):
    def __init__(
        self,
        input_shape: tuple[int, int, int],
        n_classes: int,
        filters: int = 64,
        n_blocks: int = 4,
        first_kernel: tuple[int, int] = (10, 4),
        first_stride: tuple[int, int] = (2, 2),
        dropout: float = 0.2,
    ):
        super().__init__()
        require_spectrogram("dscnn", input_shape)
        blocks = [conv_bn_relu(input_shape[0], filters, first_kernel, stride=first_stride), nn.Dropout(dropout)]
        blocks += [depthwise_separable(filters, filters, 3) for _ in range(n_blocks)]
        self.features = nn.Sequential(*blocks, nn.Dropout(dropout), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Linear(filters, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


@register_model("dscnn", recommended="mfcc")
def dscnn(input_shape, n_classes, **hparams) -> DSCNN:
    return DSCNN(input_shape, n_classes, **hparams)
