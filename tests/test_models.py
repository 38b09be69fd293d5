"""The model registry and SB-CNN."""

import pytest
import torch

from soundbench.models import create_model, list_models


def test_sbcnn_follows_the_front_end_shape():
    for shape in [(1, 60, 31), (1, 128, 128), (1, 20, 31)]:
        model = create_model("sbcnn", shape, 10)
        assert model(torch.randn(2, *shape)).shape == (2, 10)


def test_sbcnn_layout_matches_the_paper():
    model = create_model("sbcnn", (1, 60, 31), 10)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [24, 48, 48] and all(c.kernel_size == (5, 5) for c in convs)
    dense = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert [d.out_features for d in dense] == [64, 10]
    assert model.l2_parameters() == [d.weight for d in dense]


def test_sbcnn_refuses_waveform_input():
    with pytest.raises(ValueError, match="features=mel"):
        create_model("sbcnn", (1, 15360), 10)


def test_unknown_model_lists_the_available_ones():
    with pytest.raises(KeyError, match="sbcnn"):
        create_model("resnet9000", (1, 60, 31), 10)
    assert "sbcnn" in list_models()
