"""Front ends: waveform windows in, model input out, as torch modules (GPU- and export-ready)."""

from soundbench.features.frontends import MFCC, FrontEnd, LogMel, Mel, Waveform

__all__ = ["FrontEnd", "LogMel", "MFCC", "Mel", "Waveform"]
