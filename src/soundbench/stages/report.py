"""The benchmark report: one row per model (accuracy over folds, float and int8, cost,
fit and latency on the target), literature numbers beside ours, Pareto plots, and the
provenance of every number."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from soundbench.plots import pareto_front_2d, save_cost_accuracy_plot  # noqa: E402
from soundbench.stages.cross_fold_deploy import CrossFoldDeploy  # noqa: E402

#: published clip accuracies, (model, dataset) → text
REPORTED = {
    ("sbcnn", "urbansound8k"): "73 % (no augmentation), 79 % (augmented); Salamon & Bello 2017",
    ("strided_ds", "urbansound8k"): "70.9 % at 477 k MACC (Stride-DS-24); Nordby 2019",
    ("piczak", "esc50"): "64.5 %; Piczak 2015",
    ("piczak", "esc10"): "81 %; Piczak 2015",
}


def rows(train: dict, deploy: dict[str, CrossFoldDeploy], dataset: str) -> list[dict]:
    out = []
    for model, t in train.items():
        d = deploy[model]
        fp, latency = d.first_fold.footprint.int8, d.first_fold.latency
        out.append(
            {
                "model": model,
                "float32": f"{t['clip_acc_mean']:.3f} ± {t['clip_acc_std']:.3f}",
                "int8": f"{d.int8_clip_acc_mean:.3f} ± {d.int8_clip_acc_std:.3f}",
                "reported": REPORTED.get((model, dataset), "–"),
                "parameters": f"{fp.n_parameters:,}",
                "MACC": f"{fp.macc:,}",
                "flash int8": f"{fp.flash_need / 1024:.1f} KiB",
                "RAM int8": f"{fp.ram_need / 1024:.1f} KiB",
                "latency": _latency(latency),
                "duty cycle": f"{latency.duty_cycle:.0%}",
                "fits": "yes" if d.first_fold.fits else "no",
                "_acc": t["clip_acc_mean"],
                "_macc": fp.macc,
                "_ram": fp.ram_need,
                "_ms": latency.total_ms,
            }
        )
    return out


def _runs(folds: list[dict]) -> str:
    """'5 folds' or '5 folds × 3 seeds' (train.json's per-run records)."""
    n_folds, n_seeds = len({r["fold"] for r in folds}), len({r.get("seed") for r in folds})
    return f"{n_folds} folds" + (f" × {n_seeds} seeds" if n_seeds > 1 else " (one seed)")


def _latency(latency) -> str:
    """Compute per window hop: front end + network when the front end was measured."""
    if latency.frontend_ms is None:
        return f"{latency.window_ms:,.0f} ms (network)"
    return f"{latency.total_ms:,.0f} ms ({latency.frontend_ms:,.0f} front end)"


def markdown(table: list[dict], train: dict, params: dict, target, plots: list[str]) -> str:
    columns = [c for c in table[0] if not c.startswith("_")]
    lines = [
        f"# Benchmark: {params['experiment']} ({params['dataset']}, {params['features']}, target {target.name})",
        "",
        f"Clip accuracy on the test folds, mean ± std over {_runs(next(iter(train.values()))['folds'])}; "
        f"flash, RAM, latency and fit for the int8 model on {target.board} ({target.cpu_mhz:g} MHz, budget "
        f"{target.flash_budget // 1024} KiB flash / {target.ram_budget // 1024} KiB RAM). Flash and RAM "
        "include the front end on the device (its tables; its buffers and the 4 KiB stack); latency is the "
        "compute per window hop, front end + network, modelled: QEMU instruction trace + Cortex-M4 timings "
        + ("+ the board's flash/cache model" if target.memory else "(zero-wait memory)")
        + "; the duty cycle is that over the window hop.",
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
    ]
    lines += ["| " + " | ".join(str(r[c]) for c in columns) + " |" for r in table]
    lines += [
        "",
        *(f"![{p}]({p})" for p in plots),
        "",
        "## Provenance",
        "",
        "| model | MLflow parent run | git commit | config hash | dataset fingerprint |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {m} | {t['parent_run_id']} | {t['git_commit']} | {t['config_hash']} | {t['dataset_fingerprint']} |"
        for m, t in train.items()
    ]
    return "\n".join(lines) + "\n"


def pareto_plot(table: list[dict], x: str, label: str, budget: float | None, budget_label: str, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(6, 4))
    for r in table:
        ax.scatter(r[x], r["_acc"], s=40)
        ax.annotate(r["model"], (r[x], r["_acc"]), textcoords="offset points", xytext=(5, 3), fontsize=8)
    front = _pareto_front(table, x)
    ax.plot([r[x] for r in front], [r["_acc"] for r in front], "k--", linewidth=0.8, label="Pareto front")
    return save_cost_accuracy_plot(
        fig, ax, label, "test clip accuracy (float32, mean over folds)", budget, budget_label, path
    )


def _pareto_front(table: list[dict], x: str) -> list[dict]:
    return pareto_front_2d(table, lambda r: r[x], lambda r: r["_acc"])
