"""Training throughput per model on this machine, and how input-bound training is.

For each model: N training steps (forward, backward, optimiser step) fed by the real
DataLoader, then the same N batches again from a list in memory. Prints windows/s for both
and the input-bound ratio = time per step with the pipeline / time per step preloaded
(goal ≤ 1.2: the data path must keep up with the model).

    python benchmarks/throughput.py                       # demo data, no augmentation
    python benchmarks/throughput.py --augment thesis --workers 2
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import torch
from hydra.utils import instantiate

from soundbench.experiment import Experiment
from soundbench.models import list_models, model_entry
from soundbench.training.module import AudioClassifier

ROOT = Path(__file__).resolve().parents[1]


def compose(overrides):
    from hydra import compose as hydra_compose, initialize_config_dir
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return hydra_compose("train", overrides=overrides)


def train_steps(module, optimizer, batches) -> float:
    module.train()
    start = time.perf_counter()
    for windows, labels in batches:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(module(windows), labels)
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def measure(model_name: str, args, demo_root: Path) -> dict:
    cfg = compose([f"model={model_name}", f"features={model_entry(model_name).recommended}", f"augment={args.augment}",
                   "dataset=demo", f"dataset.root={demo_root}"])
    experiment = Experiment.from_config(cfg, batch_size=args.batch_size, num_workers=args.workers, windows_per_clip=16)
    dm = experiment.datamodule
    dm.setup("fit")
    module = AudioClassifier(experiment.frontend, experiment.build_model(), instantiate(cfg.optimizer), dm.class_names)
    optimizer = module.configure_optimizers()
    warmup = list(itertools.islice(iter(dm.train_dataloader()), 2))
    train_steps(module, optimizer, warmup)
    loader_iter = iter(dm.train_dataloader())
    piped = train_steps(module, optimizer, itertools.islice(loader_iter, args.steps))
    batches = list(itertools.islice(iter(dm.train_dataloader()), args.steps))
    preloaded = train_steps(module, optimizer, batches)
    windows = args.steps * args.batch_size
    return {"model": model_name, "pipeline_windows_per_s": windows / piped,
            "preloaded_windows_per_s": windows / preloaded, "input_bound_ratio": piped / preloaded}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=list_models())
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--augment", default="none", choices=["none", "basic", "thesis", "strong"])
    parser.add_argument("--demo-root", type=Path, default=ROOT / "data" / "demo")
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f"torch threads {torch.get_num_threads()}, batch {args.batch_size}, {args.steps} steps, "
          f"augment={args.augment}, workers={args.workers}")
    print(f"{'model':<12}{'pipeline win/s':>16}{'preloaded win/s':>17}{'input-bound ratio':>19}")
    for name in args.models:
        r = measure(name, args, args.demo_root)
        print(f"{r['model']:<12}{r['pipeline_windows_per_s']:>16.0f}{r['preloaded_windows_per_s']:>17.0f}"
              f"{r['input_bound_ratio']:>19.2f}")


if __name__ == "__main__":
    main()
