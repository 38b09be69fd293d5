"""Model zoo: one small file per family, each registering itself by name."""

from soundbench.models import cnn1d, crnn, dscnn, mobilenet, sbcnn, strided_ds  # noqa: F401  (register)
from soundbench.models.complexity import model_cost
from soundbench.models.registry import check_front_end, create_model, list_models, model_entry, register_model

__all__ = ["check_front_end", "create_model", "list_models", "model_cost", "model_entry", "register_model"]
