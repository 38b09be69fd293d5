"""The default dataset: synthesised on first use (seeded, offline) in the ESC-50 layout
and read by the very same ESC-50 loader."""

from __future__ import annotations

from soundbench.data.datasets.esc50 import ESC50
from soundbench.data.demo import CLIP_SECONDS, generate_demo
from soundbench.data.index import ClipIndex


class Demo(ESC50):
    name = "demo"
    how_to_get = "It is generated automatically; delete the folder to regenerate it."
    official_shared_groups = frozenset()
    clip_seconds = CLIP_SECONDS

    def __init__(
        self,
        root,
        fold: int = 1,
        allow_partial: bool = False,
        clips_per_class: int = 40,
        sample_rate: int = 22050,
        seed: int = 0,
    ):
        super().__init__(root, fold=fold, allow_partial=allow_partial)
        self.generator_args = dict(
            clips_per_class=clips_per_class, n_folds=self.n_folds, sample_rate=sample_rate, seed=seed
        )

    def load_index(self) -> ClipIndex:
        generate_demo(self.root, **self.generator_args)
        return super().load_index()
