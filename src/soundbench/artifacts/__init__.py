"""What a training run leaves behind and how the rest uses it: a trained model loaded from
an MLflow run or checkpoint (``trained``), its ONNX export (``onnx_export``) and the
self-contained prediction bundle (``bundle``). ``deploy`` and ``predict`` both build on
this package; it imports neither."""
