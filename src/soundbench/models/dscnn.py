"""DS-CNN from "Hello Edge: Keyword Spotting on Microcontrollers" (Zhang et al. 2017):
a (10×4)-kernel strided conv, then depthwise-separable 3×3 blocks, average pooling and a
dense layer. The paper's DS-CNN-S uses 64 filters and 4 blocks on 10 MFCCs × 49 frames.

``padding="tf_same"`` pads the first convolution as TensorFlow's 'same' does (the missing
row or column at the bottom/right): with ``first_kernel=(4, 10)`` on (1, 10, 49) MFCC input
(bands × frames: the reference's 49 × 10 transposed) the network is MLPerf Tiny's
keyword-spotting reference (mlcommons/tiny, 25 × 5 after the first conv, 2,656,768 MACs);
PyTorch's symmetric padding gives a 6 × 25 map instead."""

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
        padding: str = "symmetric",
    ):
        super().__init__()
        require_spectrogram("dscnn", input_shape)
        if padding not in ("symmetric", "tf_same"):
            raise ValueError(f"model.padding={padding!r}: use symmetric or tf_same")
        first = conv_bn_relu(input_shape[0], filters, first_kernel, stride=first_stride)
        if padding == "tf_same":
            first[0].padding = (0, 0)
            first = nn.Sequential(nn.ZeroPad2d(_tf_same_pads(input_shape[1:], first_kernel, first_stride)), *first)
        blocks = [first, nn.Dropout(dropout)]
        blocks += [depthwise_separable(filters, filters, 3) for _ in range(n_blocks)]
        self.features = nn.Sequential(*blocks, nn.Dropout(dropout), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Linear(filters, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def _tf_same_pads(size: tuple[int, int], kernel: tuple[int, int], stride: tuple[int, int]) -> tuple[int, ...]:
    """(left, right, top, bottom) as TensorFlow's 'same': output ceil(size / stride), the odd
    pixel of padding at the end."""
    pads = []
    for n, k, s in zip(size, kernel, stride):
        total = max((-(-n // s) - 1) * s + k - n, 0)
        pads.append((total // 2, total - total // 2))
    (top, bottom), (left, right) = pads
    return left, right, top, bottom


@register_model("dscnn", recommended="mfcc")
def dscnn(input_shape, n_classes, **hparams) -> DSCNN:
    return DSCNN(input_shape, n_classes, **hparams)
