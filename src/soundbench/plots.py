"""Plots people would rather look at than read."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: runs on servers and in CI
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def plot_confusion_matrix(confusion: np.ndarray, class_names: tuple[str, ...], path: Path, title: str) -> Path:
    """Row-normalised confusion matrix with clip counts in the cells."""
    n = len(class_names)
    rows = confusion.sum(axis=1, keepdims=True)
    normalised = np.divide(confusion, rows, out=np.zeros_like(confusion, dtype=float), where=rows > 0)
    size = max(5.0, 0.45 * n + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    image = ax.imshow(normalised, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), class_names, rotation=60, ha="right", fontsize=8 if n > 15 else 10)
    ax.set_yticks(range(n), class_names, fontsize=8 if n > 15 else 10)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    if n <= 20:
        for i in range(n):
            for j in range(n):
                if confusion[i, j]:
                    ax.text(
                        j,
                        i,
                        int(confusion[i, j]),
                        ha="center",
                        va="center",
                        color="white" if normalised[i, j] > 0.5 else "black",
                        fontsize=8,
                    )
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="fraction of true class")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_memory_plan(plan, n_nodes: int, title: str, path: Path) -> Path:
    """The activation arena over time (``plan``: a soundbench.deploy.memory_plan plan): one
    rectangle per buffer (x: the nodes it is alive for, y: its bytes in the arena), so one
    sees which tensors set the peak."""
    from matplotlib.patches import Rectangle

    fig, ax = plt.subplots(figsize=(8, 4))
    for buffer in plan.buffers:
        ax.add_patch(
            Rectangle(
                (buffer.first - 0.4, buffer.offset / 1024),
                buffer.last - buffer.first + 0.8,
                buffer.size / 1024,
                alpha=0.6,
                edgecolor="black",
            )
        )
        if buffer.size >= plan.arena_bytes * 0.08:
            ax.text(
                buffer.first - 0.3,
                (buffer.offset + buffer.size / 2) / 1024,
                buffer.tensors[0][:24],
                fontsize=7,
                va="center",
            )
    ax.axhline(plan.arena_bytes / 1024, color="red", linestyle="--", label=f"arena {plan.arena_bytes / 1024:.1f} KiB")
    ax.set_xlim(-1, n_nodes)
    ax.set_ylim(0, plan.arena_bytes / 1024 * 1.1)
    ax.set_xlabel("node (execution order)")
    ax.set_ylabel("arena offset (KiB)")
    ax.set_title(title)
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def pareto_front_2d(points: list, cost, accuracy) -> list:
    """The points no cheaper-or-equal point beats on accuracy: cheapest first, each more
    accurate than every cheaper one (``cost``, ``accuracy``: functions of a point)."""
    front, best = [], float("-inf")
    for point in sorted(points, key=lambda p: (cost(p), -accuracy(p))):
        if accuracy(point) > best:
            front.append(point)
            best = accuracy(point)
    return front


def save_cost_accuracy_plot(
    fig, ax, xlabel: str, ylabel: str, budget: float | None, budget_label: str, path: Path, xlabel_axis=None
) -> Path:
    """Finish an accuracy-against-cost plot: the budget as a red line, cost on a log axis
    labelled in plain numbers (the x label on ``xlabel_axis`` where another axis sits below)."""
    from matplotlib.ticker import ScalarFormatter

    if budget:
        ax.axvline(budget, color="red", linestyle=":", label=budget_label)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(ScalarFormatter())
    ax.tick_params(axis="x", which="minor", labelsize=7)
    (xlabel_axis or ax).set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_trade_off(points: list[tuple[float, float]], title: str, path: Path) -> Path:
    """A detection-error trade-off: miss rate against false alarms per hour (log axis), one
    point per threshold, as keyword-spotting results are read."""
    fig, ax = plt.subplots(figsize=(5, 4))
    misses = [m for m, _ in points]
    alarms = [max(a, 0.1) for _, a in points]  # 0 false alarms drawn at 0.1/h on the log axis
    ax.plot(alarms, misses, marker="o", markersize=3)
    ax.set_xscale("log")
    ax.set_xlabel("false alarms per hour (0 drawn at 0.1)")
    ax.set_ylabel("miss rate")
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
