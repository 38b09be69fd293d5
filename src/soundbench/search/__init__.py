"""Hardware-aware search: trials checked on the board before training, trained through Hydra's
launcher, the Pareto front reported and deployed (``hparams_search=mcu``)."""
