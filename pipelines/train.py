"""Stage `train`: cross-validation over the dataset's folds for every model in params
`model` (one MLflow parent run per model; finished folds are reused). Writes train.json."""

from __future__ import annotations

from soundbench.stages.params import (
    ROOT,
    in_project,
    load_params,
    models,
    read_json,
    stage_dir,
    train_config,
    write_json,
)
from soundbench.tracking.mlflow import config_hash, git_commit
from soundbench.training.cv import run_cv


def main() -> None:
    params = load_params()
    root = str(in_project(read_json(stage_dir(params) / "download.json")["root"]))
    fingerprint = read_json(stage_dir(params) / "features.json")["dataset_fingerprint"]
    pretrained = read_json(stage_dir(params) / "pretrain.json").get("checkpoint")
    results = {}
    for model in models(params):
        cfg = train_config(params, model, dataset_root=root, init=str(in_project(pretrained)) if pretrained else None)
        summary = run_cv(cfg, ROOT / "logs" / "pipeline" / params["experiment"] / model)
        results[model] = {
            "parent_run_id": summary.parent_run_id,
            "clip_acc_mean": summary.test_clip_acc_mean,
            "clip_acc_std": summary.test_clip_acc_std,
            "folds": summary.folds.to_dict("records"),
            "config_hash": config_hash(cfg, fingerprint),
            "dataset_fingerprint": fingerprint,
            "git_commit": git_commit(ROOT),
            "tracking_uri": cfg.logger.tracking_uri,
        }
    write_json(stage_dir(params) / "train.json", results)


if __name__ == "__main__":
    main()
