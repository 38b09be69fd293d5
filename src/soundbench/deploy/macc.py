"""Multiply-accumulates (MACC) per layer of an ONNX model, float or quantized.

Counted as the layer's multiply-accumulates for one inference, the convention of
X-CUBE-AI and of torchinfo's ``mult_adds``: convolution = output elements × (input
channels / groups) × kernel area, dense = inputs × outputs, recurrent layers = their gate
matrix products per time step. Pooling and averaging count one operation per input
element they read. Element-wise ops (activations, (de)quantization) count 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from soundbench.deploy.graph import Graph, attribute, node_label

CONV_OPS = {"Conv", "QLinearConv", "ConvInteger"}
DENSE_OPS = {"Gemm", "QGemm", "MatMul", "QLinearMatMul", "MatMulInteger"}
POOL_OPS = {
    "MaxPool",
    "AveragePool",
    "GlobalAveragePool",
    "GlobalMaxPool",
    "QLinearGlobalAveragePool",
    "QLinearAveragePool",
    "ReduceMean",
    "ReduceMax",
}
RECURRENT_OPS = {"GRU": 3, "LSTM": 4, "RNN": 1}  # gates per cell


@dataclass(frozen=True)
class LayerCost:
    node: str
    op_type: str
    output_shape: tuple[int, ...]
    macc: int


def layer_costs(graph: Graph) -> list[LayerCost]:
    costs = []
    for node in graph.nodes:
        if node.op_type == "Constant":
            continue
        out = graph.value(node.output[0], node)
        costs.append(LayerCost(node_label(node), node.op_type, out.shape, _node_macc(graph, node, out.shape)))
    return costs


def total_macc(graph: Graph) -> int:
    return sum(c.macc for c in layer_costs(graph))


def _node_macc(graph: Graph, node, out_shape: tuple[int, ...]) -> int:
    op = node.op_type
    if op in CONV_OPS:
        weight = graph.initializers.get(node.input[3 if op == "QLinearConv" else 1])
        if weight is None:
            return 0
        return int(np.prod(out_shape)) * int(np.prod(weight.shape[1:]))  # weight: (out, in/groups, *kernel)
    if op in DENSE_OPS:
        a = _shape(graph, node.input[0])
        inner = a[-1]
        if op in {"Gemm", "QGemm"} and attribute(node, "transA", 0):
            inner = a[0]
        return int(np.prod(out_shape)) * inner
    if op in POOL_OPS:
        return int(np.prod(_shape(graph, node.input[0])))
    if op in RECURRENT_OPS:
        x = _shape(graph, node.input[0])  # (seq, batch, input)
        hidden = attribute(node, "hidden_size", 0)
        directions = 2 if attribute(node, "direction", b"forward") in (b"bidirectional", "bidirectional") else 1
        gates = RECURRENT_OPS[op]
        return x[0] * x[1] * directions * gates * hidden * (x[2] + hidden)
    return 0


def _shape(graph: Graph, name: str) -> tuple[int, ...]:
    if name in graph.initializers:
        return tuple(graph.initializers[name].shape)
    return graph.value(name).shape
