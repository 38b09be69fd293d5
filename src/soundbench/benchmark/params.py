"""params.yaml → the Hydra training config of each pipeline stage.

The stage scripts read params.yaml themselves (DVC tracks which keys each stage uses) and
compose ``conf/train.yaml`` with overrides built from it, so the pipeline trains exactly
what ``python train.py`` would. ``dvc exp run -S model=crnn`` sets the ``model`` key.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf

#: the project folder the pipeline runs in (DVC runs stages from the repository root)
ROOT = Path(os.environ.get("SOUNDBENCH_ROOT", Path.cwd())).resolve()


def load_params(root: Path = ROOT) -> dict:
    return OmegaConf.to_container(OmegaConf.load(root / "params.yaml"), resolve=True)


def models(params: dict) -> list[str]:
    """``model`` as a list: ``crnn``, ``sbcnn,strided_ds`` or ``[sbcnn, strided_ds]``."""
    value = params["model"]
    names = value if isinstance(value, list) else str(value).split(",")
    return [n.strip() for n in names if n.strip()]


def stage_dir(params: dict, root: Path = ROOT) -> Path:
    path = root / "experiments" / params["experiment"] / "pipeline"
    path.mkdir(parents=True, exist_ok=True)
    return path


def train_config(params: dict, model: str, root: Path = ROOT, dataset_root: str | None = None) -> DictConfig:
    overrides = [f"dataset={params['dataset']}", f"features={params['features']}", f"model={model}",
                 f"paths.root_dir={root}", "data.cache_dir=${paths.data_dir}/cache"]
    if dataset_root:
        overrides.append(f"dataset.root={dataset_root}")
    for group in ("dataset", "features", "model", "augment"):
        overrides += [f"{group}.{k}={_value(v)}" for k, v in (params.get(f"{group}_params") or {}).items()]
    train = params.get("train") or {}
    if "augment" in train:
        overrides.append(f"augment={train['augment']}")
    if "max_epochs" in train:
        overrides.append(f"trainer.max_epochs={train['max_epochs']}")
    folds = train.get("folds", "all")
    overrides += ["cv=all", f"cv.folds={_value(folds)}"]
    if train.get("seeds"):
        overrides.append(f"cv.seeds={_value(train['seeds'])}")
    with initialize_config_dir(config_dir=str(root / "conf"), version_base="1.3"):
        return compose("train", overrides=overrides)


def deploy_config(params: dict, root: Path = ROOT, **overrides) -> DictConfig:
    """conf/deploy.yaml for ``params["target"]`` with params.yaml's ``deploy`` entries (the
    same keys, nested) and ``overrides`` (dotted keys) applied: the pipeline deploys with
    exactly the options ``python -m soundbench.deploy`` would."""
    options = {**_dotted(params.get("deploy") or {}), **overrides}
    with initialize_config_dir(config_dir=str(root / "conf"), version_base="1.3"):
        return compose("deploy", overrides=[f"target={params['target']}", f"root_dir={root}",
                                            *(f"{k}={_value(v)}" for k, v in options.items())])


def _dotted(tree: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            flat.update(_dotted(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _value(value) -> str:
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def write_json(path: Path, data) -> Path:
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path


def read_json(path: Path):
    return json.loads(Path(path).read_text())
