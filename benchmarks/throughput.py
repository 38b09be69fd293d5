"""Training throughput per model on this machine, and how input-bound training is.

For each model: N real training steps (``training_step``: on-device batch augmentation,
front end, SpecAugment, mixup, model, loss; then backward and the optimiser step) fed by the
real DataLoader, then the same N batches again from a list in memory. Prints windows/s for
both and the input-bound ratio = time per step with the pipeline / time per step preloaded
(goal ≤ 1.2: the data path must keep up with the model). Pre-rendering (augment=thesis,
strong) happens once before the steps, into a fresh folder; its time is printed apart.

    python benchmarks/throughput.py                       # demo data, no augmentation
    python benchmarks/throughput.py --augment thesis strong thesis_online
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
import warnings
from pathlib import Path

import torch

from soundbench.experiment import Experiment
from soundbench.models import list_models, model_entry
from soundbench.project import project_root
from soundbench.training.module import AudioClassifier

ROOT = project_root()
AUGMENTS = ["none", "basic", "thesis", "strong", "thesis_online"]


def compose(overrides):
    from soundbench.project import compose_config

    return compose_config(overrides)


def train_steps(module, optimizer, batches) -> float:
    module.train()
    start = time.perf_counter()
    for i, batch in enumerate(batches):
        optimizer.zero_grad()
        module.training_step(batch, i).backward()
        optimizer.step()
    return time.perf_counter() - start


def measure(model_name: str, augment: str, args, render_dir: Path) -> dict:
    front_end = model_entry(model_name).recommended
    no_masks = ["augment.specaugment=null"] if front_end == "waveform" and augment in ("basic", "strong") else []
    cfg = compose(
        [
            f"model={model_name}",
            f"features={front_end}",
            f"augment={augment}",
            *no_masks,
            "dataset=demo",
            f"dataset.root={args.demo_root}",
            f"paths.data_dir={render_dir}",
        ]
    )
    experiment = Experiment.from_config(cfg, batch_size=args.batch_size, num_workers=args.workers, windows_per_clip=16)
    dm = experiment.datamodule
    started = time.perf_counter()
    dm.setup("fit")  # decodes, and pre-renders where the augment config says so
    setup_s = time.perf_counter() - started
    module = AudioClassifier.from_experiment(experiment, experiment.build_model(), dm.class_names)
    optimizer = module.configure_optimizers()
    train_steps(module, optimizer, list(itertools.islice(iter(dm.train_dataloader()), 2)))  # warm-up
    piped = train_steps(module, optimizer, itertools.islice(iter(dm.train_dataloader()), args.steps))
    batches = list(itertools.islice(iter(dm.train_dataloader()), args.steps))
    preloaded = train_steps(module, optimizer, batches)
    windows = args.steps * args.batch_size
    return {
        "model": model_name,
        "augment": augment,
        "setup_s": setup_s,
        "pipeline_windows_per_s": windows / piped,
        "preloaded_windows_per_s": windows / preloaded,
        "input_bound_ratio": piped / preloaded,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=list_models())
    parser.add_argument("--augment", nargs="+", default=["none"], choices=AUGMENTS)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--demo-root", type=Path, default=ROOT / "data" / "demo")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message=".*self.trainer.*")  # training_step outside a Trainer: no logging
    torch.manual_seed(0)
    print(
        f"torch threads {torch.get_num_threads()}, batch {args.batch_size}, {args.steps} steps, "
        f"workers={args.workers}; setup = decoding + pre-rendering, once per run"
    )
    print(
        f"{'model':<12}{'augment':<15}{'setup s':>9}{'pipeline win/s':>16}{'preloaded win/s':>17}"
        f"{'input-bound ratio':>19}"
    )
    for augment in args.augment:
        with tempfile.TemporaryDirectory(prefix="soundbench-render-") as render_dir:  # fresh: render time counts
            for name in args.models:
                r = measure(name, augment, args, Path(render_dir))
                print(
                    f"{r['model']:<12}{augment:<15}{r['setup_s']:>9.1f}{r['pipeline_windows_per_s']:>16.0f}"
                    f"{r['preloaded_windows_per_s']:>17.0f}{r['input_bound_ratio']:>19.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
