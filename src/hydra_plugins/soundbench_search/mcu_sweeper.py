"""``hydra/sweeper=mcu``: the Hydra side of soundbench's hardware-aware search. It parses
the command line into fixed overrides and extra sweep parameters, composes a trial's config
as its job would see it, and trains batches through whatever launcher is configured
(sequential, joblib, SLURM); :func:`soundbench.search.run.search` does the rest.

Why not hydra-optuna-sweeper: under the pinned optuna 2.10 it runs multi-objective studies,
but it has no way to reject a trial before training; a job that does not return its values
aborts the whole sweep. This sweeper uses Optuna's ask/tell API directly: rejected trials
never reach the launcher."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.plugins import Plugins
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from soundbench.project import project_root


class McuSearchSweeper(Sweeper):
    def __init__(self, **options: Any):
        self.options = options
        self.job_idx = 0

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config, self.hydra_context = config, hydra_context
        self.launcher = Plugins.instance().instantiate_launcher(
            config=config, hydra_context=hydra_context, task_function=task_function
        )

    def sweep(self, arguments: list[str]) -> Any:
        from soundbench.search.loop import SearchSettings
        from soundbench.search.run import SearchOptions, search
        from soundbench.search.space import SearchSpace

        parsed = OverridesParser.create().parse_overrides(arguments)
        fixed = [o.input_line for o in parsed if not o.is_sweep_override()]
        sweeps = [o.input_line for o in parsed if o.is_sweep_override()]
        o = self.options
        options = SearchOptions(
            settings=SearchSettings(
                int(o["n_trials"]), int(o["max_rejected"]), int(o["n_jobs"]), tuple(o["objectives"])
            ),
            space=SearchSpace.from_config(o.get("families"), o.get("params")).with_command_line(sweeps),
            max_duty_cycle=float(o["max_duty_cycle"]),
            sampler=_sampler(o["sampler"]),
            final_cv=bool(o["final"]["cv"]),
            final_deploy=bool(o["final"]["deploy"]),
            resume=bool(o.get("resume", True)),
            # the sampler's settings as configured (the options hold the instantiated sampler)
            sampler_config=OmegaConf.to_container(self.config.hydra.sweeper.sampler, resolve=False),
        )
        out_dir = Path(self.config.hydra.sweep.dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, out_dir / "multirun.yaml")
        root = project_root()
        return search(
            self.config,
            options,
            lambda overrides: self._compose([*fixed, *overrides]),
            lambda batch: self._launch([[*fixed, *job.overrides, f"hydra.sweep.subdir={job.subdir}"] for job in batch]),
            root,
            out_dir,
        )

    def _compose(self, overrides: list[str]) -> DictConfig:
        """The config a job with these overrides gets."""
        return self.hydra_context.config_loader.load_sweep_config(self.config, overrides)

    def _launch(self, batch: list[list[str]]):
        """Each job's overrides name its folder after its trial (``hydra.sweep.subdir``): Hydra's
        job index counts only launched jobs, so with trials rejected before training trial 2
        would train in ``1/``."""
        from soundbench.search.loop import JobOutcome
        from soundbench.tracking.summary import SUMMARY_FILE, read_summary

        returns = self.launcher.launch(batch, initial_job_idx=self.job_idx)
        self.job_idx += len(returns)
        outcomes = []
        for ret in returns:
            try:
                value = ret.return_value  # re-raises the job's exception
            except Exception as error:  # one failed trial must not end the search
                outcomes.append(JobOutcome(None, None, f"{type(error).__name__}: {error}"))
                continue
            summary_file = Path(ret.hydra_cfg.hydra.runtime.output_dir) / SUMMARY_FILE
            outcomes.append(JobOutcome(float(value), read_summary(summary_file) if summary_file.is_file() else None))
        return outcomes


def _sampler(config: Any):
    """The configured Optuna sampler (a ``_target_`` node), instantiated once."""
    return instantiate(config) if isinstance(config, (dict, DictConfig)) else config
