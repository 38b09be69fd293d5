"""Feature extraction throughput on real files (../shared/data), in clips per second:

- librosa per clip: librosa.load (resample to 22.05 kHz) + melspectrogram + power_to_db,
  the thesis' approach, every epoch;
- decode only: soundfile + torchaudio resampling (what any pipeline must do once);
- soundbench cold: decode + log-mel of every analysis window (front end, batched);
- soundbench cached: the decoded-audio cache (memory-mapped) + log-mel of every window:
  what each later epoch and run pays.

    python benchmarks/features_throughput.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import librosa
import numpy as np
import torch

from soundbench.data.audio import read_audio
from soundbench.data.cache import build_cache, read_cached
from soundbench.data.datamodule import decode_clips
from soundbench.data.index import ClipIndex, make_table
from soundbench.data.windows import cut_windows
from soundbench.features.frontends import LogMel
from soundbench.project import project_root

SHARED = project_root().parent / "shared" / "data"


def real_files() -> list[str]:
    files = sorted(str(p) for p in (SHARED / "esc50" / "audio").glob("*.wav"))
    files += sorted(str(p) for p in (SHARED / "urbansound8k" / "audio").glob("fold*/*.wav"))
    if not files:
        raise SystemExit(f"no audio under {SHARED}: this benchmark needs the shared real-data subsets")
    return files


def librosa_pipeline(files: list[str]) -> None:
    for path in files:
        y, sr = librosa.load(path, sr=22050, mono=True)
        librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr, n_fft=1024, hop_length=512, n_mels=60))


def decode_only(files: list[str]) -> list[torch.Tensor]:
    return [read_audio(p, 22050) for p in files]


@torch.no_grad()
def features(clips: list[torch.Tensor], frontend: LogMel) -> None:
    windows = torch.cat([cut_windows(c, frontend.window_samples, frontend.window_hop_samples) for c in clips])
    for i in range(0, len(windows), 512):
        frontend(windows[i : i + 512])


def timed(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(2)
    files = real_files()
    frontend = LogMel().eval()
    n = len(files)
    index = ClipIndex(
        make_table({"path": files, "label": np.zeros(n, int), "class_name": ["x"] * n, "group": files}), ("x",)
    )
    with tempfile.TemporaryDirectory() as cache_dir:
        cache = build_cache(index, 22050, cache_dir, lambda idx: decode_clips(idx, 22050, "cache"))
        results = {
            "librosa per clip": timed(lambda: librosa_pipeline(files), args.repeat),
            "decode only": timed(lambda: decode_only(files), args.repeat),
            "soundbench cold (decode + features)": timed(lambda: features(decode_only(files), frontend), args.repeat),
            "soundbench cached (cache + features)": timed(
                lambda: features(read_cached(index, cache), frontend), args.repeat
            ),
        }
    print(f"{n} real clips (ESC-50 fold 4 + UrbanSound8K subset), 2 threads, best of {args.repeat}")
    for name, seconds in results.items():
        print(f"  {name:40s} {n / seconds:8.1f} clips/s  ({seconds:.2f} s)")
    cached, cold = results["soundbench cached (cache + features)"], results["soundbench cold (decode + features)"]
    print(f"cached vs librosa: {results['librosa per clip'] / cached:.1f}x faster (goal ≥ 10x)")
    print(f"cold vs decode only: {cold / results['decode only']:.2f}x the decode time (goal ≤ 2x)")


if __name__ == "__main__":
    main()
