"""soundbench: reproducible benchmarking of audio classifiers destined for microcontrollers."""

__version__ = "0.1.0"
