"""Stage `verify`: every file the metadata lists is present (and, for UrbanSound8K,
matches the sha256 of the original). Writes <stage dir>/verify.json."""

from __future__ import annotations

import sys

from hydra.utils import instantiate

from soundbench.data.index import DatasetError
from soundbench.data.verify import verify_dataset
from soundbench.stages.params import in_project, load_params, read_json, stage_dir, train_config, write_json


def main() -> None:
    params = load_params()
    root = str(in_project(read_json(stage_dir(params) / "download.json")["root"]))
    cfg = train_config(params, dataset_root=root, groups=("dataset",), training=False)
    try:
        report = verify_dataset(instantiate(cfg.dataset, _convert_="all"))
    except DatasetError as error:
        sys.exit(f"verify failed: {error}")
    write_json(stage_dir(params) / "verify.json", report)
    print(
        f"{report['dataset']}: all {report['files_listed']} listed files present"
        + (", sha256 verified" if report["dataset"] == "urbansound8k" else "")
    )


if __name__ == "__main__":
    main()
