"""Which convolutions copy their weight table from flash into SRAM before they run
(``kernels.stage_weights`` in conf/deploy.yaml).

``sb_conv_s8`` reads its whole weight table once per group of pixels (four, or a pair); from flash, each read that
the small data cache does not hold stalls the core (the target's flash model). Staged, the
table is read from flash once per call, into the layer's arena scratch. The scratch lives
only while its layer runs, so staging costs RAM only where it raises the arena's peak.

- ``auto`` (the default): stage tables, the most re-read first (the most pixel groups), as
  long as the whole RAM plan (arena + what lives outside it: front end, decision layer,
  stack) stays within the target's RAM budget; a table that would break it is skipped.
- a number of bytes: stage every table of at most that size (0: none), whatever the RAM.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from soundbench.deploy.fit import ModelFootprint
from soundbench.deploy.graph import Graph
from soundbench.deploy.kernels import KernelLayer, can_stage, fused_reads, plan_kernels, scratch_by_node, staged
from soundbench.deploy.targets import STACK_BYTES, Target

AUTO = "auto"


@dataclass(frozen=True)
class KernelPlan:
    layers: list[KernelLayer]
    footprint: ModelFootprint  # int8, with every layer's scratch (staged tables included)
    #: convolutions whose table stayed in flash under ``auto`` because the RAM budget would not hold it
    not_staged: tuple[str, ...] = ()

    @property
    def staged_bytes(self) -> int:
        return sum(layer.staged_bytes for layer in self.layers)


def plan_with_staging(
    graph: Graph, target: Target, stage_weights: str | int, ram_outside_arena: Callable[[ModelFootprint], int]
) -> KernelPlan:
    """The kernels for ``graph`` and its int8 footprint, weights staged as ``stage_weights``
    says; ``ram_outside_arena(footprint)``: the RAM the application needs besides the arena
    and the stack (it may depend on the arena, e.g. whether the front end's scratch fits in it)."""
    if str(stage_weights) != AUTO:
        layers = plan_kernels(graph, table_limit(stage_weights))
        return KernelPlan(layers, _footprint(graph, layers))
    layers = plan_kernels(graph)
    footprint = _footprint(graph, layers)
    not_staged = []
    for candidate in sorted((layer for layer in layers if can_stage(layer)), key=lambda layer: -layer.weight_reads):
        trial = [staged(layer) if layer.index == candidate.index else layer for layer in layers]
        trial_footprint = _footprint(graph, trial)
        if trial_footprint.ram_bytes + ram_outside_arena(trial_footprint) + STACK_BYTES <= target.ram_budget:
            layers, footprint = trial, trial_footprint
        else:
            not_staged.append(f"{candidate.node}: {candidate.weight_bytes:,} B would not fit the RAM budget")
    return KernelPlan(layers, footprint, tuple(not_staged))


def _footprint(graph: Graph, layers: list[KernelLayer]) -> ModelFootprint:
    return ModelFootprint.of(graph, "int8", scratch=scratch_by_node(layers), fused=fused_reads(layers))


def table_limit(stage_weights: str | int) -> int:
    """The byte limit a numeric ``kernels.stage_weights`` gives; anything else but ``auto`` is refused."""
    try:
        return int(stage_weights)
    except (TypeError, ValueError):
        raise ValueError(
            f"kernels.stage_weights={stage_weights!r}: give {AUTO} (stage what the RAM budget holds) or a "
            "number of bytes (stage every weight table up to that size; 0: none)"
        ) from None
