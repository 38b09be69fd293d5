"""Train and test one configuration: `python train.py model=sbcnn features=logmel dataset=esc50`,
or every fold of it: `python train.py cv=all`."""

import os
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from soundbench.run_folder import register_run_suffix

os.environ.setdefault("SOUNDBENCH_ROOT", str(Path(__file__).resolve().parent))
register_run_suffix()  # ${sb_run_suffix:} in the run folder's name (conf/hydra)


@hydra.main(version_base="1.3", config_path="conf", config_name="train")
def main(cfg: DictConfig) -> float:
    # imported after Hydra parsed the command line, so --help and config errors stay fast
    from soundbench.training.cv import run_cv
    from soundbench.training.run import run

    output_dir = HydraConfig.get().runtime.output_dir
    if cfg.cv.folds:
        return run_cv(cfg, output_dir)["cv/test_clip_acc_mean"]
    return run(cfg, output_dir).get("test/clip_acc", float("nan"))  # the value sweepers optimise


if __name__ == "__main__":
    main()
