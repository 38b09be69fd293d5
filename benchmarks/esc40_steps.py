"""Recipe steps on real environmental sound: ESC-40 (../shared/data/esc40), test fold 4 (the
official, source-disjoint fold), validation fold 3, each step a set of overrides trained
with several seeds (``python train.py`` subprocesses, N at a time, one torch thread each),
with its cost on the board from the same check the hardware-aware search uses (flash, RAM,
duty cycle on stm32l476: modelled, QEMU-timed where the toolchain is installed).

    python benchmarks/esc40_steps.py --steps base_sbcnn base_strided_ds --seeds 0 1 2 --parallel 2
    python benchmarks/esc40_steps.py --table          # the table of every finished run so far

Runs go to logs/esc40/<step>/seed<k>/ (summary.json); finished ones are not run again.
Select on validation; the test column is read once per finished step.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from soundbench.project import project_root

ROOT = project_root()
ESC40 = ROOT.parent / "shared" / "data" / "esc40"
OUT = ROOT / "logs" / "esc40"

#: every step: what it changes, as overrides on top of dataset=esc40 (one change at a time)
STRONG = [
    "augment=strong",
    "augment.prerender=null",
    "scheduler=cosine",
    "optimizer.lr=0.003",
    "data.windows_per_clip=8",
    "trainer.max_epochs=60",
    "callbacks.early_stopping.patience=20",
]
#: sbcnn_strong_16k_wide below, 60 epochs
WIDE_16K = ["model=sbcnn", *STRONG, "features.sample_rate=16000", "model.filters=[24,64,64]"]
#: experiment=mcu_esc40 as overrides (sbcnn_strong_16k_wide_100ep below)
RECIPE = [
    "model=sbcnn",
    *STRONG,
    "features.sample_rate=16000",
    "model.filters=[24,64,64]",
    "trainer.max_epochs=100",
    "callbacks.early_stopping.patience=30",
]
FINETUNE = [
    "trainer.max_epochs=25",
    "callbacks.early_stopping.patience=25",
    "optimizer.lr=0.001",
    "finetune.freeze_epochs=2",
]
STEPS: dict[str, list[str]] = {
    "base_sbcnn": ["model=sbcnn"],
    "base_strided_ds": ["model=strided_ds"],
    "sbcnn_strong": ["model=sbcnn", *STRONG],
    "sbcnn_strong_long_windows": ["model=sbcnn", *STRONG, "features.window_frames=41"],
    # ESC-40's own rate (its clips are 16 kHz): 31 frames are 0.99 s instead of 0.72 s, every
    # mel band holds sound (at 22.05 kHz those above 8 kHz are empty), the same RAM, less duty
    "sbcnn_strong_16k": ["model=sbcnn", *STRONG, "features.sample_rate=16000"],
    # the duty cycle 16 kHz frees, spent on the layers after the first pooling (the peak RAM,
    # the first layer's output, stays as it is)
    "sbcnn_strong_16k_wide": ["model=sbcnn", *STRONG, "features.sample_rate=16000", "model.filters=[24,64,64]"],
    # longer training: the 60-epoch runs were still improving on validation at their last epoch
    "sbcnn_strong_16k_wide_100ep": RECIPE,
    # mel resolution, one change from sbcnn_strong_16k_wide: 40 bands instead of 60 (more would
    # not fit: the first layer's output is the RAM peak, at 63.8 of 64 KiB)
    "sbcnn_strong_16k_wide_40mels": [*WIDE_16K, "features.n_mels=40"],
    # SpecAugment strength, one change from sbcnn_strong_16k_wide: masks 1.5x as wide (15 bands, 9 frames)
    "sbcnn_strong_16k_wide_specaug15": [
        *WIDE_16K,
        "augment.specaugment.freq_mask_param=15",
        "augment.specaugment.time_mask_param=9",
    ],
    "teacher_wide_sbcnn": ["model=sbcnn", *STRONG, "model.filters=[48,96,96]", "model.dense_units=128"],
    # 25 more epochs from each seed's recipe network (new head, 2 epochs head only, lr 1e-3),
    # taught by the ensemble of the recipe's three seeds (mean of their probabilities at T 4;
    # 3 x the recipe's float network, the strongest in-domain teacher at hand)
    "mcu_esc40_ensemble_distilled": [
        *RECIPE,
        *FINETUNE,
        "init={init:sbcnn_strong_16k_wide_100ep}",
        "distill.teacher={ensemble:sbcnn_strong_16k_wide_100ep}",
    ],
    # Stride-DS-24 taught by the strong SB-CNN of seed 0 (its best-validation checkpoint)
    "strided_ds_distilled": ["model=strided_ds", "distill.teacher={teacher:sbcnn_strong}"],
}


def _best_checkpoint(step: str, seed: int, override: str) -> str:
    found = sorted((run_dir(step, seed) / "checkpoints").glob("best-*.ckpt"))
    if not found:
        raise SystemExit(f"{override}: run step {step} (seed {seed}) first; this step starts from it")
    return str(found[-1])


def _resolve(overrides: list[str], seed: int) -> list[str]:
    """``{teacher:<step>}``: that step's seed-0 best checkpoint; ``{init:<step>}``: the same
    seed's; ``{ensemble:<step>}``: the list of its three seeds' (they must have finished)."""
    resolved = []
    for override in overrides:
        if "{" in override:
            key, rest = override.split("{", 1)
            kind, step = rest.rstrip("}").split(":")
            if kind == "ensemble":
                override = key + "[" + ",".join(_best_checkpoint(step, k, override) for k in (0, 1, 2)) + "]"
            else:
                override = key + _best_checkpoint(step, 0 if kind == "teacher" else seed, override)
        resolved.append(override)
    return resolved


def run_dir(step: str, seed: int) -> Path:
    return OUT / step / f"seed{seed}"


def command(step: str, seed: int) -> list[str]:
    folder = run_dir(step, seed)
    return [
        sys.executable,
        "train.py",
        "dataset=esc40",
        f"dataset.root={ESC40}",
        *_resolve(STEPS[step], seed),
        f"seed={seed}",
        f"data.cache_dir={ROOT / 'data' / 'cache'}",
        "logger.experiment_name=esc40-steps",
        f"logger.run_name={step}-seed{seed}",
        f"hydra.run.dir={folder}",
    ]


def run_all(steps: list[str], seeds: list[int], parallel: int) -> None:
    todo = [(s, k) for s in steps for k in seeds if not (run_dir(s, k) / "summary.json").is_file()]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    running: list[tuple[str, int, subprocess.Popen, float]] = []
    while todo or running:
        while todo and len(running) < parallel:
            step, seed = todo.pop(0)
            run_dir(step, seed).mkdir(parents=True, exist_ok=True)
            log = open(run_dir(step, seed) / "train.log", "w")
            running.append(
                (
                    step,
                    seed,
                    subprocess.Popen(command(step, seed), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT),
                    time.monotonic(),
                )
            )
            print(f"started {step} seed {seed}", flush=True)
        time.sleep(5)
        for entry in list(running):
            step, seed, process, started = entry
            if process.poll() is not None:
                running.remove(entry)
                print(
                    f"{step} seed {seed}: exit {process.returncode} after {(time.monotonic() - started) / 60:.1f} min",
                    flush=True,
                )


def board_cost(step: str) -> str:
    """Flash, RAM and duty cycle of the step's model + device front end on stm32l476."""
    from omegaconf import OmegaConf

    from soundbench.deploy.feasibility import DeviceCosts
    from soundbench.deploy.targets import target_from_config
    from soundbench.project import compose_config
    from soundbench.search.run import BoardCheck

    cfg = compose_config(
        overrides=[
            "dataset=esc40",
            f"dataset.root={ESC40}",
            *(o for o in STEPS[step] if not o.startswith(("init=", "distill.teacher="))),
            "target=stm32l476",
            "logger=none",
            "distill.teacher=null",
        ],
    )  # the student is what deploys
    target = target_from_config(OmegaConf.to_container(cfg.target, resolve=True))
    fe = BoardCheck(cfg, target, 0.8, DeviceCosts(ROOT, margin=0.1))(cfg)  # conf/deploy.yaml's margin
    return (
        f"{fe.flash_bytes / 1024:.1f} KiB | {fe.ram_bytes / 1024:.1f} KiB | {fe.duty_cycle:.0%} | "
        f"{'yes' if fe.feasible else 'no: ' + str(fe.reason)}"
    )


def table(steps: list[str]) -> str:
    lines = [
        "| step | seeds | val (fold 3) | test (fold 4) | min/run | flash | RAM | duty | fits |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for step in steps:
        runs = [json.loads(p.read_text()) for p in sorted((OUT / step).glob("seed*/summary.json"))]
        if not runs:
            continue
        val = [r["val/clip_acc"] for r in runs]
        test = [r["test/clip_acc"] for r in runs]
        minutes = statistics.mean(r["seconds"] for r in runs) / 60
        lines.append(
            f"| {step} | {len(runs)} | {_mean_std(val)} | {_mean_std(test)} | {minutes:.1f} | {board_cost(step)} |"
        )
    return "\n".join(lines)


def _mean_std(values: list[float]) -> str:
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}" if len(values) > 1 else f"{values[0]:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", nargs="+", default=list(STEPS), choices=list(STEPS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--table", action="store_true", help="only print the table of finished runs")
    args = parser.parse_args()
    if not (ESC40 / "esc40.csv").is_file():
        raise SystemExit(f"{ESC40} is absent: these steps need the shared ESC-40 clips")
    if not args.table:
        run_all(args.steps, args.seeds, args.parallel)
    print(table(args.steps))


if __name__ == "__main__":
    main()
