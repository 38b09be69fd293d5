"""Prediction on recordings of any length with an exported model bundle (``python predict.py``)."""

from soundbench.artifacts.bundle import ModelBundle, export_bundle, load_bundle, save_bundle
from soundbench.predict.predictor import FilePrediction, Predictor
from soundbench.predict.timeline import SILENCE, UNKNOWN, DecisionSettings

__all__ = [
    "DecisionSettings",
    "FilePrediction",
    "ModelBundle",
    "Predictor",
    "SILENCE",
    "UNKNOWN",
    "export_bundle",
    "load_bundle",
    "save_bundle",
]
