"""A model bundle: the exported ONNX model(s) and the front end they were trained with, in
one folder, so prediction runs exactly the training front end::

    bundle/
      model.onnx          float32, one analysis window in, logits out (batch 1)
      model_int8.onnx     (deploy output only) the int8 model checked on the board
      frontend.onnx       the front end, windows in, features out (checked against torch)
      features.yaml       the front end's Hydra config (``_target_`` + arguments)
      bundle.json         class names, model files, the front end's geometry, provenance

``python -m soundbench.deploy`` writes one as its output folder; ``predict`` builds one from
an MLflow run id or a checkpoint when given those instead. With ``frontend.onnx`` a bundle
predicts without importing torch (most of a cached start's time); a bundle without one (an
older bundle, or a front end that did not export) runs the torch module ``features.yaml``
describes, and so does one whose ``features.yaml`` was changed after the export.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

if TYPE_CHECKING:
    from soundbench.features.frontends import FrontEnd

BUNDLE_FILE = "bundle.json"
FEATURES_FILE = "features.yaml"
FRONTEND_FILE = "frontend.onnx"
FORMAT_VERSION = 1
#: bundle.json's description of frontend.onnx: the stream geometry predict needs without torch
FRONTEND_KEYS = {
    "file": str,
    "name": str,
    "sample_rate": int,
    "window_samples": int,
    "window_hop_samples": int,
    "hop_length": int,
}
GEOMETRY_KEYS = tuple(FRONTEND_KEYS)[1:]  # what BundleFrontEnd takes from a front end


class BundleError(ValueError):
    """The folder is not a usable model bundle; the message says what is missing."""


@dataclass
class BundleFrontEnd:
    """The bundle's front end: the window geometry predict streams with, and what computes
    the features (:meth:`ModelBundle.frontend_runner`): ``frontend.onnx``, else the torch module."""

    name: str
    sample_rate: int
    window_samples: int
    window_hop_samples: int  # as trained
    hop_length: int  # samples between feature frames: a window's start stays on this grid on a device
    onnx_file: Path | None = None
    module: FrontEnd | None = None  # the torch front end, where there is no usable ONNX export

    @classmethod
    def of_module(cls, module: FrontEnd) -> BundleFrontEnd:
        geometry = [getattr(module, key) for key in GEOMETRY_KEYS]
        return cls(*geometry, module=module)

    @property
    def runs_on(self) -> str:
        """Where predict computes features by default."""
        return "onnxruntime" if self.onnx_file else "torch"


#: predict's choices of where the front end runs (auto: see ``predict.run.frontend_runtime``)
FRONTEND_RUNTIMES = ("auto", "onnxruntime", "torch")


@dataclass
class ModelBundle:
    folder: Path
    frontend: BundleFrontEnd
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

    def torch_frontend(self) -> FrontEnd:
        """The torch module ``features.yaml`` describes (its parameters: the device's front end)."""
        return self.frontend.module or _torch_frontend(self.folder).module

    def frontend_runner(self, threads: int = 0, runtime: str = "onnxruntime") -> Callable[[np.ndarray], np.ndarray]:
        """``(n, window_samples)`` float32 windows → ``(n, ...)`` features, with ``frontend.onnx``
        (``runtime="onnxruntime"``, where the bundle has a usable one) or the torch module."""
        if runtime not in FRONTEND_RUNTIMES[1:]:
            raise ValueError(f"frontend_runtime={runtime!r}: choose one of {FRONTEND_RUNTIMES}")
        if runtime == "torch" or self.frontend.onnx_file is None:
            return _torch_runner(self.torch_frontend())
        return _onnx_runner(self.frontend.onnx_file, threads)


def save_bundle(
    folder: str | Path,
    features: DictConfig | dict,
    class_names,
    models: dict[str, str],
    info: dict | None = None,
    frontend: FrontEnd | None = None,
) -> Path:
    """Write ``features.yaml`` and ``bundle.json`` beside already exported models; with the
    ``frontend`` module, also ``frontend.onnx`` (when it exports faithfully)."""
    from soundbench.artifacts.onnx_export import export_frontend  # torch: only to write a bundle

    folder = Path(folder)
    OmegaConf.save(
        OmegaConf.create(OmegaConf.to_container(OmegaConf.create(features), resolve=True)), folder / FEATURES_FILE
    )
    manifest: dict[str, Any] = {"format": FORMAT_VERSION, "class_names": list(class_names), "models": models}
    difference = export_frontend(frontend, folder / FRONTEND_FILE) if frontend is not None else None
    if difference is not None:
        manifest["frontend"] = {
            "file": FRONTEND_FILE,
            **{key: getattr(frontend, key) for key in GEOMETRY_KEYS},
            "max_abs_diff_vs_torch": difference,
            "features_sha256": _sha256(folder / FEATURES_FILE),
        }
    (folder / BUNDLE_FILE).write_text(json.dumps({**manifest, **(info or {})}, indent=2, default=str))
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
    frontend = _exported_frontend(folder, manifest.get("frontend")) or _torch_frontend(folder)
    info = {k: v for k, v in manifest.items() if k not in ("class_names", "models", "frontend")}
    return ModelBundle(folder, frontend, tuple(manifest["class_names"]), dict(manifest["models"]), info)


def _exported_frontend(folder: Path, entry: dict | None) -> BundleFrontEnd | None:
    """``frontend.onnx`` as bundle.json describes it; None where there is none, or where
    ``features.yaml`` no longer is the file it was exported from (the edit wins, said aloud)."""
    if entry is None:
        return None
    wrong = [key for key, kind in FRONTEND_KEYS.items() if not isinstance(entry.get(key), kind)]
    if wrong or Path(entry["file"]).name != entry["file"]:
        raise BundleError(
            f"{folder / BUNDLE_FILE}: its 'frontend' entry lacks or mistypes {wrong or ['file']}; "
            "export the bundle again (or delete the entry to run the front end features.yaml describes)"
        )
    if not (folder / entry["file"]).is_file():
        raise BundleError(f"{folder}: bundle.json lists {entry['file']}, which is not there")
    if entry.get("features_sha256") != _sha256(folder / FEATURES_FILE):
        print(
            f"{folder / FEATURES_FILE} changed after {entry['file']} was exported: running the front end it describes"
        )
        return None
    geometry = {key: entry[key] for key in GEOMETRY_KEYS}
    return BundleFrontEnd(**geometry, onnx_file=folder / entry["file"])


def _torch_frontend(folder: Path) -> BundleFrontEnd:
    from hydra.utils import instantiate

    from soundbench.config_trust import trusted_features_config

    # features.yaml is data: it may only name one of soundbench's front ends
    features = trusted_features_config(OmegaConf.load(folder / FEATURES_FILE), f"bundle file {folder / FEATURES_FILE}")
    return BundleFrontEnd.of_module(instantiate(features, _convert_="all").eval())


def _onnx_runner(path: Path, threads: int) -> Callable[[np.ndarray], np.ndarray]:
    from soundbench.artifacts.onnx_session import onnx_session

    session = onnx_session(path, threads)
    name = session.get_inputs()[0].name
    return lambda windows: session.run(None, {name: np.ascontiguousarray(windows, dtype=np.float32)})[0]


def _torch_runner(module: FrontEnd) -> Callable[[np.ndarray], np.ndarray]:
    import torch

    def run(windows: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return module(torch.from_numpy(np.ascontiguousarray(windows, dtype=np.float32))).numpy()

    return run


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export_bundle(trained, folder: str | Path, opset: int | None = None) -> ModelBundle:
    """Export a trained model (:class:`soundbench.artifacts.trained.TrainedModel`) as a bundle
    (``opset`` None: soundbench.artifacts.onnx_export.OPSET)."""
    from soundbench.artifacts.onnx_export import export_onnx  # here: torch.onnx is needless to predict

    folder = Path(folder)
    export_onnx(trained.model, trained.input_shape, folder / "model.onnx", *([opset] if opset else []))
    save_bundle(
        folder,
        trained.features_config,
        trained.class_names,
        {"float32": "model.onnx"},
        provenance(trained),
        trained.frontend,
    )
    return load_bundle(folder)


def provenance(trained) -> dict:
    return {
        "model": trained.name,
        "run_id": trained.run_id,
        "checkpoint": str(trained.checkpoint),
        "dataset": trained.datamodule.corpus.name,
        "fold": trained.fold,
    }
