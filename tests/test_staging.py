"""kernels.stage_weights: which convolutions copy their weights into SRAM before they run
(deploy/staging.py): auto stages what the RAM budget holds, the most re-read tables first."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from soundbench.artifacts.onnx_export import export_onnx
from soundbench.deploy.graph import Graph
from soundbench.deploy.quantize import quantize_int8
from soundbench.deploy.staging import plan_with_staging
from soundbench.deploy.targets import STACK_BYTES, Target

SHAPE = (16, 4, 4)
OUTSIDE = 3000  # what the application keeps outside the arena: front end, decision layer


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    work = tmp_path_factory.mktemp("staging")
    torch.manual_seed(0)
    # pointwise convolutions on a small map: weight tables (1 and 4 KiB) larger than the activations
    model = torch.nn.Sequential(
        torch.nn.Conv2d(16, 64, 1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(64, 64, 1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(64, 8, 1),
    ).eval()
    calibration = np.random.default_rng(0).standard_normal((4, *SHAPE)).astype(np.float32)
    return Graph(quantize_int8(export_onnx(model, SHAPE, work / "m.onnx"), work / "int8.onnx", calibration))


def board(ram_budget: int) -> Target:
    return Target("t", "b", "cortex-m4", 80, flash_bytes=1 << 20, ram_bytes=ram_budget, budget_fraction=1.0)


def total_ram(plan) -> int:
    return plan.footprint.ram_bytes + OUTSIDE + STACK_BYTES


def test_auto_stages_every_table_when_the_ram_allows(graph):
    everything = plan_with_staging(graph, board(1 << 20), 1 << 20, lambda fp: OUTSIDE)
    auto = plan_with_staging(graph, board(1 << 20), "auto", lambda fp: OUTSIDE)
    assert sum(layer.staged_bytes > 0 for layer in everything.layers) == 3
    assert [layer.staged_bytes for layer in auto.layers] == [layer.staged_bytes for layer in everything.layers]
    assert auto.not_staged == () and auto.staged_bytes == everything.staged_bytes


def test_auto_keeps_the_ram_plan_within_the_budget(graph):
    none = plan_with_staging(graph, board(1 << 20), 0, lambda fp: OUTSIDE)
    everything = plan_with_staging(graph, board(1 << 20), 1 << 20, lambda fp: OUTSIDE)
    assert none.staged_bytes == 0 and total_ram(everything) > total_ram(none)  # staging them all costs RAM
    tight = plan_with_staging(graph, board(total_ram(none)), "auto", lambda fp: OUTSIDE)
    assert total_ram(tight) <= total_ram(none)  # the budget is the unstaged plan: nothing may grow it
    assert tight.not_staged and all("would not fit the RAM budget" in why for why in tight.not_staged)
    # what it did stage lives inside the arena's existing peak: free speed
    assert tight.footprint.ram_bytes == none.footprint.ram_bytes
    # the RAM outside the arena counts: with more of it, less is staged
    crowded = plan_with_staging(graph, board(total_ram(none)), "auto", lambda fp: OUTSIDE + 1)
    assert crowded.staged_bytes == 0 and len(crowded.not_staged) > len(tight.not_staged)


def test_a_number_stages_every_table_up_to_that_size(graph):
    plan = plan_with_staging(graph, board(1 << 20), 1024, lambda fp: 0)
    convs = [layer for layer in plan.layers if layer.kernel == "sb_conv_s8"]
    assert sorted(layer.weight_bytes for layer in convs) == [512, 1024, 4096]
    assert all(bool(layer.staged_bytes) == (layer.weight_bytes <= 1024) for layer in convs)
