"""The `dvc repro` pipeline: parameters (params.yaml), stage helpers and the benchmark report."""
