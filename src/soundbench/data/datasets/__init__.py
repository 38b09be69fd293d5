"""One module per dataset. Each corpus only builds the clip index from the official
on-disk layout and names its protocol; everything after the index is dataset-agnostic.
Adding a dataset = one module here + one yaml in conf/dataset/."""

from soundbench.data.datasets.audacity import AudacityLabels
from soundbench.data.datasets.base import AudioCorpus
from soundbench.data.datasets.csv_list import CsvList
from soundbench.data.datasets.demo import Demo
from soundbench.data.datasets.esc40 import ESC40
from soundbench.data.datasets.esc50 import ESC10, ESC50
from soundbench.data.datasets.folder import AudioFolder
from soundbench.data.datasets.fsdd import FSDD
from soundbench.data.datasets.speechcommands import SpeechCommands
from soundbench.data.datasets.urbansound8k import UrbanSound8K
from soundbench.data.datasets.with_background import WithBackground

__all__ = [
    "AudacityLabels",
    "AudioCorpus",
    "AudioFolder",
    "CsvList",
    "Demo",
    "ESC10",
    "ESC40",
    "ESC50",
    "FSDD",
    "SpeechCommands",
    "UrbanSound8K",
    "WithBackground",
]
