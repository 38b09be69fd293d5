"""Real-time factor of ``predict`` on CPU: seconds of audio classified per second of compute,
for SB-CNN (float32 and int8) over a long recording made of real clips, plus the peak
memory, which must not grow with the recording's length.

    python benchmarks/predict_rtf.py [--minutes 10 60] [--model sbcnn]

The recording is ESC-50 and UrbanSound8K clips from ../shared/data (44.1/48 kHz, so
resampling to 22.05 kHz is included) concatenated, written to a temporary file a clip at a
time. Weights are random: speed does not depend on them. The silence gate is off, so every
window runs through the model (the worst case). Each measurement runs in a fresh process, so
its peak RSS is the prediction's own: it should not grow with the recording's length.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf
import torch

from soundbench.artifacts.onnx_export import export_onnx
from soundbench.data.audio import read_audio
from soundbench.deploy.quantize import quantize_int8
from soundbench.experiment import Experiment
from soundbench.predict import DecisionSettings, Predictor, load_bundle, save_bundle
from soundbench.project import compose_config, project_root

ROOT = project_root()
SHARED = ROOT.parent / "shared" / "data"
RATE = 44100


def long_recording(path: Path, minutes: float) -> Path:
    clips = sorted((SHARED / "esc50" / "audio").glob("*.wav")) + sorted(
        (SHARED / "urbansound8k" / "audio").glob("fold*/*.wav")
    )
    if not clips:
        raise SystemExit(f"no audio under {SHARED}: this benchmark needs the shared real-data subsets")
    target, written = int(minutes * 60 * RATE), 0
    with sf.SoundFile(path, "w", samplerate=RATE, channels=1, subtype="PCM_16") as out:
        while written < target:
            for clip in clips:
                audio = read_audio(clip, RATE).numpy()[: target - written]
                out.write(audio)
                written += len(audio)
                if written >= target:
                    break
    return path


def make_bundle(folder: Path, model_name: str) -> Path:
    cfg = compose_config(overrides=[f"model={model_name}", "features=logmel"])
    experiment = Experiment.from_config(cfg, augment=False)
    frontend, features = experiment.frontend, cfg.features
    model = experiment.build_model(n_classes=10).eval()  # random weights: speed does not depend on them
    export_onnx(model, experiment.input_shape, folder / "model.onnx")
    calibration = frontend(torch.randn(64, frontend.window_samples) * 0.1).detach().numpy()
    quantize_int8(folder / "model.onnx", folder / "model_int8.onnx", calibration)
    save_bundle(
        folder,
        features,
        [f"class{i}" for i in range(10)],
        {"float32": "model.onnx", "int8": "model_int8.onnx"},
        {"model": model_name},
        frontend,
    )
    return folder


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(bundle: Path, recording: Path, precision: str, block_seconds: float, frontend: str) -> dict:
    """One prediction in this (fresh) process: timings and the process's peak memory."""
    torch.set_num_threads(2)
    settings = DecisionSettings(silence_db=-200, unknown_threshold=0.0)
    predictor = Predictor(load_bundle(bundle), settings, precision, block_seconds, frontend_runtime=frontend)
    began = time.perf_counter()
    prediction = predictor.predict_file(recording, progress=False)
    wall = time.perf_counter() - began
    return {
        "minutes": prediction.duration_s / 60,
        "windows": len(prediction.windows),
        "wall": wall,
        "rtf": prediction.duration_s / wall,
        **prediction.timings,
        "peak_rss_mib": peak_rss_mib(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[10.0, 60.0])
    parser.add_argument("--model", default="sbcnn")
    parser.add_argument("--block-seconds", type=float, default=30.0)
    parser.add_argument(
        "--child", nargs=4, metavar=("BUNDLE", "RECORDING", "PRECISION", "FRONTEND"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        bundle, recording, precision, frontend = args.child
        print(json.dumps(measure(Path(bundle), Path(recording), precision, args.block_seconds, frontend)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        bundle = make_bundle(tmp, args.model)
        print(
            "| model | precision | front end on | audio | windows | compute | real-time factor | read+resample | "
            "features | model | peak RSS |\n|---|---|---|---|---|---|---|---|---|---|---|"
        )
        for minutes in args.minutes:
            recording = long_recording(tmp / f"{minutes:g}min.wav", minutes)
            runs = [("float32", "onnxruntime"), ("float32", "torch"), ("int8", "onnxruntime")]
            for precision, frontend in runs:
                # a fresh process per measurement, so its peak memory is this prediction's alone
                child = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--block-seconds",
                        str(args.block_seconds),
                        "--child",
                        str(bundle),
                        str(recording),
                        precision,
                        frontend,
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                r = json.loads(child.stdout.strip().splitlines()[-1])
                print(
                    f"| {args.model} | {precision} | {frontend} | {r['minutes']:.1f} min | {r['windows']} | "
                    f"{r['wall']:.1f} s | "
                    f"{r['rtf']:.0f}x | {r['read']:.1f} s | {r['features']:.1f} s | {r['model']:.1f} s | "
                    f"{r['peak_rss_mib']:.0f} MiB |",
                    flush=True,
                )
            recording.unlink()


if __name__ == "__main__":
    main()
