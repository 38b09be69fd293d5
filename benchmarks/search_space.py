"""How much of the hardware-aware search space fits a board, and how fast a trial is
rejected: random configurations of ``hparams_search=mcu``'s space, each checked exactly as
the search checks a trial before training (untrained model built, exported, quantized,
memory-planned, timed with the front end on the device). Nothing trains.

    python benchmarks/search_space.py [--trials 40] [--target stm32l476] [-- dataset=demo ...]
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter

import optuna
from omegaconf import OmegaConf

from soundbench.deploy.feasibility import DeviceCosts
from soundbench.deploy.targets import target_from_config
from soundbench.project import ROOT_VARIABLE, composer, project_root
from soundbench.search.loop import check_trial
from soundbench.search.run import BoardCheck
from soundbench.search.space import SearchSpace
from soundbench.search.trials import TrialRecord

ROOT = project_root()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--target", default="stm32l476")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("overrides", nargs="*", help="train.py overrides, e.g. dataset=demo")
    args = parser.parse_args()
    os.environ.setdefault(ROOT_VARIABLE, str(ROOT))
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    overrides = ["hparams_search=mcu", f"target={args.target}", *args.overrides]
    with composer(ROOT) as compose:
        base = compose(overrides, return_hydra_config=True)
        sweeper = base.hydra.sweeper
        space = SearchSpace.from_config(sweeper.families, sweeper.params)
        target = target_from_config(OmegaConf.to_container(base.target, resolve=True))
        check = BoardCheck(base, target, sweeper.max_duty_cycle, DeviceCosts(ROOT))
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=args.seed))
        records, composing = [], 0.0
        for number in range(args.trials):
            record = TrialRecord(number, space.suggest(study.ask()))
            started = time.perf_counter()
            check_trial(record, lambda o: compose([*overrides, *o]), check)
            composing += time.perf_counter() - started - (record.feasibility.seconds if record.feasibility else 0)
            records.append(record)
            print(
                f"{number:3d} {'REJECTED' if record.rejected else 'fits    '} "
                f"{record.feasibility.seconds if record.feasibility else 0:5.2f} s  {' '.join(record.overrides)}"
                + (f"\n      {record.rejected}" if record.rejected else ""),
                flush=True,
            )
    _summary(records, target.name, composing)


def _summary(records: list[TrialRecord], target: str, composing: float) -> None:
    rejected = [r for r in records if r.rejected]
    checked = [r.feasibility.seconds for r in records if r.feasibility]
    reasons = Counter(
        part.split(" ")[0] if not part.startswith("duty") else "duty"
        for r in rejected
        for part in r.rejected.split("; ")
    )
    by_family = Counter(r.overrides[0] for r in rejected)
    print(
        f"\n{len(records)} random configurations of hparams_search=mcu on {target}: {len(rejected)} rejected "
        f"({len(rejected) / len(records):.0%}); reasons: {dict(reasons)}; by family: {dict(by_family)}"
    )
    print(
        f"check per trial: mean {sum(checked) / len(checked):.2f} s, max {max(checked):.2f} s "
        f"(the first of each front-end geometry includes its QEMU measurement); composing the config "
        f"{composing / len(records):.2f} s per trial"
    )


if __name__ == "__main__":
    main()
