"""Reading real and synthetic audio files: formats, channels, rates, and bad files."""

import numpy as np
import pytest
import soundfile as sf
import torch

from soundbench.data.audio import AudioReadError, read_audio
from tests.conftest import write_tone


def test_all_real_urbansound8k_clips_load_mono_at_target_rate(urbansound8k):
    files = sorted((urbansound8k / "audio").glob("fold*/*.wav"))
    assert len(files) == 53
    rates = {sf.info(f).samplerate for f in files}
    assert {44100, 48000, 96000} <= rates  # the real variety is here
    assert any(sf.info(f).channels == 2 for f in files)
    assert sum(sf.info(f).format == "WAVEX" for f in files) == 2
    for f in files:
        info = sf.info(f)
        audio = read_audio(f, 22050)
        assert audio.dim() == 1 and audio.dtype == torch.float32
        assert abs(audio.shape[0] - round(info.duration * 22050)) <= 1, f
        assert torch.isfinite(audio).all()


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"])
def test_integer_and_float_encodings_read_alike(tmp_path, subtype):
    path = write_tone(tmp_path / f"{subtype}.wav", subtype=subtype)
    audio = read_audio(path, 16000)
    reference = 0.5 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)
    tolerance = 1e-2 if subtype == "PCM_U8" else 1e-4
    assert np.abs(audio.numpy() - reference).max() < tolerance


def test_stereo_is_downmixed_and_resampled(tmp_path):
    path = write_tone(tmp_path / "stereo.wav", seconds=2.0, sr=48000, channels=2)
    audio = read_audio(path, 16000)
    assert audio.shape == (32000,)


def test_segment_reading(tmp_path):
    path = write_tone(tmp_path / "long.wav", seconds=3.0)
    assert read_audio(path, 16000, start=1.0, duration=1.0).shape == (16000,)


def test_corrupt_file_error_names_the_file(tmp_path):
    bad = tmp_path / "corrupt.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really audio")
    with pytest.raises(AudioReadError, match="corrupt.wav"):
        read_audio(bad, 16000)


def test_empty_file_error_names_the_file(tmp_path):
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0), 16000)
    with pytest.raises(AudioReadError, match="empty.wav.*no audio samples"):
        read_audio(empty, 16000)
    zero_bytes = tmp_path / "zero_bytes.wav"
    zero_bytes.write_bytes(b"")
    with pytest.raises(AudioReadError, match="zero_bytes.wav"):
        read_audio(zero_bytes, 16000)


def test_nan_samples_are_refused(tmp_path):
    path = tmp_path / "nan.wav"
    data = np.zeros(1600, dtype=np.float32)
    data[100] = np.nan
    sf.write(path, data, 16000, subtype="FLOAT")
    with pytest.raises(AudioReadError, match="nan.wav.*NaN"):
        read_audio(path, 16000)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(AudioReadError, match="absent.wav"):
        read_audio(tmp_path / "absent.wav", 16000)
