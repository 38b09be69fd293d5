"""Static activation memory plan: where each intermediate tensor lives in one RAM arena.

The scheme of TensorFlow Lite Micro's ``GreedyMemoryPlanner``:
1. every tensor that exists at run time (graph input, node outputs) gets a lifetime
   [producing node, last consuming node] in execution order; graph outputs live to the end;
2. ops that only relabel or overwrite their input element by element (ReLU, Flatten,
   Reshape, ...) run in place when that input dies at the op: output and input share one
   buffer whose lifetime is the union;
3. buffers are placed largest first, each at the lowest offset where it overlaps no
   already-placed buffer that is alive at the same time (first fit in the gaps);
4. the arena is the highest end offset. Sizes are rounded up to ``alignment`` bytes
   (TFLM aligns to 16).

Kernel scratch buffers (im2col columns, padded planes: ``soundbench.deploy.kernels``) are
planned like tensors that live during their node only, so the arena includes them. A kernel
that does its input's producer's work too (``sb_mean_s8_f32`` reads the int8 tensor a
DequantizeLinear would have made float) reads that producer's input instead: the tensor it
skips takes no bytes, and the one it reads lives until it has run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from soundbench.deploy.graph import Graph

#: ops whose output may overwrite their (dying) input: same size, element-wise or a view
IN_PLACE_OPS = {"Relu", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Identity", "Dropout", "Clip"}


@dataclass
class Buffer:
    tensors: list[str]
    size: int
    first: int
    last: int
    offset: int = -1

    def alive_with(self, other: "Buffer") -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass
class MemoryPlan:
    buffers: list[Buffer]
    arena_bytes: int
    alignment: int
    peak_live_bytes: int = 0  # the largest sum of live buffers at one step: no plan can beat it
    offsets: dict[str, int] = field(default_factory=dict)

    def offset_of(self, tensor: str) -> int:
        return self.offsets[tensor]

    def scratch_offset(self, node_index: int) -> int:
        return self.offsets[scratch_name(node_index)]


def scratch_name(node_index: int) -> str:
    return f"scratch:{node_index}"


def plan_memory(
    graph: Graph, alignment: int = 16, scratch: dict[int, int] | None = None, fused: dict[int, str] | None = None
) -> MemoryPlan:
    """``scratch``: node index → bytes that node's kernel needs while it runs; ``fused``: node
    index → the tensor its kernel reads instead of its input (which is then never written)."""
    buffers = _buffers(graph, alignment, fused or {})
    for node_index, nbytes in (scratch or {}).items():
        buffers.append(Buffer([scratch_name(node_index)], _aligned(nbytes, alignment), node_index, node_index))
    placed: list[Buffer] = []
    for buffer in sorted(buffers, key=lambda b: (-b.size, b.first)):
        buffer.offset = _lowest_free_offset(buffer, placed)
        placed.append(buffer)
    arena = max((b.offset + b.size for b in buffers), default=0)
    steps = range(max((b.last for b in buffers), default=-1) + 1)
    peak = max((sum(b.size for b in buffers if b.first <= t <= b.last) for t in steps), default=0)
    offsets = {name: b.offset for b in buffers for name in b.tensors}
    return MemoryPlan(buffers, arena, alignment, peak, offsets)


def _buffers(graph: Graph, alignment: int, fused: dict[int, str]) -> list[Buffer]:
    end = len(graph.nodes) - 1
    first: dict[str, int] = {name: 0 for name in graph.inputs}
    last: dict[str, int] = {name: 0 for name in graph.inputs}
    for t, node in enumerate(graph.nodes):
        for name in node.input:
            if name in last:
                last[name] = t
        for name in node.output:
            if name and name not in graph.initializers:
                first[name] = last[name] = t
    for name in graph.outputs:
        last[name] = end
    skipped = set()
    for t, source in fused.items():
        last[source] = max(last[source], t)
        skipped.add(graph.nodes[t].input[0])

    buffer_of: dict[str, Buffer] = {}
    buffers: list[Buffer] = []
    for t, node in enumerate(graph.nodes):
        if t == 0:
            for name in graph.inputs:
                buffer_of[name] = _new_buffer(graph, name, first, last, alignment, buffers)
        for name in node.output:
            if not name or name in graph.initializers:
                continue
            source = node.input[0] if node.input else ""
            if (
                node.op_type in IN_PLACE_OPS
                and source in buffer_of
                and last[source] == t
                and graph.value(source).nbytes == graph.value(name, node).nbytes
            ):
                shared = buffer_of[source]
                shared.tensors.append(name)
                shared.last = max(shared.last, last[name])
                buffer_of[name] = shared
            else:
                buffer_of[name] = _new_buffer(graph, name, first, last, alignment, buffers)
                if name in skipped:
                    buffer_of[name].size = 0
    return buffers


def _aligned(nbytes: int, alignment: int) -> int:
    return -(-nbytes // alignment) * alignment


def _new_buffer(graph, name, first, last, alignment, buffers) -> Buffer:
    buffer = Buffer([name], _aligned(graph.value(name).nbytes, alignment), first[name], last[name])
    buffers.append(buffer)
    return buffer


def _lowest_free_offset(buffer: Buffer, placed: list[Buffer]) -> int:
    candidate = 0
    for other in sorted((b for b in placed if b.alive_with(buffer)), key=lambda b: b.offset):
        if candidate + buffer.size <= other.offset:
            break
        candidate = max(candidate, other.offset + other.size)
    return candidate
