"""Front ends, analysis windows and per-window normalisation."""

import numpy as np
import pytest
import torch

from soundbench.data.audio import read_audio
from soundbench.data.windows import cut_windows, window_starts
from soundbench.features import MFCC, LogMel, Mel, Waveform
from soundbench.features.normalize import WindowStandardize


@pytest.mark.parametrize(
    "frontend, shape",
    [
        (Waveform(), (1, 15360)),
        (Mel(), (1, 60, 31)),
        (LogMel(), (1, 60, 31)),
        (MFCC(), (1, 20, 31)),
        (Mel(framing="stream"), (1, 60, 31)),
        (LogMel(framing="stream"), (1, 60, 31)),
        (MFCC(framing="stream"), (1, 20, 31)),
        (LogMel(n_mels=40, window_frames=41), (1, 40, 41)),
        (MFCC(n_mfcc=13, sample_rate=16000, hop_length=256), (1, 13, 31)),
    ],
)
def test_output_shapes(frontend, shape):
    out = frontend(torch.randn(3, frontend.window_samples))
    assert tuple(out.shape) == (3, *shape) and frontend.output_shape() == shape


def test_thesis_window_geometry():
    frontend = LogMel(framing="stream")
    assert frontend.window_samples == 30 * 512 + 1024  # 31 unpadded frames of hop 512 ≈ 0.74 s at 22.05 kHz
    assert frontend.window_hop_samples == 16 * 512  # 50 % overlap, in whole frames
    assert LogMel(framing="centered").window_samples == 15360  # 31 centred frames (older runs)


def test_window_count_for_a_4_second_clip():
    frontend = LogMel()
    clip = torch.randn(4 * 22050)
    starts = window_starts(clip.shape[0], frontend.window_samples, frontend.window_hop_samples)
    assert len(starts) == 9 and starts[1] == 8192
    windows = cut_windows(clip, frontend.window_samples, frontend.window_hop_samples)
    assert windows.shape == (9, 15360)
    assert torch.equal(windows[2], clip[2 * 8192 : 2 * 8192 + 15360])


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
    with pytest.raises(ValueError, match="features.framing='centred'"):
        LogMel(framing="centred")


def _window_db_standardized(power: np.ndarray, top_db: float = 80.0) -> np.ndarray:
    """What the device does with a window's mel power frames: dB, floored top_db under the
    window's peak, standardised over the window."""
    db = 10 * np.log10(np.maximum(power, 1e-10))
    db = np.maximum(db, db.max() - top_db)
    return (db - db.mean()) / (db.std() + 1e-5)


def test_stream_framed_windows_are_slices_of_the_clips_frame_sequence(esc50):
    """Host = device: the log-mel of every analysis window equals the slice of the whole
    clip's frame sequence (librosa, unpadded frames), dB-floored and standardised per window."""
    import librosa

    frontend = LogMel(framing="stream")
    clip = read_audio(sorted((esc50 / "audio").glob("*.wav"))[0], frontend.sample_rate)
    frames = librosa.feature.melspectrogram(
        y=clip.numpy(), sr=22050, n_fft=1024, hop_length=512, n_mels=60, center=False, power=2.0, htk=True, norm=None
    )
    windows = cut_windows(clip, frontend.window_samples, frontend.window_hop_samples)
    features = frontend(windows).squeeze(1).numpy()
    hop_frames = frontend.window_hop_samples // 512
    complete = (frames.shape[1] - 31) // hop_frames + 1  # windows inside the clip (the last one is padded)
    assert complete >= 8
    for k in range(complete):
        expected = _window_db_standardized(frames[:, k * hop_frames : k * hop_frames + 31])
        assert np.abs(features[k] - expected).max() < 2e-3, k


def test_centered_windows_differ_from_the_frame_sequence_at_their_edges(esc50):
    """Why stream framing exists: centred per-window padding invents the edge frames."""
    clip = read_audio(sorted((esc50 / "audio").glob("*.wav"))[0], 22050)
    stream, centered = LogMel(framing="stream", normalize=False), LogMel(normalize=False)
    start = 4 * stream.window_hop_samples
    a = stream(clip[None, start : start + stream.window_samples])[0, 0]
    # the centred window whose frame k is centred where the stream window's frame k is
    b = centered(clip[None, start + 512 : start + 512 + centered.window_samples])[0, 0]
    inner = (a[:, 1:30] - b[:, 1:30]).abs().max()
    edges = max((a[:, 0] - b[:, 0]).abs().max(), (a[:, 30] - b[:, 30]).abs().max())
    assert inner < 1e-2 < 1.0 < edges
