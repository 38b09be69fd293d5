"""Reading training checkpoints without running code from them.

A checkpoint is a pickle; unpickling an arbitrary one can execute anything (a crafted file,
or one written to a shared MLflow server by anyone with artifact access). soundbench's own
checkpoints hold only tensors and plain containers, so they are read with
``weights_only=True``, which refuses every other Python object, and a refusal becomes an
error that names the file."""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import torch


class CheckpointError(ValueError):
    """The checkpoint cannot be read safely; the message names the file and what to do."""


def load_tensors(path: str | Path, error: type[Exception] | None = None, label: str = "") -> object:
    """``torch.load(weights_only=True)`` with PyTorch's errors (whose advice is to turn the
    safety off) replaced by ``error`` naming the file (``label``: how the user gave it) and
    saying which of two things it is: a file with pickled objects, or not a PyTorch file."""
    error = error or CheckpointError
    label = label or str(path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as refusal:
        if "Unsupported global" in str(refusal) or "GLOBAL" in str(refusal):
            raise error(
                f"refused to load {label}: it holds Python objects other than tensors and plain containers, "
                f"and unpickling those can run code ({_first_line(refusal)}). soundbench's files never do; "
                "do not use this file unless you know where it came from"
            ) from None
        raise error(
            f"{label} is not a PyTorch file (truncated or another format); pass one written by torch.save"
        ) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError) as broken:
        raise error(f"{label} is truncated or not a PyTorch file ({_first_line(broken)})") from None


def load_checkpoint(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        found = sorted(p.name for p in path.rglob("*.ckpt"))[:3] if path.is_dir() else []
        kind = (
            f"is a folder; pass one of its checkpoint files ({', '.join(found) or 'it holds no .ckpt'})"
            if path.is_dir()
            else "does not exist"
        )
        raise CheckpointError(f"checkpoint {path} {kind}")
    try:
        saved = load_tensors(path)
    except CheckpointError as error:
        if "refused" in str(error):
            raise
        raise CheckpointError(
            f"{path} is truncated or not a PyTorch checkpoint; use another checkpoint of the "
            "run (e.g. best-*.ckpt instead of last.ckpt)"
        ) from None
    if not isinstance(saved, dict) or "state_dict" not in saved:
        raise CheckpointError(f"{path} is not a Lightning training checkpoint (no state_dict)")
    return saved


def model_weights(saved: dict) -> dict[str, torch.Tensor]:
    """The network's weights from a training checkpoint (the LightningModule keeps it as `model`)."""
    return {k.removeprefix("model."): v for k, v in saved["state_dict"].items() if k.startswith("model.")}


def _first_three(label: str, names: list[str]) -> str:
    return f"{label} {', '.join(names[:3])}" + (" …" if len(names) > 3 else "") if names else ""


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def check_resumable(path: str | Path, model: torch.nn.Module) -> None:
    """Fail before training when ``path`` cannot resume ``model``: unreadable, or written
    by a different model or front end (other layers or shapes)."""
    saved, expected = model_weights(load_checkpoint(path)), model.state_dict()
    missing = sorted(set(expected) - set(saved))
    unexpected = sorted(set(saved) - set(expected))
    reshaped = [
        f"{k} {tuple(saved[k].shape)} in the checkpoint, {tuple(v.shape)} here"
        for k, v in expected.items()
        if k in saved and saved[k].shape != v.shape
    ]
    if missing or unexpected or reshaped:
        details = "; ".join(
            filter(
                None,
                (_first_three("missing", missing), _first_three("unexpected", unexpected), "; ".join(reshaped[:3])),
            )
        )
        raise CheckpointError(
            f"ckpt_path={path} was written by a different model or front end ({details}); "
            "resume with the model=, features= and dataset= of the run that wrote it"
        )
