"""Read an ONNX model as the deploy checks see it: every value's shape, dtype and byte
size (after ONNX shape inference), the weights, and the nodes in execution order."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper, shape_inference


class UnsupportedModelError(ValueError):
    """The model has something a deploy step cannot handle; the message names the op and node."""


@dataclass(frozen=True)
class Value:
    name: str
    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize


class Graph:
    """Nodes (topologically sorted, as ONNX requires), values and initializers of one model."""

    def __init__(self, model: onnx.ModelProto | str | Path):
        if not isinstance(model, onnx.ModelProto):
            model = onnx.load(str(model))
        self.model = shape_inference.infer_shapes(model, strict_mode=False)
        graph = self.model.graph
        self.nodes = list(graph.node)
        self.initializers = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        self.inputs = [i.name for i in graph.input if i.name not in self.initializers]
        self.outputs = [o.name for o in graph.output]
        self.values: dict[str, Value] = {}
        for info in [*graph.input, *graph.value_info, *graph.output]:
            if info.name not in self.initializers:
                self.values[info.name] = _value(info)
        for node in self.nodes:  # constants produced by Constant nodes are weights too
            if node.op_type == "Constant":
                self.initializers[node.output[0]] = numpy_helper.to_array(helper.get_attribute_value(node.attribute[0]))
        missing = [name for name in self.activations() if name not in self.values]
        if missing:  # ONNX shape inference skips contrib ops (com.microsoft QGemm, ...)
            self.values.update(_shapes_from_onnxruntime(self.model, [self.values[i] for i in self.inputs], missing))

    def value(self, name: str, node: onnx.NodeProto | None = None) -> Value:
        if name not in self.values:
            where = f" (output of {node.op_type} node {node.name!r})" if node is not None else ""
            raise UnsupportedModelError(
                f"ONNX shape inference gave no static shape for tensor {name!r}{where}; "
                "export with a static input shape (batch 1)"
            )
        return self.values[name]

    def producer(self, tensor: str) -> tuple[int, onnx.NodeProto] | None:
        """(index, node) of the node whose output ``tensor`` is; None for inputs and weights."""
        return next(((i, n) for i, n in enumerate(self.nodes) if tensor in n.output), None)

    def consumers(self, tensor: str) -> list[int]:
        """Indices of the nodes that read ``tensor``."""
        return [i for i, n in enumerate(self.nodes) if tensor in n.input]

    def weight_bytes(self) -> int:
        """Bytes of every constant the model stores (weights, biases, quantization params)."""
        return int(sum(a.nbytes for a in self.initializers.values()))

    def n_parameters(self) -> int:
        """The learnt constants: weight and bias tensors, as the network's parameters with
        batch norm folded into the layers before it (``models.model_cost``'s
        ``n_parameters_deployed``). Not counted: quantization scales and zero points, int64
        constants (shapes and axes, int64 by the ONNX spec; weights are float or int8,
        biases int32), recurrent layers' initial states and scalars."""
        not_learnt = self._recurrent_states()
        return int(
            sum(
                a.size
                for name, a in self.initializers.items()
                if a.size > 1
                and a.dtype.kind in "fiu"
                and a.dtype != np.int64
                and not _is_quant_param(name)
                and name not in not_learnt
            )
        )

    def _recurrent_states(self) -> set[str]:
        """GRU/LSTM/RNN inputs 4 and on (sequence lengths, initial hidden and cell states)."""
        return {name for node in self.nodes if node.op_type in ("GRU", "LSTM", "RNN") for name in node.input[4:]}

    def activations(self) -> list[str]:
        """Names of the tensors that live in RAM at run time: graph inputs and every node output."""
        names = list(self.inputs)
        for node in self.nodes:
            names += [o for o in node.output if o and o not in self.initializers]
        return names


def attribute(node: onnx.NodeProto, name: str, default):
    """A node attribute's value, or ``default`` when the node does not set it."""
    for attr in node.attribute:
        if attr.name == name:
            return helper.get_attribute_value(attr)
    return default


def node_label(node: onnx.NodeProto) -> str:
    """How reports name a node: its name, else its first output (names are optional in ONNX)."""
    return node.name or node.output[0]


def _value(info: onnx.ValueInfoProto) -> Value:
    tensor_type = info.type.tensor_type
    dims = tuple(d.dim_value if d.HasField("dim_value") else -1 for d in tensor_type.shape.dim)
    dtype = np.dtype(helper.tensor_dtype_to_np_dtype(tensor_type.elem_type))
    if any(d < 0 for d in dims):
        raise UnsupportedModelError(f"tensor {info.name!r} has a dynamic shape {dims}; export with batch 1")
    return Value(info.name, dims, dtype)


def _shapes_from_onnxruntime(model: onnx.ModelProto, inputs: list[Value], names: list[str]) -> dict[str, Value]:
    """Shapes and dtypes of ``names`` by running the model once on zeros with them as outputs."""
    import onnxruntime as ort

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    probe.graph.output.extend(helper.make_empty_tensor_value_info(name) for name in names)
    session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = {v.name: np.zeros(v.shape, v.dtype) for v in inputs}
    arrays = session.run(names, feeds)
    return {name: Value(name, tuple(a.shape), a.dtype) for name, a in zip(names, arrays)}


def _is_quant_param(name: str) -> bool:
    return name.endswith(("_scale", "_zero_point"))
