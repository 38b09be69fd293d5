"""Lightning callbacks that tests put into a train.py run through its config."""

from __future__ import annotations

import os
import signal

import lightning as L


class KillAtTestStart(L.Callback):
    """``kill -9`` of the training process once fit is over and testing begins."""

    def on_test_start(self, trainer, pl_module) -> None:
        os.kill(os.getpid(), signal.SIGKILL)
