"""What the user's own datasets share: folds from the data, or assigned (stratified,
group-aware, seeded) and saved next to it; see :mod:`soundbench.data.folds`."""

from __future__ import annotations

from pathlib import Path

from soundbench.data.datasets.base import AudioCorpus
from soundbench.data.folds import MIN_FOLDS, load_or_assign_folds
from soundbench.data.index import ClipIndex, DatasetError
from soundbench.data.metadata import check_every_fold_has_every_class


class OwnData(AudioCorpus):
    """Base of ``dataset=folder|csv|audacity``. ``folds_file`` defaults to
    :attr:`default_folds_file` (next to the data)."""

    metadata = ()
    how_to_get = "Point dataset.root at your data."

    def __init__(
        self,
        root: str | Path,
        fold: int = 1,
        n_folds: int | None = 5,
        seed: int = 0,
        folds_file: str | Path | None = None,
        allow_partial: bool = False,
    ):
        super().__init__(root, fold=fold, allow_partial=allow_partial)
        self._n_folds = n_folds
        self.seed = seed
        self.folds_file = Path(folds_file).expanduser().resolve() if folds_file else self.default_folds_file()

    @property
    def n_folds(self) -> int:
        return int(self._n_folds)

    def default_folds_file(self) -> Path:
        return self.root / "soundbench_folds.csv"

    def check_root(self) -> None:
        if not self.root.is_dir():
            raise DatasetError(f"{self.name}: dataset.root={self.root} is not a folder. {self.how_to_get}")

    def load_index(self) -> ClipIndex:
        index = super().load_index()
        table = index.table
        if table["fold"].isna().all():
            table["fold"] = load_or_assign_folds(table, self.root, self.folds_file, self.n_folds, self.seed)
        elif table["fold"].isna().any():
            raise DatasetError(
                f"{self.name}: {int(table['fold'].isna().sum())} clips have no fold; "
                "give every clip a fold or none (folds are then assigned)"
            )
        elif table["fold"].min() < 1 or table["fold"].max() != self.n_folds or self.n_folds < MIN_FOLDS:
            raise DatasetError(
                f"{self.name}: folds must be numbered 1..n with n >= {MIN_FOLDS}; found "
                f"{int(table['fold'].min())}..{int(table['fold'].max())} (dataset.n_folds={self.n_folds})"
            )
        else:
            check_every_fold_has_every_class(
                table["class_name"], table["fold"], self.n_folds, self.metadata_path(), self.allow_partial
            )
        return index

    def metadata_path(self) -> Path:
        """The file (or folder) that defines the clips, for error messages."""
        return self.root

    def class_list(self, names) -> list[str]:
        """Classes in sorted order, so label ids do not depend on file order."""
        return sorted(set(names))
