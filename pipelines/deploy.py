"""Stage `deploy` (export → int8 → fit → latency → firmware): every fold's model is
exported and quantized for float/int8 accuracy; the first fold's also goes through the
firmware build and the emulator. Writes deploy.json."""

from __future__ import annotations

import numpy as np

from soundbench.artifacts.trained import load_trained
from soundbench.deploy.run import DeploySettings, deploy
from soundbench.deploy.targets import load_target
from soundbench.benchmark.params import ROOT, load_params, read_json, stage_dir, write_json


def main() -> None:
    params = load_params()
    target = load_target(params["target"], ROOT)
    options = params.get("deploy") or {}
    out = {}
    for model, trained in read_json(stage_dir(params) / "train.json").items():
        per_fold = []
        for i, fold in enumerate(trained["folds"]):
            settings = DeploySettings(calibration_windows=options.get("calibration_windows", 200),
                                      emulator="auto" if i == 0 else "false",
                                      emulator_windows=options.get("emulator_windows", 8))
            folder = ROOT / "logs" / "pipeline" / params["experiment"] / model / f"deploy-fold{fold['fold']}"
            report = deploy(load_trained(fold["run_id"], trained["tracking_uri"]), target, folder, ROOT, settings)
            per_fold.append(report)
        first = per_fold[0]
        int8 = [r["accuracy"]["int8"] for r in per_fold]
        out[model] = {
            "int8_clip_acc_mean": float(np.mean(int8)), "int8_clip_acc_std": float(np.std(int8)),
            "float32_clip_acc_onnx": [r["accuracy"]["float32"] for r in per_fold], "int8_clip_acc": int8,
            "footprint": first["footprint"], "latency": first["latency"], "fits": first["fits"],
            "firmware": {k: v for k, v in first["firmware"].items() if k != "instruction_mix"},
        }
    write_json(stage_dir(params) / "deploy.json", out)


if __name__ == "__main__":
    main()
