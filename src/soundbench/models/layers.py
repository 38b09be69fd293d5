"""Building blocks shared by several model families."""

from __future__ import annotations

from torch import nn


def conv_bn_relu(in_ch: int, out_ch: int, kernel, stride=1, groups: int = 1) -> nn.Sequential:
    """2-D convolution ('same'-style padding) + batch norm + ReLU."""
    kernel = (kernel, kernel) if isinstance(kernel, int) else tuple(kernel)
    padding = tuple(k // 2 for k in kernel)
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel, stride=stride, padding=padding, groups=groups, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


def depthwise_separable(in_ch: int, out_ch: int, kernel, stride=1) -> nn.Sequential:
    """Depthwise conv (one filter per channel, carries the stride) + pointwise 1x1 conv."""
    return nn.Sequential(conv_bn_relu(in_ch, in_ch, kernel, stride, groups=in_ch), conv_bn_relu(in_ch, out_ch, 1))


def require_spectrogram(name: str, input_shape: tuple[int, ...]) -> None:
    if len(input_shape) != 3:
        raise ValueError(
            f"{name} needs spectrogram input (channels, bands, frames), got {input_shape}; "
            "use features=mel, logmel or mfcc (features=waveform goes with model=cnn1d)"
        )
