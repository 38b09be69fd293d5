"""Stage `deploy` (export → int8 → fit → latency → firmware): every fold's model is
exported and quantized for float/int8 accuracy; the first fold's also goes through the
firmware build and the emulator. Writes deploy.json."""

from __future__ import annotations

from soundbench.artifacts.trained import load_trained
from soundbench.deploy.run import DeploySettings, deploy
from soundbench.deploy.targets import target_from_config
from soundbench.stages.cross_fold_deploy import CrossFoldDeploy
from soundbench.stages.params import (
    ROOT,
    deploy_config,
    load_params,
    read_json,
    stage_dir,
    tracking_uri_in_project,
    write_json,
)


def main() -> None:
    params = load_params()
    out = {}
    for model, trained in read_json(stage_dir(params) / "train.json").items():
        reports = []
        for i, fold in enumerate(trained["folds"]):
            # the firmware and emulator check runs on the first fold; the others give accuracy
            cfg = deploy_config(params, **({} if i == 0 else {"emulator.enabled": "false"}))
            folder = ROOT / "logs" / "pipeline" / params["experiment"] / model / f"deploy-fold{fold['fold']}"
            reports.append(
                deploy(
                    load_trained(fold["run_id"], tracking_uri_in_project(trained["tracking_uri"])),
                    target_from_config(cfg.target),
                    folder,
                    ROOT,
                    DeploySettings.from_config(cfg),
                )
            )
        out[model] = CrossFoldDeploy.of(reports).to_dict()
    write_json(stage_dir(params) / "deploy.json", out)


if __name__ == "__main__":
    main()
