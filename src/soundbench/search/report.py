"""A search's results for people: the trials table (CSV and markdown), the Pareto plots
(validation accuracy against latency and against RAM with the board's limits, trials
rejected before training in a strip of their own: they have no accuracy), report.md with
the front and the winner's deploy command, and all of it on the sweep's MLflow parent run."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: the sweeper runs on servers and in CI
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from soundbench.deploy.targets import Target  # noqa: E402
from soundbench.plots import pareto_front_2d, save_cost_accuracy_plot  # noqa: E402
from soundbench.search.loop import SearchResult  # noqa: E402
from soundbench.search.trials import TrialRecord  # noqa: E402

PLOTS = {
    "latency": ("latency_ms", "compute per window hop on the board (ms, front end + network)"),
    "ram": ("ram_kib", "RAM (KiB: activations + front-end buffers + stack)"),
}
#: the latency plot's axis when trials have different window hops (so no one ms limit applies)
DUTY_AXIS = ("duty_cycle_pct", "duty cycle on the board (% of each window hop spent computing)")


def write_report(
    result: SearchResult, target: Target, max_duty_cycle: float, out_dir: Path, deploy_command: str | None
) -> list[Path]:
    """Writes trials.csv, trials.json, pareto_*.png and report.md to ``out_dir``; returns them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame([t.row() for t in result.trials])
    table.to_csv(out_dir / "trials.csv", index=False)
    (out_dir / "trials.json").write_text(json.dumps([t.to_dict() for t in result.trials], indent=2, default=str))
    hops = {t.feasibility.window_hop_ms for t in result.trials if t.feasibility}
    margin = max((t.feasibility.margin for t in result.trials if t.feasibility), default=0.0)
    limit = max_duty_cycle / (1 + margin)  # what a modelled duty cycle must stay under
    duty = f"duty-cycle limit {max_duty_cycle:.0%}" + (
        f" with a {margin:.0%} margin on the modelled time ({limit:.0%} modelled)" if margin else ""
    )
    # one window hop: the limit in ms; several: each trial's duty cycle against the limit
    latency = (*PLOTS["latency"], hops.pop() * limit, duty) if len(hops) == 1 else (*DUTY_AXIS, 100 * limit, duty)
    axes = {
        "latency": latency,
        "ram": (*PLOTS["ram"], target.ram_budget / 1024, f"RAM budget {target.ram_budget // 1024} KiB"),
    }
    plots = [pareto_plot(result, *axes[key], out_dir / f"pareto_{key}.png") for key in PLOTS]
    report = out_dir / "report.md"
    report.write_text(to_markdown(result, target, max_duty_cycle, [p.name for p in plots], deploy_command))
    return [out_dir / "trials.csv", out_dir / "trials.json", *plots, report]


def pareto_plot(
    result: SearchResult, attr: str, label: str, budget: float | None, budget_label: str, path: Path
) -> Path:
    """Validation accuracy against one cost: trained trials as dots (the front joined and
    labelled) and the limit as a red line; trials rejected before training have a cost but
    no accuracy, so they are crosses in a strip of their own below, on the same cost axis."""
    rejected = [t for t in result.rejected if t.feasibility and t.repeat_of is None]
    fig, (ax, strip) = plt.subplots(2, 1, figsize=(7, 5), sharex=True, height_ratios=(6, 1))
    trained = result.trained
    ax.scatter(
        [getattr(t, attr) for t in trained],
        [t.val_accuracy for t in trained],
        s=30,
        color="tab:blue",
        label="trained trial",
    )
    front = front_2d(trained, attr)
    ax.plot(
        [getattr(t, attr) for t in front], [t.val_accuracy for t in front], "k--", linewidth=0.8, label="Pareto front"
    )
    for t in front:
        ax.annotate(
            f"#{t.number} {_model(t)}",
            (getattr(t, attr), t.val_accuracy),
            textcoords="offset points",
            xytext=(4, 3),
            fontsize=7,
        )
    ax.set_title(f"{len(trained)} trained, {len(rejected)} rejected before training")
    strip.scatter(
        [getattr(t, attr) for t in rejected],
        [0] * len(rejected),
        marker="x",
        color="tab:gray",
        label="rejected before training (no accuracy)",
    )
    strip.set_yticks([])
    strip.set_ylabel("rejected", fontsize=7)
    if budget:
        strip.axvline(budget, color="red", linestyle=":")
    if rejected:
        strip.legend(fontsize=7, loc="upper left")
    return save_cost_accuracy_plot(
        fig, ax, label, "validation clip accuracy", budget, budget_label, path, xlabel_axis=strip
    )


def front_2d(trials: list[TrialRecord], attr: str) -> list[TrialRecord]:
    return pareto_front_2d(trials, lambda t: getattr(t, attr), lambda t: t.val_accuracy)


def to_markdown(
    result: SearchResult, target: Target, max_duty_cycle: float, plots: list[str], deploy_command: str | None
) -> str:
    rejected = [t for t in result.rejected if t.repeat_of is None]
    checks = [t.feasibility.seconds for t in rejected if t.feasibility]
    lines = [
        f"# Hardware-aware search on {target.name} ({target.board})",
        "",
        f"Objectives: {', '.join(result.objectives)} (accuracy on the validation fold; latency and memory of "
        f"the int8 model with the front end on the device). Budget: {target.flash_budget // 1024} KiB flash, "
        f"{target.ram_budget // 1024} KiB RAM, duty cycle under {max_duty_cycle:.0%}. Latency and duty cycle are "
        "modelled (QEMU instruction trace + Cortex-M4 timings"
        + (" + the board's flash/cache model" if target.memory else ", zero-wait memory")
        + "), with conf/deploy.yaml's safety margin in the limit.",
        "",
        f"- {len(result.trials)} trial(s) proposed in {result.seconds / 60:.1f} min: {len(result.trained)} trained, "
        f"{len(rejected)} rejected before training"
        + (
            f" ({len(rejected) / max(len(result.trials), 1):.0%}; {sum(checks) / len(checks):.1f} s per check, "
            f"at most {max(checks):.1f} s)"
            if checks
            else ""
        )
        + f", {sum(t.repeat_of is not None for t in result.trials)} repeats reused, "
        f"{sum(bool(t.failed) for t in result.trials)} failed",
        "",
    ]
    lines += [
        "## Pareto front",
        "",
        "Test accuracy is read for the front's members only, after the search (selecting on it would leak "
        "the test fold into the choice).",
        "",
        "| trial | configuration | val acc | test acc | CV test acc | flash | RAM | latency | duty | deployed |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for t in result.front:
        fe = t.feasibility
        lines.append(
            f"| {t.number} | `{' '.join(t.overrides)}` | {t.val_accuracy:.3f} | {_num(t.test_accuracy)} | "
            f"{_num(t.cv_test_accuracy)} | {fe.flash_bytes / 1024:.1f} KiB | {fe.ram_bytes / 1024:.1f} KiB | "
            f"{fe.latency_ms:.0f} ms | {fe.duty_cycle:.0%} | {_deployed(t)} |"
        )
    if result.winner is not None:
        lines += [
            "",
            f"**Winner** (most accurate on validation): trial {result.winner.number}, run "
            f"{result.winner.run_id or result.winner.checkpoint}.",
        ]
        if deploy_command:
            lines += ["", "Deploy it:", "", "```", deploy_command, "```"]
    lines += [
        "",
        *(f"![{p}]({p})" for p in plots),
        "",
        "## Every trial",
        "",
        "See trials.csv for all columns.",
        "",
        "| trial | status | configuration | val acc | RAM | latency | why rejected |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in result.trials:
        lines.append(
            f"| {t.number} | {t.status}{f' of {t.repeat_of}' if t.repeat_of is not None else ''} | "
            f"`{' '.join(t.overrides)}` | {_num(t.val_accuracy)} | "
            f"{f'{t.ram_kib:.1f} KiB' if t.ram_kib else '–'} | "
            f"{f'{t.latency_ms:.0f} ms' if t.latency_ms else '–'} | {t.rejected or t.failed or ''} |"
        )
    return "\n".join(lines) + "\n"


def _model(t: TrialRecord) -> str:
    return next((o.split("=", 1)[1] for o in t.overrides if o.startswith("model=")), "")


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _deployed(t: TrialRecord) -> str:
    return t.deployed.describe() if t.deployed else "–"
