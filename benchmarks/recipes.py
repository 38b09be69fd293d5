"""Recipes compared on real data: each named experiment (conf/experiment) trained with
several seeds, test clip accuracy as mean ± std over seeds (and folds, for a CV), with the
wall time per run. Model selection is on validation only (best validation epoch); the test
split is read once per run, at the end.

    python benchmarks/recipes.py --dataset fsdd --recipes fsdd mcu_fsdd --seeds 0 1 2
    python benchmarks/recipes.py --dataset demo --recipes mcu_demo --seeds 0     # 5-fold CV

``fsdd`` reads ../shared/data/fsdd (official split: index 0-4 test, 5-9 validation). Extra
arguments after ``--`` are Hydra overrides for every run (e.g. ``-- model=strided_ds``).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from soundbench.project import compose_config, project_root

ROOT = project_root()
FSDD = ROOT.parent / "shared" / "data" / "fsdd"


def dataset_overrides(name: str) -> list[str]:
    if name == "fsdd":
        if not (FSDD / "recordings").is_dir():
            raise SystemExit(f"{FSDD} is absent: this comparison needs the shared FSDD recordings")
        return [f"dataset.root={FSDD}"]
    return []


def run_recipe(recipe: str, seed: int, dataset: str, extra: list[str], tracking_uri: str) -> tuple[list[float], float]:
    """Test clip accuracy of each fold (one value without CV), and the wall time."""
    from soundbench.training.cv import run_cv
    from soundbench.training.run import run

    cfg = compose_config(
        overrides=[
            f"experiment={recipe}",
            *dataset_overrides(dataset),
            f"seed={seed}",
            f"paths.root_dir={ROOT}",
            "trainer.enable_progress_bar=false",
            f"logger.tracking_uri={tracking_uri}",
            f"logger.experiment_name=recipes-{dataset}",
            *extra,
        ],
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        if cfg.cv.folds:
            accuracies = run_cv(cfg, out).folds["test_clip_acc"].tolist()
        else:
            accuracies = [run(cfg, out).test_clip_acc]
    return accuracies, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="fsdd", choices=["fsdd", "demo"])
    parser.add_argument("--recipes", nargs="+", default=["fsdd", "mcu_fsdd"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--tracking-uri", default=f"sqlite:///{ROOT / 'mlflow.db'}")
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    print("| recipe | dataset | seeds | runs | test clip acc (mean ± std) | per run | wall time per seed |")
    print("|---|---|---|---|---|---|---|")
    for recipe in args.recipes:
        accuracies, seconds = [], []
        for seed in args.seeds:
            accs, wall = run_recipe(recipe, seed, args.dataset, args.overrides, args.tracking_uri)
            accuracies += accs
            seconds.append(wall)
        spread = statistics.pstdev(accuracies) if len(accuracies) > 1 else 0.0
        print(
            f"| {recipe} {' '.join(args.overrides)} | {args.dataset} | {', '.join(map(str, args.seeds))} | "
            f"{len(accuracies)} | {statistics.mean(accuracies):.3f} ± {spread:.3f} | "
            f"{' / '.join(f'{a:.3f}' for a in accuracies)} | {statistics.mean(seconds) / 60:.1f} min |",
            flush=True,
        )


if __name__ == "__main__":
    main()
