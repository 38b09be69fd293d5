"""Stage `features`: decode every clip once at the front end's sample rate into the
memory-mapped cache that training reads (soundbench.data.cache). Writes features.json."""

from __future__ import annotations

import time

from hydra.utils import instantiate

from soundbench.experiment import Experiment
from soundbench.stages.params import in_project, load_params, read_json, stage_dir, train_config, write_json


def main() -> None:
    params = load_params()
    root = str(in_project(read_json(stage_dir(params) / "download.json")["root"]))
    cfg = train_config(params, dataset_root=root, groups=("dataset", "features"), training=False)
    # the decoded-audio cache depends on the data and the front end's rate, not on the model
    experiment = Experiment.from_config(cfg, augment=False, frontend=instantiate(cfg.features, _convert_="all"))
    frontend, datamodule = experiment.frontend, experiment.datamodule
    started = time.perf_counter()
    path = datamodule.build_cache()
    seconds = time.perf_counter() - started
    write_json(
        stage_dir(params) / "features.json",
        {
            "cache": str(path),
            "sample_rate": frontend.sample_rate,
            "clips": len(datamodule.index),
            "dataset_fingerprint": datamodule.index.fingerprint(),
            "seconds": round(seconds, 2),
            "front_end": frontend.name,
            "input_shape": list(experiment.input_shape),
        },
    )
    print(f"cache {path}: {len(datamodule.index)} clips in {seconds:.1f} s")


if __name__ == "__main__":
    main()
