"""Model cost per analysis window: parameters and multiply-accumulates (MACC), counted by
torchinfo on one window of the front end's output shape.

Deploy counts the exported ONNX graph (``deploy.graph``/``deploy.macc``), which is what ships:
its parameters are ``n_parameters_deployed`` here (export folds batch norm into the layer
before it: the scale into its weights, the shift becomes its bias; every layer before a batch
norm in the zoo is bias-free, as usual), equal for every model of the zoo
(tests/test_models.py). Its MACC follows X-CUBE-AI's convention and differs from torchinfo's
by under 1.5 % (pooling reads counted there, batch-norm and bias adds here, recurrent
layers' gates counted per time step there).
"""

from __future__ import annotations

from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torchinfo import summary


def model_cost(model: nn.Module, input_shape: tuple[int, ...]) -> dict[str, int]:
    was_training = model.training
    stats = summary(model, input_size=(1, *input_shape), verbose=0, device="cpu", mode="eval")
    model.train(was_training)
    return {
        "n_parameters": int(stats.total_params),
        "n_trainable_parameters": int(stats.trainable_params),
        "n_parameters_deployed": int(stats.total_params) - folded_batch_norm_scales(model),
        "macc_per_window": int(stats.total_mult_adds),
    }


def folded_batch_norm_scales(model: nn.Module) -> int:
    """Batch norm's learnt scales, which export multiplies into the weights before them (the
    shifts stay, as those layers' biases)."""
    return sum(m.weight.numel() for m in model.modules() if isinstance(m, _BatchNorm) and m.affine)
