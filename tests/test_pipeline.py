"""`dvc repro` on the demo dataset in a temporary copy of the repository: it completes,
a second run does nothing, a feature parameter or replaced audio invalidates features and
everything after it but not the download; and every stage depends on all the code and
configuration it reads, so no edit leaves `dvc repro` saying "up to date" with stale
results."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from soundbench.stages.params import READS_LOG, models, train_config
from tests.conftest import ROOT


def test_model_param_forms():
    assert models({"model": "crnn"}) == ["crnn"]
    assert models({"model": "sbcnn, strided_ds"}) == ["sbcnn", "strided_ds"]
    assert models({"model": ["sbcnn", "cnn1d"]}) == ["sbcnn", "cnn1d"]


def test_nested_params_reach_the_composed_config():
    params = {
        "dataset": "demo",
        "features": "logmel",
        "features_params": {"n_mels": 40},
        "augment_params": {"specaugment": {"n_freq_masks": 3}, "mixup": None},
        "model_params": {"filters": [8, 16, 16]},
        "train": {"augment": "basic", "folds": [1, 2]},
    }
    cfg = train_config(params, "sbcnn")
    assert cfg.augment.specaugment.n_freq_masks == 3 and cfg.augment.mixup is None
    assert cfg.features.n_mels == 40 and list(cfg.model.filters) == [8, 16, 16] and list(cfg.cv.folds) == [1, 2]
    only_data = train_config(
        {"dataset": "demo", "dataset_params": {"clips_per_class": 8}}, groups=("dataset",), training=False
    )
    assert only_data.dataset.clips_per_class == 8


STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def _changed_stages(repo: Path, env: dict) -> set[str]:
    """Stages `dvc status` says must rerun (the always-run fingerprint stage aside)."""
    status = json.loads(_run(["dvc", "status", "--json"], repo, env) or "{}")
    return {stage for stage, changes in status.items() if changes != ["always changed"]} - {"fingerprint"}


def _copy_repo(repo: Path, only: tuple[str, ...] = ()) -> None:
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in files:
        if (ROOT / name).is_file() and (not only or name.startswith(only)):
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)


def _env() -> dict:
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    env.pop("SOUNDBENCH_ROOT", None)
    env.pop("MLFLOW_TRACKING_URI", None)
    return env


# file edited → the stages that read it (and so must rerun); never the download
EDITS = {
    "conf/model/sbcnn.yaml": {"pretrain", "train"},
    "conf/train.yaml": {"verify", "features", "pretrain", "train"},
    "conf/optimizer/adam.yaml": {"pretrain", "train"},
    "conf/features/logmel.yaml": {"features", "pretrain", "train"},
    "conf/experiment/mcu_esc40.yaml": {"pretrain"},
    "src/soundbench/data/datamodule.py": {"verify", "features", "pretrain", "train", "deploy"},
    "src/soundbench/data/audio.py": {"verify", "features", "pretrain", "train", "deploy"},
    "src/soundbench/models/sbcnn.py": {
        "features",
        "pretrain",
        "train",
        "deploy",
    },  # features: the registry checks the pairing
    "conf/target/stm32l476.yaml": {"deploy", "report"},
    "conf/deploy.yaml": {"deploy"},
    "embedded/kernels/conv_s8.c": {"deploy"},
}


@pytest.mark.slow
def test_every_edit_reruns_the_stages_that_read_it(tmp_path):
    """After a (recorded) `dvc repro`, editing a config or source file makes `dvc status`
    name exactly the stages that read it."""
    repo, env = tmp_path / "repo", _env()
    _copy_repo(repo, ("conf/", "src/", "pipelines/", "embedded/", "dvc.yaml", "params.yaml"))
    _run(["dvc", "init", "--no-scm", "-q"], repo, env)
    for stage in STAGES.values():  # stand-ins for the outputs, then record the pipeline as run
        for out in stage.get("outs", []) + stage.get("metrics", []):
            path = repo / next(iter(out)).replace("${experiment}", "demo")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("{}")
    _run(["dvc", "commit", "-f", "-q"], repo, env)
    assert _changed_stages(repo, env) == set()
    for name, readers in EDITS.items():
        original = (repo / name).read_text()
        (repo / name).write_text(original + "\n")
        assert _changed_stages(repo, env) == readers, name
        (repo / name).write_text(original)


@functools.cache
def _soundbench_files_imported() -> dict[str, set[str]]:
    """Per stage: the files under src/ that importing its script loads (all stages at once)."""
    code = (
        "import importlib.util, json, sys\n"
        "spec = importlib.util.spec_from_file_location('stage', sys.argv[1])\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "print(json.dumps([m.__file__ for m in list(sys.modules.values()) if getattr(m, '__file__', None)]))"
    )
    running = {
        stage: subprocess.Popen(
            [sys.executable, "-c", code, str(ROOT / spec["cmd"].split()[-1])],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for stage, spec in STAGES.items()
    }
    imported = {}
    for stage, process in running.items():
        files = json.loads(process.communicate(timeout=900)[0].splitlines()[-1])
        imported[stage] = {
            Path(f).resolve().relative_to(ROOT).as_posix()
            for f in files
            if Path(f).resolve().is_relative_to(ROOT / "src")
        }
    return imported


@pytest.mark.slow
@pytest.mark.parametrize("stage", sorted(STAGES))
def test_each_stage_depends_on_the_code_it_imports(stage):
    deps = [d.rstrip("/") for d in STAGES[stage]["deps"]]
    uncovered = {
        f
        for f in _soundbench_files_imported()[stage]
        if not any(f == d or f.startswith(d + "/") for d in deps) and not f.endswith("__init__.py")
    }
    assert not uncovered, f"dvc.yaml stage {stage} imports {sorted(uncovered)} but does not list them in deps"


def _run(command: list[str], cwd: Path, env: dict) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


@pytest.mark.slow
def test_the_committed_pipeline_is_up_to_date_in_a_copy_at_another_path(tmp_path):
    """dvc.lock matches the code, configs and stage outputs as committed, wherever the
    repository is: a stale lock (code changed after the last `dvc repro`) or an output that
    holds the path it was made at fails here. Fix: `dvc repro`, then commit dvc.lock and experiments/."""
    repo, env = tmp_path / "elsewhere" / "soundbench", _env()
    _copy_repo(repo)
    _run(["git", "init", "-q"], repo, env)
    assert _changed_stages(repo, env) == set()
    outputs = "".join(p.read_text() for p in (repo / "experiments").rglob("pipeline/*.json"))
    assert str(ROOT) not in outputs


@pytest.mark.slow
def test_dvc_repro_on_the_demo_dataset(tmp_path):
    """In a copy of the repository at another path, with its committed lock and outputs:
    the download stage brings the data, and a changed parameter retrains there."""
    repo, env = tmp_path / "repo", _env()
    _copy_repo(repo)
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params.update(
        model="strided_ds",
        train={"max_epochs": 2, "folds": [1, 2]},
        deploy={"calibration": {"windows": 50}, "emulator": {"windows": 2}},
    )
    (repo / "params.yaml").write_text(yaml.safe_dump(params))
    for command in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "x"]):
        _run(command, repo, env)
    assert _changed_stages(repo, env) == {"train", "deploy"}  # the data's absence is the download stage's to mend

    env[READS_LOG] = str(tmp_path / "params-read.jsonl")
    _run(["dvc", "repro", "--force"], repo, env)  # every stage, so that each one's reads are seen
    reads = [json.loads(line) for line in Path(env.pop(READS_LOG)).read_text().splitlines()]
    assert {r["stage"] for r in reads} == set(STAGES)
    for read in reads:  # every params.yaml key a stage read is one of its dependencies
        declared = set(STAGES[read["stage"]].get("params", [])) | {"experiment"}  # experiment: the output folder
        assert set(read["keys"]) <= declared, (read["stage"], set(read["keys"]) - declared)
    report = (repo / "experiments" / "demo" / "report.md").read_text()
    assert "| strided_ds |" in report and "467,712" in report and "## Provenance" in report
    assert (repo / "experiments" / "demo" / "pareto_latency.png").stat().st_size > 10_000
    metrics = json.loads((repo / "experiments" / "demo" / "metrics.json").read_text())
    assert set(metrics["strided_ds"]) >= {
        "clip_acc",
        "int8_clip_acc",
        "flash_int8_bytes",
        "ram_int8_bytes",
        "latency_ms",
    }
    assert "strided_ds.ram_int8_bytes" in _run(["dvc", "metrics", "show"], repo, env)

    again = _run(["dvc", "repro"], repo, env)  # only the fingerprint is taken again
    assert "Running stage 'fingerprint'" in again and "Running stage 'features'" not in again, again

    # audio replaced in place (same name, same size): features and all after it are stale
    clip = next((repo / "data" / "demo").rglob("*.wav"))
    data = bytearray(clip.read_bytes())
    data[-200:] = bytes(range(200))
    clip.write_bytes(bytes(data))
    _run(["dvc", "repro", "fingerprint"], repo, env)
    assert _changed_stages(repo, env) == {"features"}

    params["features_params"] = {"n_mels": 40}
    (repo / "params.yaml").write_text(yaml.safe_dump(params))
    assert _changed_stages(repo, env) == {"features", "train"}  # train reads features_params itself
