"""ONNX export of a classifier for one analysis window (static batch 1), and running the
exported model with onnxruntime."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from torch import nn

#: the ONNX opset every export uses (deploy, bundles, benchmarks)
OPSET = 18


def export_onnx(model: nn.Module, input_shape: tuple[int, ...], path: str | Path, opset: int = OPSET) -> Path:
    """Write ``model`` (eval mode) to ``path`` as one self-contained .onnx file: weights are
    embedded (``external_data=False``; the default writes a separate .onnx.data)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for chatty in ("onnxscript", "onnx_ir"):  # their INFO lines describe every rewrite pass
        logging.getLogger(chatty).setLevel(logging.WARNING)
    model = model.eval()
    example = torch.zeros(1, *input_shape)
    torch.onnx.export(
        model,
        (example,),
        str(path),
        input_names=["window"],
        output_names=["logits"],
        opset_version=opset,
        external_data=False,
        dynamo=True,
        verbose=False,
    )
    return path


def onnx_logits(model: str | Path, windows: np.ndarray) -> np.ndarray:
    """Logits for each of ``windows`` (model inputs without the batch dim), one at a time
    as on a device (the export has batch 1)."""
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return np.concatenate([session.run(None, {name: w[None]})[0] for w in np.asarray(windows, dtype=np.float32)])


def compare_logits(expected: np.ndarray, got: np.ndarray) -> dict[str, float]:
    """Max |difference| and the share of windows with the same top class."""
    return {
        "max_abs_diff": float(np.abs(expected - got).max()),
        "argmax_agreement": float((expected.argmax(1) == got.argmax(1)).mean()),
    }


def onnx_parity(model: nn.Module, onnx_path: str | Path, windows: torch.Tensor) -> dict[str, float]:
    """PyTorch vs onnxruntime on ``windows`` (a batch of model inputs)."""
    with torch.no_grad():
        expected = model.eval()(windows).numpy()
    return compare_logits(expected, onnx_logits(onnx_path, windows.numpy()))
