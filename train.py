"""Train and test one configuration: `python train.py model=sbcnn features=logmel dataset=esc50`."""

import os
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

os.environ.setdefault("SOUNDBENCH_ROOT", str(Path(__file__).resolve().parent))


@hydra.main(version_base="1.3", config_path="conf", config_name="train")
def main(cfg: DictConfig) -> float:
    from soundbench.training import run  # after Hydra parsed the CLI: --help stays fast

    summary = run(cfg, output_dir=HydraConfig.get().runtime.output_dir)
    return summary.get("test/clip_acc", float("nan"))  # the value sweepers optimise


if __name__ == "__main__":
    main()
