"""Training: the LightningModule (module.py), single runs (run.py: ``run``) and
cross-validation (cv.py: ``run_cv``). Nothing is imported here, so importing one light
module of this package does not load Lightning and MLflow."""
