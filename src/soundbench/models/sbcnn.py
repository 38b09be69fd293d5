"""SB-CNN (Salamon & Bello, "Deep CNNs and data augmentation for environmental sound
classification", IEEE SPL 2017): three 5×5 conv layers (24, 48, 48 filters) with ReLU,
max-pooling after the first two, then dense 64 and the output layer, dropout 0.5 before
both dense layers and L2 on them. The paper pools (4, 2) on 128×128 inputs; the thesis'
60-mel × 31-frame windows need (3, 3) pooling with 'same' padding to keep a feature map.
"""

from __future__ import annotations

import torch
from torch import nn

from soundbench.models.layers import require_spectrogram
from soundbench.models.registry import register_model


class SBCNN(nn.Module):
    def __init__(
        self,
        input_shape: tuple[int, int, int],
        n_classes: int,
        filters: tuple[int, int, int] = (24, 48, 48),
        kernel_size: int = 5,
        pool_size: tuple[int, int] = (3, 3),
        dense_units: int = 64,
        dropout: float = 0.5,
        l2: float = 0.001,
    ):
        super().__init__()
        require_spectrogram("sbcnn", input_shape)
        f1, f2, f3 = filters
        pad = kernel_size // 2
        self.features = nn.Sequential(
            nn.Conv2d(input_shape[0], f1, kernel_size, padding=pad),
            nn.ReLU(),
            nn.MaxPool2d(pool_size, ceil_mode=True),
            nn.Conv2d(f1, f2, kernel_size, padding=pad),
            nn.ReLU(),
            nn.MaxPool2d(pool_size, ceil_mode=True),
            nn.Conv2d(f2, f3, kernel_size, padding=pad),
            nn.ReLU(),
            nn.Flatten(),
        )
        with torch.no_grad():
            flat = self.features(torch.zeros(1, *input_shape)).shape[1]
        self.classifier = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(flat, dense_units),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(dense_units, n_classes),
        )
        self.l2 = l2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))

    def l2_parameters(self) -> list[nn.Parameter]:
        """Weights the paper regularises with L2 (the dense layers)."""
        return [m.weight for m in self.classifier if isinstance(m, nn.Linear)]


@register_model("sbcnn")
def sbcnn(input_shape, n_classes, **hparams) -> SBCNN:
    return SBCNN(input_shape, n_classes, **hparams)
