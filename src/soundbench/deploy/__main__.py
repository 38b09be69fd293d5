"""``python -m soundbench.deploy run=<MLflow run id | checkpoint.ckpt> target=stm32l476``

Exports, quantizes and checks a trained model against a microcontroller board; prints the
report, writes it (with the ONNX models, C code and firmware) to the output folder and, for
an MLflow run, logs it to that run. Options: conf/deploy.yaml; boards: conf/target/.
"""

from __future__ import annotations

import os
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from soundbench.project import ROOT_VARIABLE, project_root
from soundbench.run_folder import register_run_suffix

ROOT = project_root()
register_run_suffix()  # ${sb_run_suffix:} in the output folder's name (conf/deploy.yaml)


@hydra.main(version_base="1.3", config_path=str(ROOT / "conf"), config_name="deploy")
def main(cfg: DictConfig) -> dict:
    from soundbench.artifacts.trained import load_trained
    from soundbench.deploy.graph import Graph
    from soundbench.deploy.memory_plan import plan_memory
    from soundbench.deploy.report import log_to_mlflow
    from soundbench.deploy.run import DeploySettings, deploy
    from soundbench.deploy.targets import target_from_config
    from soundbench.plots import plot_memory_plan

    target = target_from_config(cfg.target)
    trained = load_trained(str(cfg.run), cfg.tracking_uri)
    out_dir = Path(cfg.out_dir or HydraConfig.get().runtime.output_dir)
    report = deploy(trained, target, out_dir, ROOT, DeploySettings.from_config(cfg))
    int8 = Graph(out_dir / "model_int8.onnx")
    plot_memory_plan(plan_memory(int8), len(int8.nodes), "Memory plan of model_int8.onnx", out_dir / "memory_plan.png")
    print("\n" + (out_dir / "report.md").read_text())
    print(f"Files: {out_dir}")
    if cfg.get("board"):
        _write_board(out_dir, target)
    if trained.run_id:
        log_to_mlflow(report, out_dir, cfg.tracking_uri)
        print(
            f"Logged to MLflow run {trained.run_id} (metrics deploy/{target.name}/*, artifacts deploy/{target.name}/)"
        )
    return report


def _write_board(out_dir: Path, target) -> None:
    from soundbench.deploy.board import write_board_project

    model_c = out_dir / "firmware" / "model.c"
    if not model_c.is_file():
        raise SystemExit(f"board=true needs the generated C ({model_c}); it is written when the Arm toolchain runs")
    board = write_board_project(model_c, target, ROOT, out_dir / "board")
    print(
        f"Board firmware for {target.board}: {board.folder} ({board.board.message}). Flash firmware.elf, run it with "
        "semihosting on, save its printout, then: python -m soundbench.deploy.board <printout> " + str(out_dir)
    )


if __name__ == "__main__":
    os.environ.setdefault(ROOT_VARIABLE, str(ROOT))
    main()
