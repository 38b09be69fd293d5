"""onnxruntime sessions for soundbench's exported models (CPU, warnings only), without torch:
predict's model and front end, and the export checks, open them the same way."""

from __future__ import annotations

from pathlib import Path

import onnxruntime as ort


def onnx_session(model: str | Path, threads: int = 0) -> ort.InferenceSession:
    """A CPU session for the .onnx file ``model``; ``threads`` intra-op threads (0: onnxruntime's choice)."""
    options = ort.SessionOptions()
    options.log_severity_level = 3  # its INFO/WARNING lines on graph rewrites are noise to a user
    options.intra_op_num_threads = threads
    return ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
