"""The decoded-audio cache: same clips as decoding, reused, and invalidated when the data
or the sample rate change."""

from __future__ import annotations

import os

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
    keys = {
        cache_path(tmp_path, index, 16000),
        cache_path(tmp_path, index, 22050),
        cache_path(tmp_path, fewer, 16000),
        cache_path(tmp_path, ClipIndex(relabelled, index.class_names), 16000),
    }
    assert len(keys) == 4


def test_interrupted_build_is_redone(tmp_path, demo_root):
    index = Demo(demo_root).load_index()
    path = cache_path(tmp_path, index, 8000)
    path.mkdir(parents=True)
    (path / "audio.npy").write_bytes(b"half written")  # no 'complete' marker
    build_cache(index, 8000, tmp_path, lambda idx: decode_clips(idx, 8000, "x"))
    assert (path / "complete").is_file() and len(read_cached(index, path)) == len(index)


def test_a_concurrent_build_never_rewrites_the_cache_another_run_is_reading(tmp_path, demo_root):
    """Two runs building one cache at once (parallel seeds): the one that finishes second
    leaves the first one's published files alone instead of truncating a memory map that
    run is reading (SIGBUS)."""
    import numpy as np

    index = Demo(demo_root).load_index()
    seen = {}

    def decode_while_another_run_finishes_first(idx):
        path = build_cache(idx, 8000, tmp_path, lambda i: decode_clips(i, 8000, "x"))
        seen["map"] = np.load(path / "audio.npy", mmap_mode="r")  # the other run reads it
        seen["values"] = np.array(seen["map"])
        return [torch.full_like(clip, 0.5) for clip in decode_clips(idx, 8000, "x")]

    path = build_cache(index, 8000, tmp_path, decode_while_another_run_finishes_first)
    assert np.array_equal(seen["map"], seen["values"])  # untouched while the second build finished
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no leftover build folders
    assert (path / "complete").is_file() and len(read_cached(index, path)) == len(index)


def test_audio_replaced_in_place_invalidates_the_cache_and_the_fingerprint(tmp_path, demo_root):
    """White noise written over a clip (same name, same size, its mtime restored) is new data,
    not a cache hit."""
    import shutil

    import numpy as np
    import soundfile as sf

    root = tmp_path / "demo"
    shutil.copytree(demo_root, root)
    index = Demo(root).load_index()
    before_key, before_fingerprint = cache_path(tmp_path / "cache", index, 16000), index.fingerprint()
    victim = index.table["path"][0]
    audio, rate = sf.read(victim, dtype="float32")
    info = sf.info(victim)
    noise = np.random.default_rng(0).uniform(-0.5, 0.5, audio.shape).astype(np.float32)
    old = os.stat(victim)
    sf.write(victim, noise, rate, subtype=info.subtype)
    os.utime(victim, ns=(old.st_atime_ns, old.st_mtime_ns))  # the mtime restored, as touch -r or cp -p would
    assert os.stat(victim).st_size == old.st_size and os.stat(victim).st_mtime_ns == old.st_mtime_ns
    again = Demo(root).load_index()
    assert again.fingerprint() != before_fingerprint
    assert cache_path(tmp_path / "cache", again, 16000) != before_key


def test_moved_data_keeps_its_fingerprint_and_config_hash(tmp_path, demo_root):
    import shutil

    from soundbench.tracking.mlflow import config_hash
    from tests.conftest import compose_config

    moved = tmp_path / "elsewhere"
    shutil.copytree(demo_root, moved)  # copytree keeps mtimes, like mv / cp -p / rsync -a
    here, there = Demo(demo_root).load_index().fingerprint(), Demo(moved).load_index().fingerprint()
    assert here == there
    cfg_here = compose_config([f"dataset.root={demo_root}", "data.num_workers=0"])
    cfg_there = compose_config([f"dataset.root={moved}", "data.num_workers=2"])
    assert config_hash(cfg_here, here) == config_hash(cfg_there, there)
    assert config_hash(compose_config([f"dataset.root={moved}", "model=strided_ds"]), there) != config_hash(
        cfg_there, there
    )
