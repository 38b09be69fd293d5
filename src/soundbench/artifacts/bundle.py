"""A model bundle: the exported ONNX model(s) and the feature configuration they were
trained with, in one folder, so prediction runs exactly the training front end::

    bundle/
      model.onnx          float32, one analysis window in, logits out (batch 1)
      model_int8.onnx     (deploy output only) the int8 model checked on the board
      features.yaml       the front end's Hydra config (``_target_`` + arguments)
      bundle.json         class names, model files, provenance (run id, checkpoint)

``python -m soundbench.deploy`` writes one as its output folder; ``predict`` builds one from
an MLflow run id or a checkpoint when given those instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from soundbench.config_trust import trusted_features_config
from soundbench.features.frontends import FrontEnd

BUNDLE_FILE = "bundle.json"
FEATURES_FILE = "features.yaml"
FORMAT_VERSION = 1


class BundleError(ValueError):
    """The folder is not a usable model bundle; the message says what is missing."""


@dataclass
class ModelBundle:
    folder: Path
    frontend: FrontEnd
    class_names: tuple[str, ...]
    models: dict[str, str]  # precision -> file name in ``folder``
    info: dict = field(default_factory=dict)

    def onnx_path(self, precision: str = "float32") -> Path:
        if precision not in self.models:
            raise BundleError(
                f"{self.folder} holds no {precision} model (it has {sorted(self.models)}); "
                "int8 models come from `python -m soundbench.deploy`"
            )
        return self.folder / self.models[precision]


def save_bundle(
    folder: str | Path, features: DictConfig | dict, class_names, models: dict[str, str], info: dict | None = None
) -> Path:
    """Write ``features.yaml`` and ``bundle.json`` beside already exported models."""
    folder = Path(folder)
    OmegaConf.save(
        OmegaConf.create(OmegaConf.to_container(OmegaConf.create(features), resolve=True)), folder / FEATURES_FILE
    )
    manifest = {"format": FORMAT_VERSION, "class_names": list(class_names), "models": models, **(info or {})}
    (folder / BUNDLE_FILE).write_text(json.dumps(manifest, indent=2, default=str))
    return folder


def load_bundle(folder: str | Path) -> ModelBundle:
    folder = Path(folder)
    missing = [name for name in (BUNDLE_FILE, FEATURES_FILE) if not (folder / name).is_file()]
    if missing:
        raise BundleError(
            f"{folder} is not a model bundle (missing {', '.join(missing)}); pass a deploy output "
            "folder, an MLflow run id or a training checkpoint"
        )
    manifest = json.loads((folder / BUNDLE_FILE).read_text())
    absent = [name for name in manifest["models"].values() if not (folder / name).is_file()]
    if absent:
        raise BundleError(f"{folder}: bundle.json lists {absent}, which are not there")
    # features.yaml is data: it may only name one of soundbench's front ends
    features = trusted_features_config(OmegaConf.load(folder / FEATURES_FILE), f"bundle file {folder / FEATURES_FILE}")
    frontend = instantiate(features, _convert_="all").eval()
    info = {k: v for k, v in manifest.items() if k not in ("class_names", "models")}
    return ModelBundle(folder, frontend, tuple(manifest["class_names"]), dict(manifest["models"]), info)


def export_bundle(trained, folder: str | Path, opset: int | None = None) -> ModelBundle:
    """Export a trained model (:class:`soundbench.artifacts.trained.TrainedModel`) as a bundle
    (``opset`` None: soundbench.artifacts.onnx_export.OPSET)."""
    from soundbench.artifacts.onnx_export import export_onnx  # here: torch.onnx is needless to predict

    folder = Path(folder)
    export_onnx(trained.model, trained.input_shape, folder / "model.onnx", *([opset] if opset else []))
    save_bundle(folder, trained.features_config, trained.class_names, {"float32": "model.onnx"}, provenance(trained))
    return load_bundle(folder)


def provenance(trained) -> dict:
    return {
        "model": trained.name,
        "run_id": trained.run_id,
        "checkpoint": str(trained.checkpoint),
        "dataset": trained.datamodule.corpus.name,
        "fold": trained.fold,
    }
