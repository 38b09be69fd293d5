"""Getting trained models onto devices: ONNX export (and, later, quantization and fit checks)."""
