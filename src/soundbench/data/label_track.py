"""Audacity label tracks: text files of ``start<TAB>end<TAB>label`` lines, seconds, no header.

Audacity writes them with File → Export → Export Labels and reads them with File → Import →
Labels, over the audio they describe. A label with a frequency range is followed by a line
``\\<TAB>low<TAB>high``; such lines are skipped. The dataset reader
(:class:`soundbench.data.datasets.AudacityLabels`) and ``predict`` both use this module, so
what ``predict`` writes can be read back as training data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from soundbench.data.index import DatasetError


class LabelFileError(DatasetError):
    """A label file is malformed or inconsistent with its audio; the message names file and line."""


@dataclass(frozen=True)
class Label:
    start: float
    end: float
    text: str
    line: int = 0  # line number in its file (1-based), for error messages

    @property
    def duration(self) -> float:
        return self.end - self.start


def read_labels(path: str | Path) -> list[Label]:
    """Parse a label file. Malformed lines raise :class:`LabelFileError` naming file and line."""
    path = Path(path)
    labels = []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip() or line.startswith("\\"):
            continue  # blank, or the frequency-range line of the label above
        labels.append(_parse(line, path, number))
    return labels


def _parse(line: str, path: Path, number: int) -> Label:
    fields = line.split("\t")
    where = f"{path}, line {number}"
    if len(fields) != 3:
        raise LabelFileError(
            f"{where}: expected 'start<TAB>end<TAB>label', got {line!r} "
            f"({len(fields)} tab-separated fields). Export labels from Audacity "
            "(File → Export → Export Labels) or fix the line."
        )
    try:
        start, end = float(fields[0]), float(fields[1])
    except ValueError:
        raise LabelFileError(f"{where}: start and end must be numbers of seconds, got {line!r}") from None
    text = fields[2].strip()
    if not text:
        raise LabelFileError(f"{where}: the label text is empty")
    if start < 0 or end <= start:
        raise LabelFileError(
            f"{where}: a region needs 0 <= start < end, got start {start} end {end} "
            "(point labels mark no audio to train on; drag them into regions)"
        )
    return Label(start, end, text, number)


def check_labels(labels: list[Label], path: str | Path, audio_seconds: float, tolerance: float = 1e-3) -> None:
    """Refuse overlapping regions (a clip cannot carry two classes) and regions beyond the
    end of the audio."""
    ordered = sorted(labels, key=lambda label: label.start)
    for before, after in zip(ordered, ordered[1:]):
        if after.start < before.end - tolerance:
            raise LabelFileError(
                f"{path}: line {before.line} ({before.text!r} {before.start:g}–{before.end:g} s) and line "
                f"{after.line} ({after.text!r} {after.start:g}–{after.end:g} s) overlap. Trim one region "
                "so that every moment has at most one label."
            )
    beyond = [label for label in labels if label.end > audio_seconds + tolerance]
    if beyond:
        lines = ", ".join(f"line {label.line} ends at {label.end:g} s" for label in beyond[:5])
        raise LabelFileError(
            f"{path}: {len(beyond)} region(s) lie beyond the end of the audio "
            f"({audio_seconds:.3f} s): {lines}. Is this the label file of another recording?"
        )


def write_labels(labels: list[Label], path: str | Path) -> Path:
    """Write a label file that Audacity imports (six decimals, as Audacity writes)."""
    path = Path(path)
    path.write_text(
        "".join(f"{label.start:.6f}\t{label.end:.6f}\t{label.text}\n" for label in labels), encoding="utf-8"
    )
    return path
