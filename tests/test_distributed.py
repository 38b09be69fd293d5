"""Distributed data parallel without a GPU: two CPU processes (gloo) train one model, rank 0
tests it on every test window once and logs one MLflow run."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT, the_only_run


def _train(*overrides: str) -> float:
    done = subprocess.run(
        [sys.executable, "train.py", *overrides], cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return float(re.search(r"Test clip accuracy ([\d.]+)", done.stdout).group(1))


@pytest.mark.slow
def test_ddp_on_two_cpu_processes_matches_one_process_and_logs_one_run(tmp_path, demo_root):
    common = ["model=sbcnn", f"dataset.root={demo_root}", "trainer.max_epochs=4", "seed=0"]
    single = _train(*common, "logger=none", f"paths.root_dir={tmp_path / 'single'}")
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    # 2 processes × 32 windows: the same effective batch as one process × 64
    ddp = _train(
        *common, "trainer=ddp", "data.batch_size=32", f"logger.tracking_uri={uri}", f"paths.root_dir={tmp_path / 'ddp'}"
    )
    print(f"clip accuracy: one process {single:.3f}, two DDP processes {ddp:.3f}")
    assert single > 0.5 and abs(ddp - single) <= 0.1  # the same within seed-to-seed noise (64 test clips)
    client, run = the_only_run(uri)  # one run, not one per rank
    assert run.info.status == "FINISHED" and run.data.metrics["test/clip_acc"] == pytest.approx(ddp, abs=1e-3)
    assert {a.path for a in client.list_artifacts(run.info.run_id, "test")} >= {"test/confusion_matrix.png"}
