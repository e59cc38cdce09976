"""Which Hyperopt algorithm suggests the next configuration: TPE (the paper's) or random search.

Random search is here as the baseline TPE has to beat (`make bench-search`). TPE draws its first
`startup_trials` suggestions at random before it models the results. Hyperopt's default is 20,
which leaves a search of 20 trials or fewer purely random; stage-1 budgets here are often that
small (the demo, the benchmark), so the default is 10, as Optuna's TPE sampler has it
(`n_startup_trials=10`, https://optuna.readthedocs.io/en/stable/reference/samplers/generated/optuna.samplers.TPESampler.html).
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from typing import Any

ALGORITHMS = ("tpe", "random")


@dataclass(frozen=True)
class SearchSettings:
    """How stage 1 picks configurations; written to run.json (a run resumes only with the
    same settings)."""

    algorithm: str = "tpe"
    startup_trials: int = 10

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"unknown search algorithm {self.algorithm!r} "
                             f"(known: {', '.join(ALGORITHMS)})")
        if self.startup_trials < 1:
            raise ValueError(f"startup_trials must be at least 1, got {self.startup_trials}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def suggest(self) -> Any:
        """The `algo` argument of hyperopt.fmin."""
        from hyperopt import rand, tpe

        if self.algorithm == "random":
            return rand.suggest
        return functools.partial(tpe.suggest, n_startup_jobs=self.startup_trials)
