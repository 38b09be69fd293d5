"""Stage `features`: decode every clip once at the front end's sample rate into the
memory-mapped cache that training reads (soundbench.data.cache). Writes features.json."""

from __future__ import annotations

import time

from soundbench.experiment import Experiment
from soundbench.benchmark.params import load_params, models, read_json, stage_dir, train_config, write_json


def main() -> None:
    params = load_params()
    root = read_json(stage_dir(params) / "download.json")["root"]
    cfg = train_config(params, models(params)[0], dataset_root=root)
    experiment = Experiment.from_config(cfg, augment=False)
    frontend, datamodule = experiment.frontend, experiment.datamodule
    started = time.perf_counter()
    path = datamodule.build_cache()
    seconds = time.perf_counter() - started
    write_json(stage_dir(params) / "features.json", {
        "cache": str(path), "sample_rate": frontend.sample_rate, "clips": len(datamodule.index),
        "dataset_fingerprint": datamodule.index.fingerprint(), "seconds": round(seconds, 2),
        "front_end": frontend.name, "input_shape": list(experiment.input_shape),
    })
    print(f"cache {path}: {len(datamodule.index)} clips in {seconds:.1f} s")


if __name__ == "__main__":
    main()
