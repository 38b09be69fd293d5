"""Model zoo: one small file per family, each registering itself by name."""

from soundbench.models import sbcnn  # noqa: F401  (registers)
from soundbench.models.registry import create_model, list_models, register_model

__all__ = ["create_model", "list_models", "register_model"]
