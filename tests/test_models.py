"""The model zoo: shapes, cost, ONNX parity, and MobileNet's weight loading."""

import hashlib

import onnx
import pytest
import torch
import torchvision

from soundbench.artifacts.onnx_export import export_onnx, onnx_parity
from soundbench.config_check import ConfigError
from soundbench.deploy.graph import Graph
from soundbench.deploy.macc import total_macc
from soundbench.experiment import Experiment
from soundbench.features import MFCC, LogMel, Mel, Waveform
from soundbench.models import create_model, list_models, model_cost, model_entry
from soundbench.models.mobilenet import WeightsError
from tests.conftest import ROOT, compose_config

FRONT_ENDS = {"logmel": LogMel(), "mel": Mel(), "mfcc": MFCC(n_mfcc=10), "waveform": Waveform()}
CASES = {name: FRONT_ENDS[model_entry(name).recommended] for name in list_models()}  # model -> its usual front end


@pytest.mark.parametrize("name", list_models())
def test_every_model_builds_for_every_front_end_it_declares(name):
    for front_end in model_entry(name).front_ends:
        shape = FRONT_ENDS[front_end].output_shape()
        assert create_model(name, shape, 4)(torch.randn(2, *shape)).shape == (2, 4), front_end


@pytest.mark.parametrize("model, features", [("sbcnn", "waveform"), ("cnn1d", "logmel"), ("dscnn", "waveform")])
def test_a_pairing_the_model_does_not_accept_is_refused_before_any_data_is_read(model, features, tmp_path):
    cfg = compose_config(
        [f"model={model}", f"features={features}", "dataset=folder", f"dataset.root={tmp_path / 'none'}"]
    )
    with pytest.raises(ConfigError, match=f"model={model} does not accept features={features}"):
        Experiment.from_config(cfg)


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_shape_and_cost(name):
    shape = CASES[name].output_shape()
    model = create_model(name, shape, 7)
    assert model(torch.randn(3, *shape)).shape == (3, 7)
    cost = model_cost(model, shape)
    assert cost["n_parameters"] == sum(p.numel() for p in model.parameters())
    assert cost["macc_per_window"] > cost["n_parameters"] // 10 > 0


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_onnx_export_matches_pytorch(name, tmp_path):
    shape = CASES[name].output_shape()
    torch.manual_seed(0)
    model = create_model(name, shape, 5).eval()
    with torch.no_grad():  # as trained: no two tensors equal (the exporter would store zero-initialised biases once)
        for parameter in model.parameters():
            parameter.add_(0.01 * torch.randn_like(parameter))
    path = export_onnx(model, shape, tmp_path / f"{name}.onnx")
    assert not list(tmp_path.glob("*.data"))  # self-contained: no external weights file
    parity = onnx_parity(model, path, torch.randn(3, *shape))
    assert parity["max_abs_diff"] < 1e-4 and parity["argmax_agreement"] == 1.0
    # one count: what training logs (torchinfo) and what deploy and the search report (the
    # ONNX graph) agree on the parameters as deployed; MACC conventions differ by < 1.5 %
    # (models/complexity.py says where)
    graph = Graph(onnx.load(path))
    cost = model_cost(model, shape)
    assert graph.n_parameters() == cost["n_parameters_deployed"]
    assert cost["n_parameters"] - cost["n_parameters_deployed"] == sum(  # the batch-norm scales, folded
        m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d | torch.nn.BatchNorm1d)
    )
    assert total_macc(graph) == pytest.approx(cost["macc_per_window"], rel=0.015)


def test_sbcnn_layout_matches_the_paper():
    model = create_model("sbcnn", (1, 60, 31), 10)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [24, 48, 48] and all(c.kernel_size == (5, 5) for c in convs)
    dense = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert [d.out_features for d in dense] == [64, 10]
    assert model.l2_parameters() == [d.weight for d in dense]


def test_dscnn_builds_mlperf_tinys_keyword_spotting_reference(tmp_path):
    """The like-for-like anchor of docs/deploy.md: with TensorFlow 'same' padding the first
    conv gives 25 × 5 maps (bands × frames transposed here) and the exported network has the
    reference's 2,656,768 MACs in its convolutions and dense layer (+ 8,000 of average pooling)."""
    from soundbench.deploy.macc import layer_costs

    model = create_model("dscnn", (1, 10, 49), 12, first_kernel=(4, 10), padding="tf_same").eval()
    assert model.features[0](torch.zeros(1, 1, 10, 49)).shape == (1, 64, 5, 25)
    costs = layer_costs(Graph(export_onnx(model, (1, 10, 49), tmp_path / "dscnn.onnx")))
    assert sum(c.macc for c in costs if c.op_type in ("Conv", "Gemm")) == 2_656_768
    with pytest.raises(ValueError, match="model.padding='valid'"):
        create_model("dscnn", (1, 10, 49), 12, padding="valid")


def test_strided_ds_downsamples_with_strides_not_pooling():
    model = create_model("strided_ds", (1, 60, 31), 10, filters=16, n_stages=4)
    assert not any(isinstance(m, torch.nn.MaxPool2d) for m in model.modules())
    assert sum(isinstance(m, torch.nn.Conv2d) and m.stride == (2, 2) for m in model.modules()) == 4


@pytest.mark.parametrize("name, shape", [("sbcnn", (1, 15360)), ("crnn", (1, 15360)), ("cnn1d", (1, 60, 31))])
def test_wrong_front_end_is_explained(name, shape):
    with pytest.raises(ValueError, match="features="):
        create_model(name, shape, 10)


def test_unknown_model_lists_the_available_ones():
    with pytest.raises(KeyError, match="sbcnn"):
        create_model("resnet9000", (1, 60, 31), 10)


@pytest.fixture
def imagenet_checkpoint(tmp_path):
    """A stand-in for downloaded ImageNet weights: a torchvision state dict saved by the test."""
    torch.manual_seed(1)
    state = torchvision.models.mobilenet_v3_small(weights=None).state_dict()
    path = tmp_path / "mobilenet_v3_small-imagenet.pth"
    torch.save(state, path)
    return path, state, hashlib.sha256(path.read_bytes()).hexdigest()


def test_mobilenet_loads_local_weights_and_verifies_sha256(imagenet_checkpoint):
    path, state, sha = imagenet_checkpoint
    model = create_model("mobilenet", (1, 60, 31), 10, weights=str(path), weights_sha256=sha)
    first_conv = model.net.features[0][0].weight
    assert torch.equal(first_conv, state["features.0.0.weight"])
    assert model.net.classifier[-1].out_features == 10
    with pytest.raises(WeightsError, match="does not match"):
        create_model("mobilenet", (1, 60, 31), 10, weights=str(path), weights_sha256="0" * 64)


@pytest.mark.parametrize(
    "finetune, trainable",
    [
        ("all", {"features.0", "features.5", "classifier"}),
        ("head", {"classifier"}),
        ("first_and_last", {"features.0", "classifier"}),
    ],
)
def test_mobilenet_finetune_modes(imagenet_checkpoint, finetune, trainable):
    path, _, _ = imagenet_checkpoint
    model = create_model("mobilenet", (1, 60, 31), 10, weights=str(path), finetune=finetune)
    trains = {n for n, p in model.net.named_parameters() if p.requires_grad}
    for prefix in ["features.0", "features.5", "classifier"]:
        assert any(n.startswith(prefix) for n in trains) == (prefix in trainable), prefix


def test_mobilenet_resizes_to_the_configured_input():
    """The backbone's first convolution sees input_size, not the spectrogram's own shape."""
    for input_size, seen_by_stem in (((96, 96), (96, 96)), (None, (60, 31))):
        model = create_model("mobilenet", (1, 60, 31), 4, input_size=input_size)
        stem = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))
        shapes = []
        stem.register_forward_hook(lambda module, args, out: shapes.append(tuple(args[0].shape[-2:])))
        assert model(torch.randn(2, 1, 60, 31)).shape == (2, 4)
        assert shapes == [seen_by_stem]


def test_mobilenet_batchnorm_tracks_statistics_at_the_configured_momentum():
    """torchvision's MobileNetV3 BN momentum (0.01) left running statistics near their init
    after a short fine-tune on the demo data, and eval mode predicted one class (chance
    accuracy in all 5 folds). The model now sets PyTorch's 0.1, configurable."""
    for momentum in (0.1, 0.05):
        model = create_model("mobilenet", (1, 60, 31), 2, bn_momentum=momentum).train()
        norm = next(m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))
        before, seen = norm.running_mean.clone(), []
        norm.register_forward_hook(lambda module, args, out: seen.append(args[0].detach().mean(dim=(0, 2, 3))))
        model(torch.randn(4, 1, 60, 31) + 3.0)
        # one training step moves the running mean by `momentum` of the way to the batch mean
        torch.testing.assert_close(norm.running_mean, before + momentum * (seen[0] - before), rtol=1e-4, atol=1e-5)


def test_readme_model_table_states_what_the_registry_accepts():
    readme = (ROOT / "README.md").read_text().splitlines()
    stated = {
        line.split(" | ")[0].strip("| `"): [f.strip() for f in line.split(" | ")[1].split(",")]
        for line in readme
        if line.startswith("| `") and line.split(" | ")[0].strip("| `") in list_models()
    }
    assert sorted(stated) == list_models()
    for name, front_ends in stated.items():
        entry = model_entry(name)
        assert sorted(front_ends) == sorted(entry.front_ends) and front_ends[0] == entry.recommended, name
