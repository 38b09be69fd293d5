"""Dependencies point one way: every package imports on its own in a fresh interpreter,
never loads a layer above it, and prediction loads neither Lightning nor MLflow."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import ROOT

# layer → the soundbench packages it may import (besides itself and the layers below)
LAYERS = {
    "soundbench.project": set(),
    "soundbench.voting": set(),
    "soundbench.features": set(),
    "soundbench.models": set(),
    "soundbench.file_signature": set(),
    "soundbench.augment": {"file_signature"},
    "soundbench.plots": set(),
    "soundbench.data": {"augment", "file_signature"},
    "soundbench.evaluation": {"voting"},
    # configs read from files: checked against the front ends, datasets and models it names
    "soundbench.config_trust": {"config_check", "data", "file_signature", "augment", "features", "models"},
    "soundbench.experiment": {
        "data",
        "file_signature",
        "augment",
        "features",
        "models",
        "config_check",
        "config_trust",
    },
    "soundbench.artifacts": {
        "experiment",
        "data",
        "file_signature",
        "augment",
        "features",
        "models",
        "config_check",
        "config_trust",
    },
    "soundbench.tracking": {"plots", "evaluation", "voting"},
    "soundbench.predict": {
        "artifacts",
        "experiment",
        "config_check",
        "config_trust",
        "data",
        "file_signature",
        "augment",
        "features",
        "models",
        "voting",
    },
    # deploy checks the device application against predict on the same recording
    "soundbench.deploy": {
        "predict",
        "artifacts",
        "experiment",
        "config_check",
        "config_trust",
        "data",
        "file_signature",
        "augment",
        "features",
        "models",
        "plots",
        "evaluation",
        "voting",
        "run_folder",
    },
    "soundbench.stages": {
        "deploy",
        "predict",
        "artifacts",
        "experiment",
        "config_check",
        "config_trust",
        "data",
        "file_signature",
        "augment",
        "features",
        "models",
        "plots",
        "evaluation",
        "voting",
        "run_folder",
    },
    # search: checks untrained models with deploy's pieces, trains through Hydra's launcher (not training's code)
    "soundbench.search": {
        "deploy",
        "predict",
        "artifacts",
        "experiment",
        "config_check",
        "config_trust",
        "data",
        "file_signature",
        "augment",
        "features",
        "models",
        "plots",
        "evaluation",
        "voting",
        "run_folder",
        "tracking",
    },
    # training: distillation loads its teacher as deploy and predict load a trained model
    "soundbench.training": {
        "artifacts",
        "experiment",
        "data",
        "file_signature",
        "augment",
        "features",
        "models",
        "plots",
        "evaluation",
        "voting",
        "tracking",
        "config_check",
        "config_trust",
    },
}
#: below every layer: where the project is and its configs composed (soundbench.project)
BENEATH_ALL = {"project"}
HEAVY_FOR_PREDICT = ("lightning", "mlflow", "torchmetrics", "soundbench.training", "soundbench.deploy")


def _import_alone(module: str) -> set[str]:
    """Every module loaded by importing ``module`` and all its submodules in a fresh interpreter."""
    code = (
        f"import importlib, json, pkgutil, sys\n"
        f"package = importlib.import_module({module!r})\n"
        "for info in pkgutil.walk_packages(getattr(package, '__path__', []), package.__name__ + '.'):\n"
        "    if not info.name.endswith('__main__'):\n"
        "        importlib.import_module(info.name)\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"import {module} alone failed:\n{done.stderr[-2000:]}"
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.fixture(scope="module")
def loaded() -> dict[str, set[str]]:
    """Per package: every module loaded by importing it and all its submodules, alone. A few
    interpreters at a time: all of them at once on 2 busy cores ran past any timeout."""
    modules = [*LAYERS, "soundbench.predict.predictor"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(modules, pool.map(_import_alone, modules)))


@pytest.mark.slow
@pytest.mark.parametrize("package", sorted(LAYERS))
def test_packages_import_alone_and_only_downward(loaded, package):
    own = package.split(".")[1]
    used = {m.split(".")[1] for m in loaded[package] if m.startswith("soundbench.") and m.count(".") >= 1} - {own}
    used -= BENEATH_ALL
    assert used <= LAYERS[package], f"{package} imports {sorted(used - LAYERS[package])}, which are not below it"


@pytest.mark.slow
def test_predicting_loads_neither_lightning_nor_mlflow(loaded):
    heavy = sorted(
        m
        for m in loaded["soundbench.predict.predictor"]
        if m.split(".")[0] in HEAVY_FOR_PREDICT or any(m.startswith(h) for h in HEAVY_FOR_PREDICT)
    )
    assert not heavy, f"soundbench.predict.predictor loads {heavy[:5]}"
