"""Progress for output that is not a terminal (nohup, SLURM job logs, CI): one line per
epoch instead of progress bars, which a log file would show as nothing (or as thousands of
carriage returns) for minutes per fold.

    epoch  12/60  train/loss 1.482  val/loss 1.201  val/clip_acc 0.653 (best 0.661)  41.3 s/epoch  ~33 min left
"""

from __future__ import annotations

import time

import lightning as L

#: what each line shows, when the run logs it
SHOWN = ("train/loss", "val/loss", "val/clip_acc")


def format_minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


class EpochLines(L.Callback):
    """Print one line per finished epoch: its metrics, the best validation accuracy so far,
    the epoch's wall time and an estimate of the time left at ``max_epochs`` (early stopping
    may end sooner)."""

    def __init__(self, print_fn=print):
        self.print = print_fn
        self.started = 0.0
        self.durations: list[float] = []
        self.best: float | None = None

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.started = time.perf_counter()

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # Lightning calls this after the epoch's validation, so its metrics are in
        if trainer.sanity_checking or not trainer.is_global_zero:
            return
        self.durations.append(time.perf_counter() - self.started)
        self.print(self.line(trainer), flush=True)

    def line(self, trainer: L.Trainer) -> str:
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if k in SHOWN}
        if "val/clip_acc" in metrics:
            self.best = max(metrics["val/clip_acc"], self.best if self.best is not None else -1.0)
        epoch, total = trainer.current_epoch + 1, trainer.max_epochs
        parts = [f"epoch {epoch:>3}/{total}" if total and total > 0 else f"epoch {epoch:>3}"]
        parts += [f"{name} {metrics[name]:.3f}" for name in SHOWN if name in metrics]
        if self.best is not None and "val/clip_acc" in metrics:
            parts[-1] += f" (best {self.best:.3f})"
        per_epoch = sum(self.durations) / len(self.durations)
        parts.append(f"{per_epoch:.1f} s/epoch")
        if total and total > epoch:
            parts.append(f"~{format_minutes(per_epoch * (total - epoch))} left")
        return "  ".join(parts)
