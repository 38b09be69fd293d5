"""Classify recordings of any length: `python predict.py bundle=<folder | run id | checkpoint> audio=rec.wav`.
Writes a timeline CSV, an Audacity label track and summary.json per run (conf/predict.yaml)."""

import time

STARTED = time.monotonic()  # before the imports: they are most of a start

import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import hydra  # noqa: E402
from hydra.core.hydra_config import HydraConfig  # noqa: E402
from omegaconf import DictConfig  # noqa: E402

from soundbench.command_line import unreadable_override  # noqa: E402
from soundbench.run_folder import register_run_suffix  # noqa: E402

os.environ.setdefault("SOUNDBENCH_ROOT", str(Path(__file__).resolve().parent))
register_run_suffix()  # ${sb_run_suffix:} in the run folder's name (conf/hydra)


@hydra.main(version_base="1.3", config_path="conf", config_name="predict")
def main(cfg: DictConfig) -> None:
    from soundbench.predict.decision import EventDecision
    from soundbench.predict.run import find_audio, predict_files, print_report, resolve_model
    from soundbench.predict.timeline import DecisionSettings

    out_dir = Path(cfg.out_dir or HydraConfig.get().runtime.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = find_audio(cfg.audio)
    bundle = resolve_model(str(cfg.bundle), out_dir, cfg.tracking_uri, cfg.bundle_cache)
    print(f"Model ready {time.monotonic() - STARTED:.1f} s after start")
    settings = DecisionSettings.from_config(cfg)
    decision = EventDecision.load(Path(cfg.decision)) if cfg.decision else None
    report = predict_files(
        bundle,
        files,
        out_dir,
        settings,
        cfg.precision,
        cfg.block_seconds,
        cfg.audacity_silence,
        cfg.progress,
        decision,
        Path(cfg.truth) if cfg.truth else None,
        _scoring(cfg.collar_s) if cfg.truth else None,
        cfg.frontend_runtime,
    )
    print_report(report)
    print(f"Summary: {out_dir / 'summary.json'}")
    failed = [r for r in report["files"] if "error" in r]
    if failed:
        sys.exit(f"{len(failed)} of {len(report['files'])} file(s) could not be read (see above)")


def _scoring(collar_s: float):
    from soundbench.predict.scoring import ScoringSettings  # sed_eval: imported only to score

    return ScoringSettings(collar_s=collar_s)


if __name__ == "__main__":
    if problem := unreadable_override(sys.argv[1:]):  # before Hydra's lexer error with a caret
        sys.exit(problem)
    main()
