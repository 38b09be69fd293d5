"""Model zoo: one small file per family, each registering itself by name."""

from soundbench.models import cnn1d, crnn, dscnn, mobilenet, sbcnn, strided_ds  # noqa: F401  (register)
from soundbench.models.complexity import model_cost
from soundbench.models.registry import create_model, list_models, register_model

__all__ = ["create_model", "list_models", "model_cost", "register_model"]
