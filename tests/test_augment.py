"""Augmentation: training-only, reproducible by seed, correct mixup arithmetic."""

from pathlib import Path

import numpy as np
import pytest
import torch

from soundbench.augment.batch import Mixup
from soundbench.augment.spectrogram import SpecAugment
from soundbench.data.datamodule import AudioDataModule
from soundbench.experiment import Experiment
from tests.conftest import compose_config

LOADER_PRESETS = ["thesis", "strong", "thesis_online"]  # those that change the loader's windows


@pytest.fixture(scope="module")
def render_dir(tmp_path_factory) -> Path:
    """Where this module's datamodules keep pre-rendered deformations (shared: keyed by settings)."""
    return tmp_path_factory.mktemp("rendered")


def datamodule(demo_root, preset: str, seed: int = 0, render_dir: Path | None = None) -> AudioDataModule:
    cfg = compose_config(
        [f"augment={preset}", "dataset=demo", f"dataset.root={demo_root}", f"seed={seed}"]
        + ([f"paths.data_dir={render_dir}"] if render_dir else [])
    )
    dm = Experiment.from_config(cfg).datamodule
    dm.setup()
    return dm


def items(dataset, n=6):
    return torch.stack([dataset[i][0] for i in range(n)])


@pytest.mark.slow
@pytest.mark.parametrize("preset", LOADER_PRESETS)
def test_presets_change_training_windows_but_not_evaluation_windows(demo_root, render_dir, preset):
    plain, augmented = datamodule(demo_root, "none"), datamodule(demo_root, preset, render_dir=render_dir)
    assert not torch.equal(items(plain.datasets["train"]), items(augmented.datasets["train"]))
    for split in ("validation", "test"):
        assert torch.equal(items(plain.datasets[split]), items(augmented.datasets[split]))


@pytest.mark.slow
def test_waveform_augmentation_is_reproducible_by_seed(demo_root, render_dir):
    a, b, c = (datamodule(demo_root, "strong", seed, render_dir) for seed in (1, 1, 2))
    assert torch.equal(items(a.datasets["train"]), items(b.datasets["train"]))
    assert not torch.equal(items(a.datasets["train"]), items(c.datasets["train"]))
    first = items(a.datasets["train"])
    a.set_epoch(1)
    assert not torch.equal(first, items(a.datasets["train"]))  # new draws every epoch


def test_background_noise_folder_must_hold_audio(tmp_path):
    from soundbench.augment.waveform import WaveformAugment

    with pytest.raises(FileNotFoundError, match="no .wav"):
        WaveformAugment([], background_noise_dir=str(tmp_path))


def test_mixup_label_arithmetic():
    torch.manual_seed(0)
    labels = torch.arange(4)
    x = labels.float().view(4, 1, 1, 1).expand(4, 1, 2, 2).clone()  # each example's value is its label
    mixed, targets = Mixup(alpha=0.4)(x, labels, n_classes=4)
    assert torch.allclose(targets.sum(1), torch.ones(4))
    assert ((targets > 0).sum(1) <= 2).all()  # each example mixes with one partner
    # inputs and labels are mixed with the same weights: value == expected label
    expected_label = (targets * torch.arange(4.0)).sum(1)
    assert torch.allclose(mixed[:, 0, 0, 0], expected_label, atol=1e-6)


def test_mixup_is_reproducible_from_the_torch_seed():
    x, labels = torch.randn(8, 1, 60, 31), torch.randint(0, 5, (8,))
    torch.manual_seed(3)
    first = Mixup(0.2)(x, labels, 5)
    torch.manual_seed(3)
    second = Mixup(0.2)(x, labels, 5)
    assert all(torch.equal(a, b) for a, b in zip(first, second))


def test_specaugment_masks_each_example_independently():
    torch.manual_seed(0)
    features = torch.ones(16, 1, 60, 31)
    masked = SpecAugment(freq_mask_param=20, time_mask_param=10, n_freq_masks=2, n_time_masks=2)(features)
    zeros_per_example = (masked == 0).flatten(1).sum(1)
    assert (zeros_per_example > 0).any() and len(set(zeros_per_example.tolist())) > 1
    with pytest.raises(ValueError, match="waveform"):
        SpecAugment()(torch.ones(2, 1, 15360))


@pytest.mark.slow
def test_background_noise_is_mixed_from_the_folder(tmp_path):
    from soundbench.augment.waveform import WaveformAugment
    from tests.conftest import write_tone

    write_tone(tmp_path / "noise" / "hum.wav", seconds=3.0, sr=22050, freq=60.0)
    augment = WaveformAugment([], background_noise_dir=str(tmp_path / "noise"), background_p=1.0)
    window = np.zeros(15360, dtype=np.float32)
    window[::100] = 0.5
    out = augment(window, 22050, [0, 0, 0])
    assert out.shape == window.shape and not np.allclose(out, window)


@pytest.mark.slow
def test_augmented_windows_do_not_depend_on_the_number_of_workers(demo_root, render_dir):
    from torch.utils.data import DataLoader

    dataset = datamodule(demo_root, "thesis", seed=5, render_dir=render_dir).datasets["train"]
    subset = torch.utils.data.Subset(dataset, range(8))
    single = torch.cat([b[0] for b in DataLoader(subset, batch_size=4, num_workers=0)])
    parallel = torch.cat([b[0] for b in DataLoader(subset, batch_size=4, num_workers=2)])
    assert torch.equal(single, parallel)


# ---- pre-rendered deformations ----

DEFORM = [{"_target_": "audiomentations.PitchShift", "min_semitones": -3.0, "max_semitones": 3.0, "p": 1.0}]


def clip_sources(folder: Path, n: int = 3):
    from soundbench.augment.prerender import ClipSource
    from tests.conftest import write_tone

    sources = []
    for i in range(n):
        path = write_tone(folder / f"tone{i}.wav", seconds=0.5, sr=8000, freq=300.0 + 100 * i)
        t = np.arange(4000) / 8000
        sources.append(
            ClipSource(path.name, str(path), (0.5 * np.sin(2 * np.pi * (300 + 100 * i) * t)).astype(np.float32))
        )
    return sources


def test_each_clip_is_rendered_once_into_deformed_variants(tmp_path, monkeypatch):
    from soundbench.augment.prerender import PrerenderedDeformations

    sources = clip_sources(tmp_path / "audio")
    renderer = PrerenderedDeformations(DEFORM, variants=3, cache_dir=str(tmp_path / "store"), workers=0)
    paths = renderer.render(sources, seed=0, sample_rate=8000)
    for source, path in zip(sources, paths):
        variants = np.load(path)
        assert variants.shape == (3, 4000)
        assert not np.allclose(variants[0], source.samples) and not np.allclose(variants[0], variants[1])

    def no_render(*args):
        raise AssertionError("stored clips were rendered again")

    monkeypatch.setattr(renderer, "_render_all", no_render)
    assert renderer.render(sources[:2], seed=0, sample_rate=8000) == paths[:2]  # a fold's subset: all stored


def test_audio_replaced_in_place_is_rendered_again(tmp_path):
    import os

    from soundbench.augment.prerender import PrerenderedDeformations

    sources = clip_sources(tmp_path / "audio", n=1)
    renderer = PrerenderedDeformations(DEFORM, variants=1, cache_dir=str(tmp_path / "store"), workers=0)
    before = renderer.render(sources, seed=0, sample_rate=8000)[0]
    stat = os.stat(sources[0].path)
    os.utime(sources[0].path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # as a rewrite would
    after = renderer.render(sources, seed=0, sample_rate=8000)[0]
    assert after != before and after.is_file()
    # other content of the same size with the mtime restored (cp -p, touch -r) is new data too
    import soundfile as sf

    samples, rate = sf.read(sources[0].path, dtype="float32")
    stat = os.stat(sources[0].path)
    sf.write(sources[0].path, -samples, rate, subtype=sf.info(sources[0].path).subtype)
    os.utime(sources[0].path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert os.stat(sources[0].path).st_size == stat.st_size
    restored = renderer.render(sources, seed=0, sample_rate=8000)[0]
    assert restored not in (before, after) and restored.is_file()


def test_settings_key_changes_with_what_shapes_the_variants():
    from soundbench.augment.prerender import PrerenderedDeformations

    base = PrerenderedDeformations(DEFORM, variants=2)
    keys = {
        base.settings_key(0, 8000),
        base.settings_key(1, 8000),
        base.settings_key(0, 16000),
        PrerenderedDeformations(DEFORM, variants=3).settings_key(0, 8000),
        PrerenderedDeformations([{**DEFORM[0], "max_semitones": 2.0}], variants=2).settings_key(0, 8000),
    }
    assert len(keys) == 5
    with pytest.raises(ValueError, match="_target_"):
        PrerenderedDeformations(["PitchShift"])
    with pytest.raises(ValueError, match="variants"):
        PrerenderedDeformations(DEFORM, variants=0)


@pytest.mark.slow
def test_parallel_rendering_gives_the_same_variants_as_one_process(tmp_path):
    from soundbench.augment.prerender import PrerenderedDeformations

    sources = clip_sources(tmp_path / "audio", n=4)
    one = PrerenderedDeformations(DEFORM, variants=2, cache_dir=str(tmp_path / "one"), workers=0)
    two = PrerenderedDeformations(DEFORM, variants=2, cache_dir=str(tmp_path / "two"), workers=2)
    for a, b in zip(one.render(sources, 7, 8000), two.render(sources, 7, 8000)):
        assert np.array_equal(np.load(a), np.load(b))


def test_training_windows_come_from_the_clip_or_one_of_its_variants(tmp_path):
    from soundbench.augment.prerender import DeformedClips, PrerenderedDeformations
    from soundbench.data.datamodule import RandomWindows

    sources = clip_sources(tmp_path / "audio", n=2)
    renderer = PrerenderedDeformations(DEFORM, variants=2, cache_dir=str(tmp_path / "store"), workers=0)
    paths = renderer.render(sources, seed=0, sample_rate=8000)
    clips = [torch.from_numpy(s.samples) for s in sources]
    dataset = RandomWindows(
        clips,
        np.array([0, 1]),
        window=1000,
        windows_per_clip=20,
        seed=0,
        deformed=DeformedClips(paths, 2, keep_original=True),
    )
    seen = set()
    for item in range(len(dataset)):
        window, label = dataset[item]
        clip = item // 20
        candidates = [s.samples for s in sources[clip : clip + 1]] + list(np.load(paths[clip]))
        matches = [
            k
            for k, c in enumerate(candidates)
            if any(np.array_equal(window.numpy(), c[o : o + 1000]) for o in range(0, 3001))
        ]
        assert len(matches) == 1 and label == clip
        seen.add(matches[0])
    assert seen == {0, 1, 2}  # the clip itself and both variants are drawn


# ---- batched waveform augmentation on the training device ----


def batch_augment(**overrides):
    from soundbench.augment.waveform_batch import BatchWaveformAugment

    transforms = [
        {
            "_target_": "torch_audiomentations.Gain",
            "min_gain_in_db": -12.0,
            "max_gain_in_db": -6.0,
            "p": 0.5,
            **overrides,
        }
    ]
    return BatchWaveformAugment(transforms, sample_rate=8000)


def test_batch_augmentation_changes_examples_independently_and_reproducibly():
    augment, windows = batch_augment(), torch.randn(32, 4000)
    torch.manual_seed(0)
    first = augment(windows)
    torch.manual_seed(0)
    assert torch.equal(first, augment(windows))
    changed = (first != windows).any(1)
    assert first.shape == windows.shape and 0 < changed.sum() < 32  # p=0.5 per example
    with pytest.raises(ValueError, match="batch, samples"):
        augment(windows.unsqueeze(1))
    from soundbench.augment.waveform_batch import BatchWaveformAugment

    with pytest.raises(ValueError, match="empty"):
        BatchWaveformAugment([], 8000)


def test_batch_augmentation_runs_in_training_steps_only():
    from soundbench.training.module import AudioClassifier

    calls = []

    class Recorder(torch.nn.Module):
        def forward(self, windows):
            calls.append(windows.shape)
            return windows * 0.5

    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(100, 3))
    module = AudioClassifier(torch.nn.Identity(), model, torch.optim.SGD, ("a", "b", "c"), waveform_batch=Recorder())
    windows, labels = torch.randn(4, 100), torch.tensor([0, 1, 2, 0])
    module.training_step((windows, labels), 0)
    assert calls == [torch.Size([4, 100])]
    module(windows)  # evaluation and prediction go through forward: never augmented
    assert len(calls) == 1


def test_specaugment_on_waveform_features_is_refused_before_any_data_is_read():
    from soundbench.config_check import ConfigError

    cfg = compose_config(["model=cnn1d", "features=waveform", "augment=strong", "dataset.root=/nonexistent"])
    with pytest.raises(ConfigError, match="augment.specaugment=null"):
        Experiment.from_config(cfg)
    Experiment.from_config(
        compose_config(
            [
                "model=cnn1d",
                "features=waveform",
                "augment=strong",
                "augment.specaugment=null",
                "dataset.root=/nonexistent",
            ]
        )
    )


@pytest.mark.slow
def test_render_workers_exit_when_their_parent_is_killed(tmp_path):
    """kill -9 of the process that started the pool: its workers must not render on and idle."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil

    from tests.conftest import ROOT

    script = f"""
import numpy as np
from soundbench.augment.prerender import ClipSource, PrerenderedDeformations
noise = [np.random.default_rng(i).standard_normal(80000).astype("float32") for i in range(400)]
clips = [ClipSource(f"c{{i}}", f"/nonexistent/c{{i}}.wav", x) for i, x in enumerate(noise)]
store = {str(tmp_path / "store")!r}
PrerenderedDeformations({DEFORM!r}, variants=4, cache_dir=store, workers=2).render(clips, 0, 16000)
"""
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        workers = []
        while time.monotonic() < deadline and len(workers) < 2:
            time.sleep(0.5)
            workers = [
                c for c in psutil.Process(parent.pid).children(recursive=True) if "spawn_main" in " ".join(c.cmdline())
            ]
        assert len(workers) == 2, "the pool's workers did not start"
        time.sleep(3)  # rendering, past their start-up
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        gone, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, f"workers {[p.pid for p in alive]} outlived their parent"
    finally:
        for p in psutil.Process().children(recursive=True):
            p.kill()


def test_background_noise_from_a_corpus_comes_only_from_the_folds_given(tmp_path):
    from soundbench.augment.waveform import WaveformAugment, corpus_recordings
    from soundbench.data.datasets import ESC40
    from tests.conftest import shared_dataset

    esc40 = ESC40(shared_dataset("esc40"))
    files = corpus_recordings(esc40, [1, 2, 5])
    folds = esc40.load_index().table.set_index("path")["fold"]
    assert len(files) == 960 and set(folds[files]) == {1, 2, 5}
    augment = WaveformAugment([], background_noise_dir=files, background_snr_db=(0.0, 0.0), background_p=1.0)
    window = np.zeros(4096, dtype=np.float32)
    window[::50] = 0.5
    noisy = [augment(window, 16000, [0, 0, k]) for k in range(10)]
    assert all(n.shape == window.shape for n in noisy)
    assert sum(not np.allclose(n, window) for n in noisy) >= 5  # a silent stretch of a clip adds nothing
    with pytest.raises(FileNotFoundError, match="1 of 1 files missing"):
        WaveformAugment([], background_noise_dir=[str(tmp_path / "gone.flac")])
