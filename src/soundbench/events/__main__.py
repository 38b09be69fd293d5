"""``python -m soundbench.events <build | tune | score> soundscapes=<fsdd | esc40> [bundle=...]``

- build: the validation and test soundscapes (reused while their settings and sources hold);
- tune:  tune the bundle's event decision layer on validation, report default and tuned on
         test, save the tuned layer in the bundle (decision.json) and a report in out_dir;
- score: the bundle's decision layer (or decision=<file>) on the test soundscapes.

Options: conf/events.yaml; soundscape sets: conf/soundscapes/. ``bundle=`` takes what
predict takes: a bundle folder, an MLflow run id or a checkpoint.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from soundbench.project import ROOT_VARIABLE, compose_config, project_root

COMMANDS = ("build", "tune", "score")


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in COMMANDS:
        sys.exit(f"usage: python -m soundbench.events <{' | '.join(COMMANDS)}> [key=value ...]\n{__doc__}")
    os.environ.setdefault(ROOT_VARIABLE, str(project_root()))
    cfg = compose_config(argv[1:], config_name="events")
    from soundbench.events import run

    if argv[0] == "build":
        run.build(cfg)
        return
    if cfg.bundle is None:
        sys.exit(f"{argv[0]} needs bundle=<bundle folder | MLflow run id | checkpoint>")
    from soundbench.predict.run import resolve_model

    bundle = resolve_model(str(cfg.bundle), Path(cfg.out_dir), cfg.tracking_uri, cfg.bundle_cache)
    (run.tune if argv[0] == "tune" else run.score)(cfg, bundle)


if __name__ == "__main__":
    main(sys.argv[1:])
