"""Front ends, analysis windows and per-window normalisation."""

import pytest
import torch

from soundbench.data.windows import cut_windows, window_starts
from soundbench.features import MFCC, LogMel, Mel, Waveform
from soundbench.features.normalize import WindowStandardize


@pytest.mark.parametrize("frontend, shape", [
    (Waveform(), (1, 15360)), (Mel(), (1, 60, 31)), (LogMel(), (1, 60, 31)), (MFCC(), (1, 20, 31)),
    (LogMel(n_mels=40, window_frames=41), (1, 40, 41)), (MFCC(n_mfcc=13, sample_rate=16000, hop_length=256), (1, 13, 31)),
])
def test_output_shapes(frontend, shape):
    out = frontend(torch.randn(3, frontend.window_samples))
    assert tuple(out.shape) == (3, *shape) and frontend.output_shape() == shape


def test_thesis_window_geometry():
    frontend = LogMel()
    assert frontend.window_samples == 15360          # 31 frames of hop 512 ≈ 0.70 s at 22.05 kHz
    assert frontend.window_hop_samples == 16 * 512   # 50 % overlap, in whole frames


def test_window_count_for_a_4_second_clip():
    frontend = LogMel()
    clip = torch.randn(4 * 22050)
    starts = window_starts(clip.shape[0], frontend.window_samples, frontend.window_hop_samples)
    assert len(starts) == 9 and starts[1] == 8192
    windows = cut_windows(clip, frontend.window_samples, frontend.window_hop_samples)
    assert windows.shape == (9, 15360)
    assert torch.equal(windows[2], clip[2 * 8192: 2 * 8192 + 15360])


def test_short_clip_is_padded_to_one_window():
    windows = cut_windows(torch.ones(1000), 15360, 8192)
    assert windows.shape == (1, 15360) and windows[0, 999] == 1 and windows[0, 1000:].abs().sum() == 0


def test_per_window_standardisation():
    x = 5 + 3 * torch.randn(4, 1, 60, 31)
    y = WindowStandardize()(x)
    assert torch.allclose(y.mean(dim=(1, 2, 3)), torch.zeros(4), atol=1e-5)
    assert torch.allclose(y.std(dim=(1, 2, 3), unbiased=False), torch.ones(4), atol=1e-3)


def test_silence_stays_finite():
    out = LogMel()(torch.zeros(2, 15360))
    assert torch.isfinite(out).all()


def test_features_of_a_window_do_not_depend_on_the_rest_of_the_batch():
    frontend = LogMel()
    quiet, loud = 1e-3 * torch.randn(1, 15360), torch.randn(1, 15360)
    alone = frontend(quiet)
    together = frontend(torch.cat([quiet, loud]))[:1]
    assert torch.allclose(alone, together, atol=1e-4)


def test_bad_window_settings_are_explained():
    with pytest.raises(ValueError, match="window_overlap"):
        LogMel(window_overlap=1.0)
