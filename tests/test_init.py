"""init=: fine-tuning from another run's network (in-domain pretraining): matching layers
are loaded, the head is new, a front-end mismatch is refused, lineage is recorded."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from omegaconf import OmegaConf

from soundbench.config_check import ConfigError
from soundbench.models import create_model
from soundbench.training.init import FreezeBackbone, head_parameter_names, initialise
from soundbench.training.module import AudioClassifier
from tests.conftest import compose_config


def _pretrained(tmp_path, demo_root, model="strided_ds", n_classes=10, extra=()):
    config = compose_config(
        [f"dataset.root={demo_root}", f"model={model}", "logger=none", f"paths.root_dir={tmp_path}", *extra]
    )
    network = create_model(model, (1, 60, 31), n_classes)
    path = tmp_path / "pretrained.ckpt"
    torch.save(
        {
            "state_dict": {f"model.{k}": v for k, v in network.state_dict().items()},
            "soundbench_config": OmegaConf.to_container(config, resolve=True),
            "class_names": [f"c{i}" for i in range(n_classes)],
        },
        path,
    )
    return path, network, config


@pytest.mark.parametrize("n_classes", [4, 10])
def test_matching_layers_are_loaded_and_the_head_is_new(tmp_path, demo_root, n_classes):
    path, pretrained, config = _pretrained(tmp_path, demo_root)
    model = create_model("strided_ds", (1, 60, 31), n_classes)
    fresh = {k: v.clone() for k, v in model.state_dict().items()}
    result = initialise(model, config.features, str(path))
    head = head_parameter_names(model)
    assert head == {"classifier.1.weight", "classifier.1.bias"}
    state, source = model.state_dict(), pretrained.state_dict()
    for name in state:
        if name in head:
            assert torch.equal(state[name], fresh[name])  # new, even with as many classes as before
        else:
            assert torch.equal(state[name], source[name]), name
    assert set(result.new) == head and len(result.loaded) == len(state) - 2
    assert state["classifier.1.weight"].shape[0] == n_classes


def test_another_front_end_is_refused_with_the_keys_that_differ(tmp_path, demo_root):
    path, _, _ = _pretrained(tmp_path, demo_root)
    other = compose_config(
        [f"dataset.root={demo_root}", "model=strided_ds", "features.n_mels=40", "features.sample_rate=16000"]
    )
    with pytest.raises(
        ConfigError,
        match=r"another front end \(features.n_mels: 60 there, 40 here; "
        r"features.sample_rate: 22050 there, 16000 here\).*"
        r"add features.n_mels=60 features.sample_rate=22050",
    ):
        initialise(create_model("strided_ds", (1, 40, 31), 10), other.features, str(path))


def test_a_model_sharing_no_layer_is_refused(tmp_path, demo_root):
    path, _, config = _pretrained(tmp_path, demo_root)
    with pytest.raises(ConfigError, match="shares no layer of matching shape.*model=strided_ds"):
        initialise(create_model("sbcnn", (1, 60, 31), 10), config.features, str(path))


def test_freezing_trains_only_the_head_for_the_first_epochs_and_the_backbone_lr_is_scaled():
    model = create_model("strided_ds", (1, 60, 31), 5)
    module = AudioClassifier(
        torch.nn.Identity(), model, lambda groups: torch.optim.Adam(groups, lr=0.01), ("a",) * 5, backbone_lr_scale=0.1
    )
    freeze = FreezeBackbone(epochs=2)
    head = head_parameter_names(model)
    for epoch, backbone_trains in ((0, False), (1, False), (2, True)):
        freeze.on_train_epoch_start(SimpleNamespace(current_epoch=epoch), module)
        assert all(p.requires_grad == (n in head or backbone_trains) for n, p in model.named_parameters()), epoch
    optimizer = module.configure_optimizers()
    rates = {(id(p)): g["lr"] for g in optimizer.param_groups for p in g["params"]}
    for name, parameter in model.named_parameters():
        assert rates[id(parameter)] == pytest.approx(0.01 if name in head else 0.001), name


@pytest.mark.slow
def test_a_fine_tune_by_run_id_records_its_lineage(tmp_path, demo_root):
    from soundbench.training.init import INIT_RUN_TAG
    from soundbench.training.run import run

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    common = [
        f"dataset.root={demo_root}",
        "model=strided_ds",
        f"paths.root_dir={tmp_path}",
        "trainer.max_epochs=1",
        "data.windows_per_clip=1",
    ]
    pretrained = run(compose_config(common + [f"logger.tracking_uri={uri}"]), tmp_path / "pretrain")
    tuned = run(
        compose_config(
            common
            + [
                f"logger.tracking_uri={uri}",
                f"init={pretrained.run_id}",
                "finetune.freeze_epochs=1",
                "trainer.max_epochs=2",
                "dataset.fold=2",
            ]
        ),
        tmp_path / "finetune",
    )
    from mlflow import MlflowClient

    client = MlflowClient(uri)
    fine = client.get_run(tuned.run_id)
    assert fine.data.tags[INIT_RUN_TAG] == pretrained.run_id
    assert f"runs/{pretrained.run_id})" in fine.data.tags["mlflow.note.content"]
    assert fine.data.params["init"] == pretrained.run_id
