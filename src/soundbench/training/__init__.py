"""Training: the LightningModule, clip-level evaluation, and the run orchestration."""

from soundbench.training.run import run

__all__ = ["run"]
