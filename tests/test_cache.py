"""The decoded-audio cache: same clips as decoding, reused, and invalidated when the data
or the sample rate change."""

from __future__ import annotations

import torch

from soundbench.data.cache import build_cache, cache_path, read_cached
from soundbench.data.datamodule import decode_clips
from soundbench.data.datasets import Demo
from soundbench.data.index import ClipIndex


def test_cache_matches_decoding_and_is_reused(tmp_path, demo_root):
    index = Demo(demo_root).load_index()
    calls = []

    def decode(idx):
        calls.append(len(idx))
        return decode_clips(idx, 16000, "test")

    path = build_cache(index, 16000, tmp_path, decode)
    assert build_cache(index, 16000, tmp_path, decode) == path and calls == [len(index)]  # reused
    subset = ClipIndex(index.table.iloc[[5, 0, 17]].reset_index(drop=True), index.class_names)
    for cached, decoded in zip(read_cached(subset, path), decode_clips(subset, 16000, "x")):
        assert torch.equal(cached, decoded)


def test_cache_is_invalidated_by_data_or_rate(tmp_path, demo_root):
    index = Demo(demo_root).load_index()
    fewer = ClipIndex(index.table.iloc[:-1].reset_index(drop=True), index.class_names)
    relabelled = index.table.copy()
    relabelled.loc[0, "label"] = (relabelled.loc[0, "label"] + 1) % len(index.class_names)
    keys = {cache_path(tmp_path, index, 16000), cache_path(tmp_path, index, 22050),
            cache_path(tmp_path, fewer, 16000), cache_path(tmp_path, ClipIndex(relabelled, index.class_names), 16000)}
    assert len(keys) == 4


def test_interrupted_build_is_redone(tmp_path, demo_root):
    index = Demo(demo_root).load_index()
    path = cache_path(tmp_path, index, 8000)
    path.mkdir(parents=True)
    (path / "audio.npy").write_bytes(b"half written")  # no 'complete' marker
    build_cache(index, 8000, tmp_path, lambda idx: decode_clips(idx, 8000, "x"))
    assert (path / "complete").is_file() and len(read_cached(index, path)) == len(index)
