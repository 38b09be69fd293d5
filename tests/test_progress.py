"""What a training run prints when its output goes to a file: one line per epoch."""

from __future__ import annotations

from types import SimpleNamespace

import torch
from omegaconf import OmegaConf

from soundbench.training.known_warnings import one_process
from soundbench.training.progress import EpochLines


def _trainer(epoch: int, max_epochs: int, **metrics) -> SimpleNamespace:
    return SimpleNamespace(
        current_epoch=epoch,
        max_epochs=max_epochs,
        sanity_checking=False,
        is_global_zero=True,
        callback_metrics={k.replace("_", "/", 1): torch.tensor(v) for k, v in metrics.items()},
    )


def test_one_line_per_epoch_with_best_accuracy_and_time_left():
    printed = []
    lines = EpochLines(print_fn=lambda text, flush: printed.append(text))
    for epoch, acc in enumerate([0.5, 0.7, 0.6]):
        lines.on_train_epoch_start(None, None)
        lines.on_train_epoch_end(_trainer(epoch, 10, train_loss=1.0, val_loss=0.9, val_clip_acc=acc), None)
    assert [p.split()[1] for p in printed] == ["1/10", "2/10", "3/10"]
    assert "val/clip_acc 0.600 (best 0.700)" in printed[-1] and "train/loss 1.000" in printed[-1]
    assert "s/epoch" in printed[-1] and printed[-1].endswith("left")


def test_the_last_epoch_has_no_time_left_and_sanity_checks_print_nothing():
    printed = []
    lines = EpochLines(print_fn=lambda text, flush: printed.append(text))
    lines.on_train_epoch_start(None, None)
    sanity = _trainer(0, 1, val_clip_acc=0.1)
    sanity.sanity_checking = True
    lines.on_train_epoch_end(sanity, None)
    lines.on_train_epoch_end(_trainer(0, 1, val_clip_acc=0.5), None)
    assert len(printed) == 1 and "left" not in printed[0]


def test_the_srun_hint_is_kept_for_runs_of_several_processes():
    assert one_process(OmegaConf.create({"devices": 1}))
    assert not one_process(OmegaConf.create({"devices": 2}))
    assert not one_process(OmegaConf.create({"devices": 1, "num_nodes": 2}))
