"""Stage `pretrain` (optional): in-domain pretraining before the cross-validation. With
params.yaml ``pretrain: {experiment: mcu_esc40}`` (a named experiment, plus optional
``overrides``) it trains one run of that experiment and the train stage fine-tunes every
fold from its checkpoint (``init=``; the front ends must match). With ``pretrain: null``
it records that there is none. Writes pretrain.json."""

from __future__ import annotations

from soundbench.project import compose_config
from soundbench.stages.params import ROOT, load_params, stage_dir, write_json
from soundbench.training.run import run


def main() -> None:
    params = load_params()
    spec = params.get("pretrain") or {}
    out = stage_dir(params) / "pretrain.json"
    if not spec:
        write_json(out, {"experiment": None, "checkpoint": None})
        return
    overrides = [
        f"experiment={spec['experiment']}",
        f"paths.root_dir={ROOT}",
        "data.cache_dir=${paths.data_dir}/cache",
        *spec.get("overrides", []),
    ]
    cfg = compose_config(overrides=overrides)
    summary = run(cfg, ROOT / "logs" / "pipeline" / params["experiment"] / "pretrain")
    write_json(
        out,
        {
            "experiment": spec["experiment"],
            "overrides": spec.get("overrides", []),
            "run_id": summary.run_id,
            "checkpoint": summary.checkpoint,
            "val_clip_acc": summary.val_clip_acc,
            "test_clip_acc": summary.test_clip_acc,
        },
    )


if __name__ == "__main__":
    main()
