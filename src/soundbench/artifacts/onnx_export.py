"""ONNX export of a classifier for one analysis window (static batch 1) and of its front end
(any batch), and running the exported models with onnxruntime."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
from torch import nn

from soundbench.artifacts.onnx_session import onnx_session

#: the ONNX opset every export uses (deploy, bundles, benchmarks)
OPSET = 18
#: largest |ONNX - torch| a front-end export may differ by, relative to the features' scale
FRONTEND_TOLERANCE = 1e-4


def _export(module: nn.Module, example: torch.Tensor, path: Path, names: tuple[str, str], **options) -> None:
    """torch's dynamo exporter, one self-contained file: weights embedded (``external_data=False``;
    the default writes a separate .onnx.data)."""
    for chatty in ("onnxscript", "onnx_ir"):  # their INFO lines describe every rewrite pass
        logging.getLogger(chatty).setLevel(logging.WARNING)
    torch.onnx.export(
        module.eval(),
        (example,),
        str(path),
        input_names=[names[0]],
        output_names=[names[1]],
        external_data=False,
        dynamo=True,
        verbose=False,
        **{"opset_version": OPSET, **options},
    )


def export_onnx(model: nn.Module, input_shape: tuple[int, ...], path: str | Path, opset: int = OPSET) -> Path:
    """Write ``model`` (eval mode) to ``path`` as one self-contained .onnx file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _export(model, torch.zeros(1, *input_shape), path, ("window", "logits"), opset_version=opset)
    return path


def export_frontend(frontend: nn.Module, path: str | Path) -> float | None:
    """Write a front end (``(batch, samples)`` windows in, features out) to ``path`` with a
    dynamic batch, so that prediction runs it without torch. The export is checked against the
    module on noise at four levels, a tone and silence; returns the largest difference, or
    None (and writes nothing) when the exporter fails or the export differs by more than
    :data:`FRONTEND_TOLERANCE` of the features' scale: prediction then runs the torch module."""
    path = Path(path)
    batch = {"windows": {0: torch.export.Dim("batch", min=1, max=4096)}}
    try:
        _export(frontend, torch.zeros(2, frontend.window_samples), path, ("windows", "features"), dynamic_shapes=batch)
        difference, scale = _frontend_difference(frontend, path)
    except Exception as error:  # noqa: BLE001 -- any exporter failure leaves the torch front end in use
        reason = f"{type(error).__name__}: {str(error)[:200]}"
        print(f"The front end did not export to ONNX ({reason}); predict will run it with torch")
        path.unlink(missing_ok=True)
        return None
    if difference > FRONTEND_TOLERANCE * max(1.0, scale):
        print(f"The front end's ONNX export differs from it by {difference:.2g}; predict will run it with torch")
        path.unlink(missing_ok=True)
        return None
    return difference


def _frontend_difference(frontend: nn.Module, path: Path) -> tuple[float, float]:
    """Largest |torch - onnxruntime| over test windows, and the features' largest magnitude."""
    n = frontend.window_samples
    generator = torch.Generator().manual_seed(0)
    tone = torch.sin(2 * torch.pi * 440.0 / frontend.sample_rate * torch.arange(n))
    windows = torch.stack([level * torch.randn(n, generator=generator) for level in (1.0, 0.1, 1e-3, 1e-5)])
    windows = torch.cat([windows, 0.5 * tone[None], torch.zeros(1, n)])
    with torch.no_grad():
        expected = frontend(windows).numpy()
    session = onnx_session(path)
    got = session.run(None, {session.get_inputs()[0].name: windows.numpy()})[0]
    return float(np.abs(expected - got).max()), float(np.abs(expected).max())


def onnx_logits(model: str | Path, windows: np.ndarray) -> np.ndarray:
    """Logits for each of ``windows`` (model inputs without the batch dim), one at a time
    as on a device (the export has batch 1)."""
    session = onnx_session(model)
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
