"""Train and test one configuration: `python train.py model=sbcnn features=logmel dataset=esc50`,
or every fold of it: `python train.py cv=all`."""

import os
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from soundbench.command_line import unreadable_override
from soundbench.run_folder import register_run_suffix

os.environ.setdefault("SOUNDBENCH_ROOT", str(Path(__file__).resolve().parent))
register_run_suffix()  # ${sb_run_suffix:} in the run folder's name (conf/hydra)


@hydra.main(version_base="1.3", config_path="conf", config_name="train")
def main(cfg: DictConfig) -> float:
    # imported after Hydra parsed the command line, so --help and config errors stay fast
    from soundbench.training.cv import run_cv
    from soundbench.training.run import run

    output_dir = Path(HydraConfig.get().runtime.output_dir)
    summary = run_cv(cfg, output_dir) if cfg.cv.folds else run(cfg, output_dir)
    if summary is None:  # a helper rank of distributed training: rank 0 reports, and its summary.json stays
        return float("nan")
    summary.write(output_dir)  # the numbers of this job for whoever launched it (a search reads them here)
    metric = cfg.get("optimized_metric") or ("cv/test_clip_acc_mean" if cfg.cv.folds else "test/clip_acc")
    metrics = summary.metrics()
    if metric not in metrics:
        raise KeyError(f"optimized_metric={metric}: this run reports {sorted(metrics)}")
    return metrics[metric]  # the value sweepers optimise


if __name__ == "__main__":
    if problem := unreadable_override(sys.argv[1:]):  # before Hydra's lexer error with a caret
        sys.exit(problem)
    main()
