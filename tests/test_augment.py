"""Augmentation: training-only, reproducible by seed, correct mixup arithmetic."""

import numpy as np
import pytest
import torch

from soundbench.augment.batch import Mixup
from soundbench.augment.spectrogram import SpecAugment
from soundbench.data.datamodule import AudioDataModule
from soundbench.experiment import Experiment
from tests.conftest import compose_config

PRESETS = ["basic", "thesis", "strong"]


def datamodule(demo_root, preset: str, seed: int = 0) -> AudioDataModule:
    cfg = compose_config([f"augment={preset}", "dataset=demo", f"dataset.root={demo_root}", f"seed={seed}"])
    dm = Experiment.from_config(cfg).datamodule
    dm.setup()
    return dm


def items(dataset, n=6):
    return torch.stack([dataset[i][0] for i in range(n)])


@pytest.mark.slow
@pytest.mark.parametrize("preset", PRESETS)
def test_presets_change_training_windows_but_not_evaluation_windows(demo_root, preset):
    plain, augmented = datamodule(demo_root, "none"), datamodule(demo_root, preset)
    assert not torch.equal(items(plain.datasets["train"]), items(augmented.datasets["train"]))
    for split in ("validation", "test"):
        assert torch.equal(items(plain.datasets[split]), items(augmented.datasets[split]))


def test_waveform_augmentation_is_reproducible_by_seed(demo_root):
    a, b, c = (datamodule(demo_root, "strong", seed) for seed in (1, 1, 2))
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


def test_augmented_windows_do_not_depend_on_the_number_of_workers(demo_root):
    from torch.utils.data import DataLoader
    dataset = datamodule(demo_root, "thesis", seed=5).datasets["train"]
    subset = torch.utils.data.Subset(dataset, range(8))
    single = torch.cat([b[0] for b in DataLoader(subset, batch_size=4, num_workers=0)])
    parallel = torch.cat([b[0] for b in DataLoader(subset, batch_size=4, num_workers=2)])
    assert torch.equal(single, parallel)
