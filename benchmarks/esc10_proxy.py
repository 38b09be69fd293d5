"""The ESC-10 recipe's time and what its pretraining buys, measured leak-free on ESC-40.

ESC-10 is not on this machine, and ESC-40 is what the ESC-10 recipe pretrains on, so a
stand-in must keep the fine-tuning classes out of the pretraining: ESC-40's 40 classes are
split into 30 to pretrain on and 10 (every 4th, alphabetically) to fine-tune on, 400 clips in
5 folds like ESC-10. Three runs, each timed:

1. ``experiment=mcu_esc40`` (the pretraining run) on the 30 classes (test fold 4, validation fold 3);
2. ``experiment=mcu_esc10`` on the 10 classes, 5-fold CV, ``init=`` the pretraining run;
3. the same from scratch (``init=null``).

    python benchmarks/esc10_proxy.py [--out logs/esc10_proxy] [--pretrain-epochs 25 --finetune-epochs 20]

(the epoch options override the two experiments' ``trainer.max_epochs``, to time other budgets)

Caveats: the stand-in pretrains on 1200 clips, the real recipe on 1600 (its pretraining takes
about 4/3 as long); ESC-40's folds 1, 2, 3 and 5 may hold takes of one recording in two folds
(ESC-10's official folds do not), so these accuracies lean high. Time on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
ESC40 = ROOT.parent / "shared" / "data" / "esc40"


def split_classes(out: Path) -> tuple[Path, Path]:
    """``pretrain30.csv`` and ``target10.csv``: ESC-40's rows, split by class."""
    table = pd.read_csv(ESC40 / "esc40.csv")
    target = sorted(table["label"].unique())[::4]
    paths = out / "pretrain30.csv", out / "target10.csv"
    table[~table["label"].isin(target)].to_csv(paths[0], index=False)
    table[table["label"].isin(target)].to_csv(paths[1], index=False)
    return paths


def train(run_dir: Path, overrides: list[str]) -> tuple[dict, float]:
    """One ``train.py`` call: its summary.json and wall time."""
    command = [sys.executable, "train.py", *overrides, f"hydra.run.dir={run_dir}"]
    began = time.monotonic()
    with open(run_dir.with_suffix(".log"), "w") as log:
        subprocess.run(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=True)
    return json.loads((run_dir / "summary.json").read_text()), time.monotonic() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "logs" / "esc10_proxy")
    parser.add_argument("--pretrain-epochs", type=int, help="default: experiment=mcu_esc40's")
    parser.add_argument("--finetune-epochs", type=int, help="default: experiment=mcu_esc10's")
    parser.add_argument("--no-scratch", action="store_true", help="skip the from-scratch run")
    args = parser.parse_args()
    if not (ESC40 / "esc40.csv").is_file():
        sys.exit(f"ESC-40 is not at {ESC40}: this benchmark needs the shared data")
    args.out.mkdir(parents=True, exist_ok=True)
    pretrain_csv, target_csv = split_classes(args.out)
    audio = f"dataset.audio_dir={ESC40}"
    epochs = {
        name: [f"trainer.max_epochs={n}"] if n else []
        for name, n in (("pretrain", args.pretrain_epochs), ("finetune", args.finetune_epochs))
    }
    pretrained, pretrain_s = train(
        args.out / "pretrain",
        ["experiment=mcu_esc40", "dataset=csv", f"dataset.csv={pretrain_csv}", audio, "dataset.fold=4"]
        + epochs["pretrain"],
    )
    target = ["experiment=mcu_esc10", "dataset=csv", f"dataset.csv={target_csv}", audio, *epochs["finetune"]]
    finetuned, finetune_s = train(args.out / "finetune", [*target, f"init={pretrained['checkpoint']}"])
    runs = [("fine-tuned from it, 10 classes, 5 folds", finetuned, finetune_s)]
    if not args.no_scratch:
        scratch, scratch_s = train(args.out / "scratch", target)
        runs.append(("from scratch, 10 classes, 5 folds", scratch, scratch_s))
    print("| run | test clip accuracy | wall time |\n|---|---|---|")
    print(f"| pretraining, 30 classes (fold 4) | {pretrained['test/clip_acc']:.3f} | {pretrain_s / 60:.1f} min |")
    for name, summary, seconds in runs:
        accuracy = f"{summary['cv/test_clip_acc_mean']:.3f} ± {summary['cv/test_clip_acc_std']:.3f}"
        print(f"| {name} | {accuracy} | {seconds / 60:.1f} min |")
    print(f"\nThe recipe (pretraining + fine-tuning): {(pretrain_s + finetune_s) / 60:.1f} min")


if __name__ == "__main__":
    main()
