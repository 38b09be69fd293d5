"""Clips that decode but cannot be what the metadata says: cut short (a truncated file
decodes to a few milliseconds and would be zero-padded) or digital silence (all samples
exactly zero). They are reported by name, counted in the run's MLflow params
(``data/short_clips``, ``data/silent_clips``) and, with ``data.bad_clips=error``, refused.

"Short" is measured against the clip's expected length: the index column
``expected_seconds`` (UrbanSound8K's end − start, ESC-50's 5 s, Speech Commands' 1 s, the
demo's 4 s), else the requested segment ``duration`` (Audacity labels); a clip with neither
is short below ``MIN_SECONDS``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from soundbench.data.index import ClipIndex, DatasetError

if TYPE_CHECKING:  # clips are tensors; importing torch is left to whoever made them (not config checks)
    import torch

log = logging.getLogger(__name__)

POLICIES = ("warn", "error")
MIN_SECONDS = 0.05  # shorter than any sound event a classifier is trained on
SHOWN = 10  # files named in a message


@dataclass
class ClipProblems:
    """Clips found short or silent so far (a data module adds each split it decodes)."""

    short: list[str] = field(default_factory=list)
    silent: list[str] = field(default_factory=list)

    def add(self, other: "ClipProblems") -> None:
        self.short += other.short
        self.silent += other.silent

    def as_params(self) -> dict[str, int]:
        return {"data/short_clips": len(self.short), "data/silent_clips": len(self.silent)}

    def message(self, dataset: str, min_fraction: float) -> str:
        parts = []
        for what, names in (
            (f"shorter than {min_fraction:g} of their expected length", self.short),
            ("digital silence (every sample 0)", self.silent),
        ):
            if names:
                listed = "\n  ".join(names[:SHOWN]) + ("\n  ..." if len(names) > SHOWN else "")
                parts.append(f"{len(names)} clip(s) {what}:\n  {listed}")
        return f"{dataset}: " + "\n".join(parts)


def expected_seconds(table: pd.DataFrame) -> np.ndarray:
    expected = table["expected_seconds"].to_numpy(float) if "expected_seconds" in table else np.full(len(table), np.nan)
    return np.where(np.isnan(expected), table["duration"].to_numpy(float), expected)


def find_problems(index: ClipIndex, clips: list[torch.Tensor], sample_rate: int, min_fraction: float) -> ClipProblems:
    """The clips of ``index`` (decoded, before any padding) that are short or silent."""
    problems = ClipProblems()
    for path, clip, expected in zip(index.table["path"], clips, expected_seconds(index.table)):
        seconds = len(clip) / sample_rate
        floor = min_fraction * expected if not np.isnan(expected) else MIN_SECONDS
        if seconds < floor:
            of = f" of {expected:g} s" if not np.isnan(expected) else ""
            problems.short.append(f"{path} ({seconds:.3f} s{of})")
        elif not bool((clip != 0).any()):
            problems.silent.append(str(path))
    return problems


def report(problems: ClipProblems, dataset: str, policy: str, min_fraction: float) -> None:
    """Warn about (policy "warn") or refuse (policy "error") short and silent clips."""
    if policy not in POLICIES:
        raise DatasetError(f"data.bad_clips={policy!r}: use one of {', '.join(POLICIES)}")
    if not problems.short and not problems.silent:
        return
    message = problems.message(dataset, min_fraction)
    if policy == "error":
        raise DatasetError(
            f"{message}\nReplace or delete these files (or remove their metadata rows); "
            "data.bad_clips=warn trains on them with a warning."
        )
    log.warning(
        "%s\nThey are trained and evaluated as they are (zero-padded); data.bad_clips=error refuses them.", message
    )
