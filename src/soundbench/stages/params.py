"""params.yaml → the Hydra training config of each pipeline stage.

The stage scripts read params.yaml themselves (DVC tracks which keys each stage uses) and
compose ``conf/train.yaml`` with overrides built from it, so the pipeline trains exactly
what ``python train.py`` would. ``dvc exp run -S model=crnn`` sets the ``model`` key.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from soundbench.project import compose_config, project_root

#: the project folder the pipeline runs in (DVC runs stages from the repository root)
ROOT = project_root()


#: set to a file: each stage appends the params.yaml keys it read (tests check that every
#: one is among the stage's dvc.yaml params, so no change to params.yaml goes unnoticed)
READS_LOG = "SOUNDBENCH_PARAMS_READS"


def load_params(root: Path = ROOT) -> dict:
    params = OmegaConf.to_container(OmegaConf.load(root / "params.yaml"), resolve=True)
    if not os.environ.get(READS_LOG):
        return params
    recorded = _RecordedParams(params)
    atexit.register(recorded.append_to, Path(os.environ[READS_LOG]), Path(sys.argv[0]).stem)
    return recorded


class _RecordedParams(dict):
    """params.yaml's top-level mapping, remembering which keys were read."""

    def __init__(self, data: dict):
        super().__init__(data)
        self.read: set[str] = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def append_to(self, log: Path, stage: str) -> None:
        with open(log, "a") as out:
            out.write(json.dumps({"stage": stage, "keys": sorted(self.read)}) + "\n")


def models(params: dict) -> list[str]:
    """``model`` as a list: ``crnn``, ``sbcnn,strided_ds`` or ``[sbcnn, strided_ds]``."""
    value = params["model"]
    names = value if isinstance(value, list) else str(value).split(",")
    return [n.strip() for n in names if n.strip()]


def stage_dir(params: dict, root: Path = ROOT) -> Path:
    path = root / "experiments" / params["experiment"] / "pipeline"
    path.mkdir(parents=True, exist_ok=True)
    return path


#: the config groups a stage may take from params.yaml (``<group>`` and ``<group>_params``)
CONFIG_GROUPS = ("dataset", "features", "model", "augment")


def train_config(
    params: dict,
    model: str | None = None,
    root: Path = ROOT,
    dataset_root: str | None = None,
    groups: tuple[str, ...] = CONFIG_GROUPS,
    training: bool = True,
    init: str | None = None,
) -> DictConfig:
    """conf/train.yaml composed with params.yaml's choices for ``groups`` only (a stage that
    reads just the dataset depends on just the dataset's keys) and, with ``training``, the
    ``train`` settings. ``<group>_params`` may nest: ``{specaugment: {freq_masks: 3}}`` →
    ``augment.specaugment.freq_masks=3``."""
    overrides = [f"paths.root_dir={root}", "data.cache_dir=${paths.data_dir}/cache"]
    if "dataset" in groups:
        overrides.append(f"dataset={params['dataset']}")
    if "features" in groups:
        overrides.append(f"features={params['features']}")
    if "model" in groups and model:
        overrides.append(f"model={model}")
    if dataset_root:
        overrides.append(f"dataset.root={dataset_root}")
    for group in groups:
        # ++: set whether or not the composed config has the key yet
        overrides += [f"++{group}.{k}={_value(v)}" for k, v in _dotted(params.get(f"{group}_params") or {}).items()]
    if training:
        overrides += _training_overrides(params.get("train") or {})
    if init:
        overrides.append(f"init='{init}'")
    return compose_config(root=root, overrides=overrides)


def _training_overrides(train: dict) -> list[str]:
    overrides = []
    if "augment" in train:
        overrides.append(f"augment={train['augment']}")
    if "max_epochs" in train:
        overrides.append(f"trainer.max_epochs={train['max_epochs']}")
    overrides += ["cv=all", f"cv.folds={_value(train.get('folds', 'all'))}"]
    if train.get("seeds"):
        overrides.append(f"cv.seeds={_value(train['seeds'])}")
    return overrides


def deploy_config(params: dict, root: Path = ROOT, **overrides) -> DictConfig:
    """conf/deploy.yaml for ``params["target"]`` with params.yaml's ``deploy`` entries (the
    same keys, nested) and ``overrides`` (dotted keys) applied: the pipeline deploys with
    exactly the options ``python -m soundbench.deploy`` would."""
    options = {**_dotted(params.get("deploy") or {}), **overrides}
    return compose_config(
        root=root,
        config_name="deploy",
        overrides=[
            f"target={params['target']}",
            f"root_dir={root}",
            *(f"{k}={_value(v)}" for k, v in options.items()),
        ],
    )


def _dotted(tree: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            flat.update(_dotted(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _value(value) -> str:
    """A params.yaml value as a Hydra override value (YAML's null/true/false, JSON lists)."""
    if value is None or isinstance(value, (bool, list, dict)):
        return json.dumps(value)
    return str(value)


def write_json(path: Path, data, root: Path = ROOT) -> Path:
    """A stage output, with every path inside the project written relative to it (see
    :func:`portable`), so the committed outputs hold for a clone at any other path."""
    path.write_text(json.dumps(portable(data, root), indent=2, default=str) + "\n")
    return path


def read_json(path: Path):
    return json.loads(Path(path).read_text())


def portable(data, root: Path = ROOT):
    """``data`` with each string that is a path (or sqlite URI) inside ``root`` made
    relative to it: ``<root>/data/demo`` → ``data/demo``, ``sqlite:///<root>/mlflow.db`` →
    ``sqlite:///mlflow.db``. Paths outside the project stay absolute."""
    if isinstance(data, dict):
        return {key: portable(value, root) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [portable(value, root) for value in data]
    if isinstance(data, (str, Path)):
        text = str(data)
        scheme = "sqlite:///" if text.startswith("sqlite:///") else ""
        inside = Path(text.removeprefix(scheme))
        if inside.is_absolute() and inside.is_relative_to(root):
            return scheme + inside.relative_to(root).as_posix()
        return text
    return data


def in_project(path: str | Path, root: Path = ROOT) -> Path:
    """A path read from a stage output: relative ones are inside the project."""
    path = Path(path)
    return path if path.is_absolute() else root / path


def tracking_uri_in_project(uri: str, root: Path = ROOT) -> str:
    """A tracking URI read from a stage output: a relative sqlite file is inside the project."""
    if uri.startswith("sqlite:///") and not uri.removeprefix("sqlite:///").startswith("/"):
        return f"sqlite:///{root / uri.removeprefix('sqlite:///')}"
    return uri
