"""Learning-rate schedules: shapes users rely on (warm-up, decay to the floor, one-cycle peak)."""

import pytest
import torch

from soundbench.training.schedules import cosine, one_cycle
from tests.conftest import compose_config


def lrs(make, steps=100, lr=0.01, **kwargs) -> list[float]:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, momentum=0.9)
    scheduler = make(optimizer, total_steps=steps, **kwargs)
    seen = []
    for _ in range(steps):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return seen


def test_cosine_warms_up_then_decays_to_its_floor():
    seen = lrs(cosine, warmup_fraction=0.1, final_lr_fraction=0.01)
    assert seen[0] == pytest.approx(0.001) and max(seen) == pytest.approx(0.01)
    assert seen.index(max(seen)) == 9  # the end of the 10-step warm-up
    assert all(a >= b for a, b in zip(seen[9:], seen[10:]))  # then never rises
    assert seen[-1] == pytest.approx(0.0001, rel=0.05)


def test_one_cycle_peaks_at_the_configured_lr():
    seen = lrs(one_cycle, pct_start=0.3)
    assert max(seen) == pytest.approx(0.01) and 25 <= seen.index(max(seen)) <= 31
    assert seen[0] == pytest.approx(0.01 / 25) and seen[-1] < seen[0]


@pytest.mark.parametrize("name", ["none", "cosine", "onecycle"])
def test_scheduler_configs_compose(name):
    cfg = compose_config([f"scheduler={name}"])
    assert bool(cfg.get("scheduler")) == (name != "none")
