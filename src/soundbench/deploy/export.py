"""ONNX export of a classifier for one analysis window (static batch 1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from torch import nn


def export_onnx(model: nn.Module, input_shape: tuple[int, ...], path: str | Path, opset: int = 18) -> Path:
    """Write ``model`` (eval mode) to ``path`` as one self-contained .onnx file: weights are
    embedded (``external_data=False``; the default writes a separate .onnx.data)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    example = torch.zeros(1, *input_shape)
    torch.onnx.export(model, (example,), str(path), input_names=["window"], output_names=["logits"],
                      opset_version=opset, external_data=False, dynamo=True, verbose=False)
    return path


def onnx_parity(model: nn.Module, onnx_path: str | Path, windows: torch.Tensor) -> dict[str, float]:
    """Run ``windows`` (batch of model inputs) through PyTorch and onnxruntime, one at a time
    (the export has batch 1). Returns max |difference| of logits and argmax agreement."""
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    with torch.no_grad():
        expected = model.eval()(windows).numpy()
    got = np.concatenate([session.run(None, {name: w[None].numpy()})[0] for w in windows])
    return {
        "max_abs_diff": float(np.abs(expected - got).max()),
        "argmax_agreement": float((expected.argmax(1) == got.argmax(1)).mean()),
    }
