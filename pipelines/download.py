"""Stage `download`: fetch and extract the dataset (the demo dataset is generated instead).
Writes <stage dir>/download.json with the dataset root."""

from __future__ import annotations

import sys
from pathlib import Path

from soundbench.data.download import DownloadError
from soundbench.data.sources import fetch_dataset
from soundbench.stages.params import ROOT, load_params, stage_dir, write_json


def main() -> None:
    params = load_params()
    data_dir = ROOT / "data"
    if params.get("dataset_root"):
        root = Path(params["dataset_root"]).expanduser().resolve()  # placed by hand: nothing to fetch
    elif params["dataset"] == "demo":
        from soundbench.data.demo import generate_demo

        root = generate_demo(data_dir / "demo")
    else:
        try:
            root = fetch_dataset(params["dataset"], data_dir, params.get("download_url"))
        except DownloadError as error:
            sys.exit(f"download failed: {error}")
    write_json(stage_dir(params) / "download.json", {"dataset": params["dataset"], "root": str(root)})
    print(f"{params['dataset']}: {root}")


if __name__ == "__main__":
    main()
