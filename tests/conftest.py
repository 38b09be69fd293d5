"""Shared fixtures. Real-data tests read ../shared/data (never copied into the repo) and
skip with a reason when it is absent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from mlflow.tracking import MlflowClient

from soundbench import project

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def shared_dataset(name: str) -> Path:
    path = SHARED / name
    if not path.is_dir():
        pytest.skip(f"real-data subset {path} is absent (it lives beside the repo in shared/data)")
    return path


@pytest.fixture(autouse=True)
def no_inherited_tracking_uri(monkeypatch):
    """MLflow's set_tracking_uri (called by Lightning's logger) exports MLFLOW_TRACKING_URI
    into this process, and soundbench's configs default to that variable: without this, a
    test's train.py subprocess would log to an earlier test's store instead of its own."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


@pytest.fixture
def urbansound8k() -> Path:
    return shared_dataset("urbansound8k")


@pytest.fixture
def esc50() -> Path:
    return shared_dataset("esc50")


@pytest.fixture
def speechcommands() -> Path:
    return shared_dataset("speechcommands")


@pytest.fixture
def fsdd() -> Path:
    return shared_dataset("fsdd")


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory) -> Path:
    """The demo dataset, generated once per test session."""
    from soundbench.data.demo import generate_demo

    return generate_demo(tmp_path_factory.mktemp("data") / "demo")


def write_tone(
    path: Path, seconds: float = 1.0, sr: int = 16000, channels: int = 1, subtype: str = "PCM_16", freq: float = 440.0
) -> Path:
    t = np.arange(int(seconds * sr)) / sr
    tone = 0.5 * np.sin(2 * np.pi * freq * t)
    data = np.stack([tone] * channels, axis=1) if channels > 1 else tone
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, data, sr, subtype=subtype)
    return path


def compose_config(overrides: list[str], config_name: str = "train"):
    return project.compose_config(overrides, config_name, root=ROOT)


def deploy_settings(overrides: list[str]):
    """DeploySettings from conf/deploy.yaml with ``overrides``, as the CLI builds them."""
    from soundbench.deploy.run import DeploySettings

    return DeploySettings.from_config(compose_config(overrides, "deploy"))


def the_only_run(tracking_uri: str):
    client = MlflowClient(tracking_uri)
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    assert len(runs) == 1
    return client, runs[0]
