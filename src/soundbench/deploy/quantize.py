"""int8 post-training static quantization with onnxruntime.

QOperator format (QLinearConv, QGemm, ...): integer kernels end to end, which is what a
microcontroller runs. The QDQ format would leave float convolutions wrapped in
Quantize/Dequantize pairs, and C generated from it computes in float. Weights are
quantized per output channel; activation ranges come from calibration windows, which must
be taken from the training folds only (calibrating on test windows would leak the test
distribution into the model).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Iterable

import numpy as np
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

CALIBRATION_METHODS = {
    "minmax": CalibrationMethod.MinMax,
    "entropy": CalibrationMethod.Entropy,
    "percentile": CalibrationMethod.Percentile,
}


class WindowReader(CalibrationDataReader):
    """Feeds feature windows ``(1, *input_shape)`` one by one to the calibrator."""

    def __init__(self, input_name: str, windows: Iterable[np.ndarray]):
        self.input_name = input_name
        self._windows = iter(windows)

    def get_next(self) -> dict[str, np.ndarray] | None:
        window = next(self._windows, None)
        return None if window is None else {self.input_name: np.ascontiguousarray(window[None], dtype=np.float32)}


def quantize_int8(
    float_model: str | Path,
    int8_model: str | Path,
    calibration_windows: np.ndarray,
    method: str = "minmax",
    input_name: str = "window",
) -> Path:
    """Write the int8 QOperator model for ``float_model``, calibrated on ``calibration_windows``
    (feature windows without the batch dim)."""
    if method not in CALIBRATION_METHODS:
        raise ValueError(f"quantize.calibration={method!r}: choose one of {sorted(CALIBRATION_METHODS)}")
    if len(calibration_windows) == 0:
        raise ValueError("no calibration windows: the training split is empty")
    int8_model = Path(int8_model)
    int8_model.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(float_model), str(prepared), skip_symbolic_shape=True)
        # onnxruntime warns that int8/int8 QOperator is slow on x64: irrelevant for a Cortex-M
        root = logging.getLogger()
        level, root.level = root.level, max(root.level, logging.ERROR)
        try:
            quantize_static(
                str(prepared),
                str(int8_model),
                WindowReader(input_name, calibration_windows),
                quant_format=QuantFormat.QOperator,
                per_channel=True,
                activation_type=QuantType.QInt8,
                weight_type=QuantType.QInt8,
                calibrate_method=CALIBRATION_METHODS[method],
            )
        finally:
            root.level = level
    return int8_model
