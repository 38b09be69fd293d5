"""Stage `fingerprint` (runs on every `dvc repro`): the dataset fingerprint (files, labels,
folds and each file's size and modification time; see ClipIndex.fingerprint) written to
fingerprint.json. DVC cannot watch a dataset that may live outside the repository, so
this cheap stage always runs, and `features` (and everything after it) reruns only when
the file it writes changes: audio replaced, added or removed is never served stale."""

from __future__ import annotations

from hydra.utils import instantiate

from soundbench.stages.params import in_project, load_params, read_json, stage_dir, train_config, write_json


def main() -> None:
    params = load_params()
    root = str(in_project(read_json(stage_dir(params) / "download.json")["root"]))
    cfg = train_config(params, dataset_root=root, groups=("dataset",), training=False)
    index = instantiate(cfg.dataset, _convert_="all").load_index()
    fingerprint = index.fingerprint()
    write_json(
        stage_dir(params) / "fingerprint.json",
        {
            "dataset": params["dataset"],
            "root": root,
            "clips": len(index),
            "dataset_fingerprint": fingerprint,
        },
    )
    print(f"{params['dataset']}: {len(index)} clips, fingerprint {fingerprint}")


if __name__ == "__main__":
    main()
