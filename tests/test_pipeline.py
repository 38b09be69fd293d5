"""`dvc repro` on the demo dataset in a temporary copy of the repository: it completes,
a second run does nothing, and a feature parameter invalidates features and everything
after it but not the download."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from soundbench.pipeline.params import models
from tests.conftest import ROOT


def test_model_param_forms():
    assert models({"model": "crnn"}) == ["crnn"]
    assert models({"model": "sbcnn, strided_ds"}) == ["sbcnn", "strided_ds"]
    assert models({"model": ["sbcnn", "cnn1d"]}) == ["sbcnn", "cnn1d"]


def _run(command: list[str], cwd: Path, env: dict) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


@pytest.mark.slow
def test_dvc_repro_on_the_demo_dataset(tmp_path, demo_root):
    repo = tmp_path / "repo"
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    shutil.copytree(demo_root, repo / "data" / "demo")  # the generator's output, to save its 4 s
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params.update(model="strided_ds", train={"max_epochs": 2, "folds": [1, 2]},
                  deploy={"calibration_windows": 50, "emulator_windows": 2})
    (repo / "params.yaml").write_text(yaml.safe_dump(params))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    env.pop("SOUNDBENCH_ROOT", None)
    for command in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "x"]):
        _run(command, repo, env)

    _run(["dvc", "repro"], repo, env)
    report = (repo / "experiments" / "demo" / "report.md").read_text()
    assert "| strided_ds |" in report and "467,712" in report and "## Provenance" in report
    assert (repo / "experiments" / "demo" / "pareto_macc.png").stat().st_size > 10_000
    metrics = json.loads((repo / "experiments" / "demo" / "metrics.json").read_text())
    assert set(metrics["strided_ds"]) >= {"clip_acc", "int8_clip_acc", "flash_int8_bytes", "ram_int8_bytes", "latency_ms"}
    assert "strided_ds.ram_int8_bytes" in _run(["dvc", "metrics", "show"], repo, env)

    assert "Data and pipelines are up to date" in _run(["dvc", "repro"], repo, env)

    params["features_params"] = {"n_mels": 40}
    (repo / "params.yaml").write_text(yaml.safe_dump(params))
    status = _run(["dvc", "status"], repo, env)
    changed = {line.rstrip(":").strip() for line in status.splitlines() if line and not line.startswith("\t")
               and line.strip().endswith(":") and not line.strip().startswith("changed")}
    assert "features" in changed and "download" not in changed and "verify" not in changed
