"""Accuracy effect of the front end's framing: ``stream`` (windows are slices of the clip's
frame sequence, what a device computes) vs ``centered`` (each window padded on its own, the
framing before soundbench 2026-11). Same model, data, seed and epochs; only the framing differs.

    python benchmarks/framing_effect.py --dataset demo  --model sbcnn
    python benchmarks/framing_effect.py --dataset fsdd  --model sbcnn   # ../shared/data/fsdd

FSDD (Free Spoken Digit Dataset, 8 kHz) is read through ``dataset=csv``: a CSV listing its
3000 recordings is written to data/fsdd.csv with folds by recording index (0–9 fold 1, ...,
40–49 fold 5; fold 1 holds the official test indices 0–4), and the front end is a log-mel at
8 kHz (n_fft 256, hop 128, 40 mels, 31 frames ≈ 0.5 s).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from soundbench.project import compose_config, project_root
from soundbench.training.run import run

ROOT = project_root()
FSDD = ROOT.parent / "shared" / "data" / "fsdd" / "recordings"
FSDD_FEATURES = ["features.sample_rate=8000", "features.n_fft=256", "features.hop_length=128", "features.n_mels=40"]


def fsdd_csv() -> Path:
    if not FSDD.is_dir():
        raise SystemExit(f"{FSDD} is absent: this comparison needs the shared FSDD recordings")
    path = ROOT / "data" / "fsdd.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = ["filename,label,fold,group"]
    for wav in sorted(FSDD.glob("*.wav")):
        digit, _speaker, index = wav.stem.split("_")
        # every recording is its own source: the official split (by index) has each speaker in every fold
        rows.append(f"{wav},{digit},{int(index) // 10 + 1},{wav.stem}")
    path.write_text("\n".join(rows) + "\n")
    return path


def dataset_overrides(name: str) -> list[str]:
    if name == "fsdd":
        return ["dataset=csv", f"dataset.csv={fsdd_csv()}", *FSDD_FEATURES]
    return [f"dataset={name}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="demo")
    parser.add_argument("--model", default="sbcnn")
    parser.add_argument("--fold", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    print("| dataset | model | fold | seed | framing | test clip acc |\n|---|---|---|---|---|---|")
    for seed in args.seeds:
        for framing in ("centered", "stream"):
            cfg = compose_config(
                overrides=[
                    *dataset_overrides(args.dataset),
                    f"model={args.model}",
                    f"features.framing={framing}",
                    f"dataset.fold={args.fold}",
                    f"trainer.max_epochs={args.epochs}",
                    f"seed={seed}",
                    "logger=none",
                    f"paths.root_dir={ROOT}",
                    "trainer.enable_progress_bar=false",
                ],
            )
            with tempfile.TemporaryDirectory() as out:
                summary = run(cfg, out)
            print(
                f"| {args.dataset} | {args.model} | {args.fold} | {seed} | {framing} | {summary.test_clip_acc:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
