"""The search space of a hardware-aware search, written in Hydra's sweep syntax
(``choice(16, 24)``, ``interval(0.001, 0.01)``, ``tag(log, interval(...))``, ``range(...)``)
and read into Optuna distributions by hydra-optuna-sweeper's own parser.

Model families are a conditional space: each family (a ``conf/model`` name) has its own
width/depth parameters, named ``<family>:<key>`` in the study so that two families' choices
for the same key never collide; shared parameters (front end, training) apply to every trial.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from hydra.core.override_parser.overrides_parser import OverridesParser
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    DiscreteUniformDistribution,
    IntLogUniformDistribution,
    IntUniformDistribution,
    LogUniformDistribution,
    UniformDistribution,
)
from optuna.trial import Trial

from hydra_plugins.hydra_optuna_sweeper._impl import create_optuna_distribution_from_override

#: what a parameter is: an Optuna distribution, or a fixed value (an override every trial gets)
Param = BaseDistribution | str


@dataclass(frozen=True)
class SearchSpace:
    families: dict[str, dict[str, Param]]  # model name → its own parameters
    shared: dict[str, Param]  # every trial: front end, training

    @classmethod
    def from_config(
        cls, families: Mapping[str, Mapping[str, Any]] | None, shared: Mapping[str, Any] | None
    ) -> SearchSpace:
        return cls(
            {str(name): _parse(params or {}, f"families.{name}") for name, params in (families or {}).items()},
            _parse(shared or {}, "params"),
        )

    def with_command_line(self, sweeps: list[str]) -> SearchSpace:
        """Sweep overrides given on the command line (``features.n_mels=choice(40,60)``) join
        the shared parameters, as with Hydra's Optuna sweeper."""
        parsed = {
            o.get_key_element(): create_optuna_distribution_from_override(o)
            for o in OverridesParser.create().parse_overrides(sweeps)
        }
        return SearchSpace(self.families, {**self.shared, **parsed})

    def suggest(self, trial: Trial) -> list[str]:
        """The trial's overrides: its model family and that family's parameters, then the
        shared ones."""
        overrides = []
        if self.families:
            family = trial.suggest_categorical("model", list(self.families))
            overrides.append(f"model={family}")
            overrides += [
                f"{key}={_format(_value(trial, f'{family}:{key}', param))}"
                for key, param in self.families[family].items()
            ]
        overrides += [f"{key}={_format(_value(trial, key, param))}" for key, param in self.shared.items()]
        return overrides


def _format(value) -> str:
    """Floats to 4 significant digits: an lr of 0.0031174220 trains like 0.003117, and the
    trials table stays readable."""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _parse(params: Mapping[str, Any], where: str) -> dict[str, Param]:
    parser = OverridesParser.create()
    parsed = {}
    for key, value in params.items():
        try:
            override = parser.parse_overrides([f"{key}={value}"])[0]
            parsed[str(key)] = create_optuna_distribution_from_override(override)
        except Exception as error:  # Hydra's grammar errors say what they expected
            raise ValueError(
                f"hydra.sweeper.{where}.{key}={value!r}: not a value or sweep Hydra understands "
                f"(choice(...), interval(...), tag(log, interval(...)), range(...)): {error}"
            ) from None
    return parsed


def _value(trial: Trial, name: str, param: Param):
    """One suggestion for ``param`` under ``name`` (fixed values pass through)."""
    if isinstance(param, CategoricalDistribution):
        return trial.suggest_categorical(name, param.choices)
    if isinstance(param, IntLogUniformDistribution):
        return trial.suggest_int(name, param.low, param.high, log=True)
    if isinstance(param, IntUniformDistribution):
        return trial.suggest_int(name, param.low, param.high, step=param.step)
    if isinstance(param, LogUniformDistribution):
        return trial.suggest_float(name, param.low, param.high, log=True)
    if isinstance(param, DiscreteUniformDistribution):
        return trial.suggest_float(name, param.low, param.high, step=param.q)
    if isinstance(param, UniformDistribution):
        return trial.suggest_float(name, param.low, param.high)
    return param
