"""Training: the LightningModule, single runs and cross-validation.

``run`` and ``run_cv`` are imported on first use (PEP 562), so importing one light module
of this package does not load Lightning and MLflow."""

from __future__ import annotations

__all__ = ["run", "run_cv"]


def __getattr__(name: str):
    if name == "run":
        from soundbench.training.run import run

        return run
    if name == "run_cv":
        from soundbench.training.cv import run_cv

        return run_cv
    raise AttributeError(f"module 'soundbench.training' has no attribute {name!r}")
