"""Does a model fit a board? Flash (weights, and the front end's tables when it runs on the
device) and RAM (the activation arena from the memory plan, the front end's buffers and the
firmware's stack) of the float32 and int8 models against the target's budget, with the
margin."""

from __future__ import annotations

from dataclasses import dataclass

from soundbench.deploy.graph import Graph
from soundbench.deploy.macc import LayerCost, layer_costs
from soundbench.deploy.memory_plan import MemoryPlan, plan_memory
from soundbench.deploy.targets import STACK_BYTES, Target


@dataclass(frozen=True)
class Budget:
    what: str
    need: int
    budget: int

    @property
    def fits(self) -> bool:
        return self.need <= self.budget

    @property
    def margin(self) -> int:
        """Bytes left (positive) or missing (negative)."""
        return self.budget - self.need

    def verdict(self) -> str:
        if self.fits:
            return f"fits, {self.margin:,} B ({self.margin / self.budget:.0%}) to spare"
        return f"does NOT fit by {-self.margin:,} B"


@dataclass
class ModelFootprint:
    """Flash and RAM of one ONNX model."""

    precision: str
    n_parameters: int
    weight_bytes: int
    plan: MemoryPlan
    layers: list[LayerCost]

    @classmethod
    def of(
        cls,
        graph: Graph,
        precision: str,
        alignment: int = 16,
        scratch: dict[int, int] | None = None,
        fused: dict[int, str] | None = None,
    ) -> "ModelFootprint":
        """``scratch``: the kernels' scratch bytes per node index, planned into the arena;
        ``fused``: what fused kernels read instead of their input (``kernels.fused_reads``)."""
        return cls(
            precision,
            graph.n_parameters(),
            graph.weight_bytes(),
            plan_memory(graph, alignment, scratch, fused),
            layer_costs(graph),
        )

    @property
    def macc(self) -> int:
        return sum(layer.macc for layer in self.layers)

    @property
    def ram_bytes(self) -> int:
        return self.plan.arena_bytes

    def budgets(self, target: Target, front_end_flash: int = 0, front_end_ram: int = 0) -> list[Budget]:
        """``front_end_*``: the device front end's tables and buffers, when it runs there."""
        with_front_end = front_end_flash or front_end_ram
        flash = f"flash ({self.precision} weights" + (" + front-end tables)" if with_front_end else ")")
        ram = (
            f"RAM ({self.precision} activations"
            + (" + front-end buffers" if with_front_end else "")
            + f" + {STACK_BYTES // 1024} KiB stack)"
        )
        return [
            Budget(flash, self.weight_bytes + front_end_flash, target.flash_budget),
            Budget(ram, self.ram_bytes + front_end_ram + STACK_BYTES, target.ram_budget),
        ]

    def fits(self, target: Target) -> bool:
        return all(b.fits for b in self.budgets(target))
