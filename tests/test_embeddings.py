"""Embeddings + a scikit-learn classifier: selection on validation, the same protocol,
voting and logging as a training run, and both kinds of backbone."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch

from soundbench.config_check import ConfigError
from soundbench.training.embeddings import _candidates, _evaluate, fit_classifier
from soundbench.training.run import run
from tests.conftest import compose_config, the_only_run

CLASSES = ("a", "b", "c")


def windows(n_clips: int, rng, noise: float, per_clip: int = 3):
    """Clips of 3 classes, each with ``per_clip`` 8-d window embeddings near its class centre."""
    labels = np.repeat(np.arange(n_clips) % 3, per_clip)
    centres = np.eye(3, 8) * 3
    embeddings = centres[labels] + noise * rng.standard_normal((len(labels), 8))
    return embeddings.astype(np.float32), labels, np.repeat(np.arange(n_clips), per_clip)


@pytest.mark.parametrize("kind", ["logreg", "forest"])
def test_the_setting_is_chosen_on_validation_clip_accuracy(kind):
    rng = np.random.default_rng(0)
    train, validation = windows(30, rng, 2.0), windows(15, rng, 2.0)
    cfg = compose_config(["model=embedding", f"model.classifier={kind}", "model.forest_trees=20"])
    fitted = fit_classifier(cfg, train, validation, CLASSES, "mean")
    accuracies = {}
    for setting, pipeline in _candidates(cfg.model, kind, 42):
        pipeline.fit(train[0], train[1])
        accuracies[setting] = _evaluate(
            type(fitted)(kind, setting, 0.0, pipeline), validation, CLASSES, "mean"
        ).accuracy
    assert fitted.validation_accuracy == max(accuracies.values())
    assert accuracies[fitted.setting] == fitted.validation_accuracy
    assert list(accuracies).index(fitted.setting) == list(accuracies.values()).index(max(accuracies.values()))


def test_a_class_missing_from_training_windows_still_gets_a_score():
    rng = np.random.default_rng(1)
    train = windows(30, rng, 0.1)
    keep = train[1] != 2
    train = tuple(part[keep] for part in train)
    cfg = compose_config(["model=embedding"])
    fitted = fit_classifier(cfg, train, windows(6, rng, 0.1), CLASSES, "mean")
    results = _evaluate(fitted, windows(6, rng, 0.1), CLASSES, "mean")
    assert results.confusion().shape == (3, 3) and 0.6 <= results.accuracy < 1.0  # class c is never right


def test_bad_settings_name_the_key():
    cfg = compose_config(["model=embedding", "model.classifier=svm"])
    with pytest.raises(ConfigError, match="model.classifier"):
        fit_classifier(cfg, windows(6, np.random.default_rng(0), 1.0), None, CLASSES, "mean")
    with pytest.raises(ConfigError, match="model.backbone"):
        run(compose_config(["model=embedding", "logger=none"]), "/tmp/unused")


@pytest.mark.slow
def test_a_trained_run_as_backbone_is_tested_and_logged_like_a_run(tmp_path, demo_root):
    common = ["dataset=demo", f"dataset.root={demo_root}", "data.batch_size=32"]
    run(compose_config(common + ["trainer.max_epochs=2", "logger=none"]), tmp_path / "backbone")
    checkpoint = next((tmp_path / "backbone" / "checkpoints").glob("best-*.ckpt"))
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    summary = run(
        compose_config(common + ["model=embedding", f"model.backbone={checkpoint}", f"logger.tracking_uri={uri}"]),
        tmp_path / "embedding",
    )
    assert summary.test_clip_acc > 2 * summary.chance
    assert summary.confusion.sum() == 64  # every test clip of fold 1, voted once
    client, logged = the_only_run(uri)
    assert logged.data.metrics["test/clip_acc"] == pytest.approx(summary.test_clip_acc)
    assert 0 < logged.data.metrics["val/clip_acc"] <= 1 and logged.data.params["embedding/chosen"].startswith("C=")
    assert logged.data.tags["soundbench.backbone"] == str(checkpoint)
    artifacts = {a.path for folder in ("test", "classifier") for a in client.list_artifacts(logged.info.run_id, folder)}
    assert {"test/confusion_matrix.png", "classifier/classifier.json"} <= artifacts


@pytest.mark.slow
def test_an_architecture_with_verified_weights_as_backbone(tmp_path, demo_root):
    import torchvision

    path = tmp_path / "mobilenet_v3_small.pth"
    torch.save(torchvision.models.mobilenet_v3_small(weights=None).state_dict(), path)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    common = [
        "dataset=demo",
        f"dataset.root={demo_root}",
        "logger=none",
        "model=embedding",
        "model.backbone=mobilenet",
        f"+model.backbone_args.weights={path}",
    ]
    summary = run(compose_config(common + [f"+model.backbone_args.weights_sha256={sha}"]), tmp_path / "run")
    assert summary.confusion.sum() == 64
    from soundbench.models.mobilenet import WeightsError

    with pytest.raises(WeightsError, match="sha256"):
        run(compose_config(common + ["+model.backbone_args.weights_sha256=" + "0" * 64]), tmp_path / "refused")


def test_an_architecture_without_weights_is_refused_as_a_backbone(tmp_path):
    from soundbench.config_check import ConfigError
    from soundbench.training.embeddings import Backbone

    cfg = compose_config(["model=embedding", "model.backbone=sbcnn", "logger=none", f"paths.root_dir={tmp_path}"])
    with pytest.raises(ConfigError, match=r"model.backbone=sbcnn names an architecture with no weights.*randomly"):
        Backbone.load(cfg, None)


@pytest.mark.parametrize("content", [b"not a checkpoint at all", b"PK\x03\x04truncated zip"])
def test_a_junk_weights_file_is_named_with_what_to_do(tmp_path, content):
    from soundbench.models import create_model
    from soundbench.models.mobilenet import WeightsError

    junk = tmp_path / "weights.pth"
    junk.write_bytes(content)
    with pytest.raises(WeightsError, match=r"model.weights=.*weights\.pth is (truncated or )?not a PyTorch file"):
        create_model("mobilenet", (1, 60, 31), 10, weights=str(junk))
