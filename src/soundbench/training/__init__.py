"""Training: the LightningModule, clip-level evaluation, single runs and cross-validation."""

from soundbench.training.cv import run_cv
from soundbench.training.run import run

__all__ = ["run", "run_cv"]
