"""ImageNet-pretrained MobileNet (torchvision's implementation) for transfer learning.

The one-channel spectrogram window is replicated to 3 channels (the pretrained first layer
expects RGB) and optionally resized to ``input_size``. Weights:
    pretrained=imagenet   torchvision's weight registry: downloads when online, else uses
                          the torch hub cache (~/.cache/torch/hub/checkpoints)
    weights=/path/x.pth   a local state dict (ImageNet layout, 1000-class head), verified
                          against ``weights_sha256`` when given
``finetune`` chooses what trains: all | head (classifier only) | first_and_last (the
first conv block and the classifier).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from soundbench.models.checkpoint import load_tensors
from soundbench.models.layers import require_spectrogram
from soundbench.models.registry import register_model

#: variant → its ImageNet weights in torchvision's registry (imported when a MobileNet is
#: built: torchvision takes seconds to import, which every soundbench process would pay)
VARIANTS = {
    "mobilenet_v2": "MobileNet_V2_Weights",
    "mobilenet_v3_small": "MobileNet_V3_Small_Weights",
    "mobilenet_v3_large": "MobileNet_V3_Large_Weights",
}
FINETUNE = ("all", "head", "first_and_last")


class WeightsError(RuntimeError):
    """Pretrained weights could not be obtained or do not match; the message says what to do."""


class MobileNet(nn.Module):
    def __init__(
        self,
        input_shape: tuple[int, int, int],
        n_classes: int,
        variant: str = "mobilenet_v3_small",
        pretrained: str | None = None,
        weights: str | None = None,
        weights_sha256: str | None = None,
        finetune: str = "all",
        input_size: tuple[int, int] | None = None,
        dropout: float = 0.2,
        bn_momentum: float = 0.1,
    ):
        super().__init__()
        require_spectrogram("mobilenet", input_shape)
        if variant not in VARIANTS:
            raise ValueError(f"model.variant={variant!r}: choose one of {sorted(VARIANTS)}")
        if finetune not in FINETUNE:
            raise ValueError(f"model.finetune={finetune!r}: choose one of {FINETUNE}")
        if pretrained not in (None, "imagenet"):
            raise ValueError(f"model.pretrained={pretrained!r}: use imagenet or null")
        self.input_size = tuple(input_size) if input_size else None
        import torchvision

        self.net = getattr(torchvision.models, variant)(weights=None, dropout=dropout)
        state = _load_state(variant, pretrained, weights, weights_sha256)
        if state is not None:
            self.net.load_state_dict(state)
        # torchvision's MobileNetV3 uses BN momentum 0.01, tuned for long ImageNet schedules: on
        # a few hundred steps the running statistics stay near their init and evaluation
        # collapses to one class. PyTorch's default 0.1 tracks them in time.
        for module in self.net.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.momentum = bn_momentum
        last = self.net.classifier[-1]
        self.net.classifier[-1] = nn.Linear(last.in_features, n_classes)
        _freeze(self.net, finetune)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.expand(-1, 3, -1, -1)  # replicate the single channel to RGB
        if self.input_size:
            x = F.interpolate(x, size=self.input_size, mode="bilinear", align_corners=False)
        return self.net(x)


def _load_state(variant: str, pretrained: str | None, weights: str | None, sha256: str | None) -> dict | None:
    if weights:
        return _load_local(Path(weights).expanduser(), sha256)
    if pretrained == "imagenet":
        import torchvision

        registry = getattr(torchvision.models, VARIANTS[variant]).IMAGENET1K_V1
        try:
            return registry.get_state_dict(progress=True, check_hash=True)
        except Exception as err:  # offline and not cached
            raise WeightsError(
                f"could not obtain {variant} ImageNet weights ({err}). Offline: download {registry.url} "
                "elsewhere and pass model.weights=/path/to/file.pth (or place it in ~/.cache/torch/hub/checkpoints/)."
            ) from err
    return None


def _load_local(path: Path, sha256: str | None) -> dict:
    if not path.is_file():
        raise WeightsError(f"model.weights={path}: file not found")
    if sha256:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != sha256.lower():
            raise WeightsError(
                f"{path}: sha256 {digest} does not match model.weights_sha256={sha256}; "
                "the file is corrupt or a different checkpoint"
            )
    state = load_tensors(path, WeightsError, f"model.weights={path}")
    if not isinstance(state, dict):
        raise WeightsError(f"model.weights={path} holds a {type(state).__name__}, not a state dict")
    return state.get("state_dict", state)


def _freeze(net: nn.Module, finetune: str) -> None:
    if finetune == "all":
        return
    for p in net.parameters():
        p.requires_grad = False
    trainable = [net.classifier] + ([net.features[0]] if finetune == "first_and_last" else [])
    for module in trainable:
        for p in module.parameters():
            p.requires_grad = True


@register_model("mobilenet")
def mobilenet(input_shape, n_classes, **hparams) -> MobileNet:
    return MobileNet(input_shape, n_classes, **hparams)
