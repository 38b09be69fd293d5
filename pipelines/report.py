"""Stage `report`: experiments/<name>/report.md, Pareto plots, metrics.json for
`dvc metrics show`; the report is also attached to each model's MLflow parent run."""

from __future__ import annotations

from mlflow import MlflowClient

from soundbench.deploy.targets import load_target
from soundbench.stages.cross_fold_deploy import CrossFoldDeploy
from soundbench.stages.params import ROOT, load_params, read_json, stage_dir, tracking_uri_in_project, write_json
from soundbench.stages.report import markdown, pareto_plot, rows


def main() -> None:
    params = load_params()
    stages = stage_dir(params)
    folder = stages.parent
    train = read_json(stages / "train.json")
    deploy = {m: CrossFoldDeploy.from_dict(d) for m, d in read_json(stages / "deploy.json").items()}
    target = load_target(params["target"], ROOT)
    table = rows(train, deploy, params["dataset"])
    window_hop_ms = next(iter(deploy.values())).first_fold.latency.window_hop_ms
    plots = [
        pareto_plot(
            table,
            "_ms",
            "compute per window hop on the target (ms, front end + network)",
            window_hop_ms,
            f"real-time limit on {target.name} (window hop)",
            folder / "pareto_latency.png",
        ).name,
        pareto_plot(
            table,
            "_ram",
            "RAM (bytes: int8 arena + front-end buffers + stack)",
            target.ram_budget,
            f"{target.name} RAM budget",
            folder / "pareto_ram.png",
        ).name,
    ]
    (folder / "report.md").write_text(markdown(table, train, params, target, plots))
    write_json(
        folder / "metrics.json",
        {
            m: {
                "clip_acc": t["clip_acc_mean"],
                "int8_clip_acc": deploy[m].int8_clip_acc_mean,
                "flash_int8_bytes": deploy[m].first_fold.footprint.int8.flash_need,
                "ram_int8_bytes": deploy[m].first_fold.footprint.int8.ram_need,
                "latency_ms": deploy[m].first_fold.latency.total_ms,
                "duty_cycle": deploy[m].first_fold.latency.duty_cycle,
            }
            for m, t in train.items()
        },
    )
    client = MlflowClient(tracking_uri_in_project(next(iter(train.values()))["tracking_uri"]))
    for t in train.values():
        for name in ("report.md", *plots):
            client.log_artifact(t["parent_run_id"], str(folder / name), "report")
    print((folder / "report.md").read_text())


if __name__ == "__main__":
    main()
