"""Cross-validate every model on a dataset (default: the demo, all 5 folds) and write a
mean ± std table of test clip accuracy with cost per window.

    python benchmarks/cv_table.py --out experiments/demo_cv.md trainer.max_epochs=20
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from soundbench.models import list_models, model_entry
from soundbench.project import compose_config, project_root
from soundbench.training.cv import run_cv

ROOT = project_root()
SETUPS = [(model, model_entry(model).recommended) for model in list_models()]  # each with its usual front end


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "experiments" / "demo_cv.md")
    parser.add_argument("--models", nargs="+", default=[m for m, _ in SETUPS])
    args, overrides = parser.parse_known_args()
    rows = existing_rows(args.out)  # rerunning some models updates their rows only
    for model, features in SETUPS:
        if model not in args.models:
            continue
        cfg = compose_config(
            overrides=[f"model={model}", f"features={features}", "cv=all", f"paths.root_dir={ROOT}", *overrides],
        )
        started = time.perf_counter()
        summary = run_cv(cfg, ROOT / "logs" / "cv_table" / model)
        folds = summary.folds["test_clip_acc"]
        rows[model] = (
            f"| {model} | {features} | {summary.test_clip_acc_mean:.3f} ± {summary.test_clip_acc_std:.3f} "
            f"| {' / '.join(f'{a:.2f}' for a in folds)} | {time.perf_counter() - started:.0f} s |"
        )
        write(args.out, rows, overrides)
    print(args.out.read_text())


def existing_rows(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    lines = [line for line in path.read_text().splitlines() if line.startswith("| ") and not line.startswith("| model")]
    return {line.split("|")[1].strip(): line for line in lines}


def write(path: Path, rows: dict[str, str], overrides: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"# Cross-validation on the demo dataset\n\n`python benchmarks/cv_table.py {' '.join(overrides)}` "
        "(5 folds: test k, validation k-1; 2 CPU cores). Test clip accuracy, mean ± std (population) over folds.\n\n"
        "| model | features | clip accuracy | per fold (1..5) | wall time |\n|---|---|---|---|---|\n"
        + "\n".join(rows[m] for m, _ in SETUPS if m in rows)
        + "\n"
    )


if __name__ == "__main__":
    sys.exit(main())
