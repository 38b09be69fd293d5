"""Dependencies point one way: every package imports on its own in a fresh interpreter,
never loads a layer above it, and prediction loads neither Lightning nor MLflow."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import ROOT


def _layers_from_pyproject() -> dict[str, set[str]]:
    """Package → the soundbench packages it may import: those in the layers below it, as the
    import-linter contract in pyproject.toml states them (one statement of the layers, which
    `make lint` checks statically and this file by importing)."""
    contract = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]
    layers = [[name.strip() for name in layer.split("|")] for layer in contract["layers"]]
    allowed = {}
    for i, layer in enumerate(layers):
        below = {name.split(".")[1] for lower in layers[i + 1 :] for name in lower}
        allowed.update({name: set(below) for name in layer})
    return allowed


LAYERS = _layers_from_pyproject()
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
    assert used <= LAYERS[package], f"{package} imports {sorted(used - LAYERS[package])}, which are not below it"


@pytest.mark.slow
def test_predicting_loads_neither_lightning_nor_mlflow(loaded):
    heavy = sorted(
        m
        for m in loaded["soundbench.predict.predictor"]
        if m.split(".")[0] in HEAVY_FOR_PREDICT or any(m.startswith(h) for h in HEAVY_FOR_PREDICT)
    )
    assert not heavy, f"soundbench.predict.predictor loads {heavy[:5]}"
