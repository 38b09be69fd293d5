"""soundbench's hardware-aware search as a Hydra sweeper (``hparams_search=mcu``); the
search itself lives in :mod:`soundbench.search`."""
