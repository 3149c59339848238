"""PosteriorDraws: a Bayesian purchase model reduced to its parameter draws, as plain JSON.

A Bayesian model holds its posterior in an ArviZ object and needs pymc to be rebuilt; a batch
engine that ships models to executors (Spark) needs neither: per-customer values of a Bayesian
model are averages over parameter draws of the same maths the maximum-likelihood twin uses
(``bayes.BetaGeo`` -> ``BetaGeo``). This class carries those draws and follows the purchase-model
protocol of :class:`~clvkit.models._event.EventModel`, so :func:`clvkit.score` gives the same
numbers with it as with the Bayesian model it came from (tests/integration/test_engine_spark.py).
It is an internal vehicle, not a registered model.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from clvkit._contract import MODELS, Model
from clvkit.data.customer_data import CustomerData, as_customer_data
from clvkit.data.units import check_unit
from clvkit.errors import DataError


class PosteriorDraws(Model):
    """Evenly thinned posterior draws of a Bayesian purchase model, with its twin's maths."""

    kind: ClassVar[str] = "purchase"
    qualified_name: ClassVar[str] = "PosteriorDraws"
    point_is_posterior_mean: ClassVar[bool] = True

    def __init__(self, *, maths: str = "BetaGeo") -> None:
        self.maths = maths

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_model(cls, model: Any, n_draws: int) -> Self:
        """The draws ``model._parameter_draws(n_draws)`` of a fitted Bayesian purchase model."""
        if not getattr(model, "point_is_posterior_mean", False):
            raise DataError(f"PosteriorDraws takes a Bayesian purchase model, got {type(model).__name__}.")
        twin = str(getattr(model, "qualified_name", "")).split(".")[-1]
        draws = np.asarray(model._parameter_draws(n_draws, None), dtype=float)
        return cls.from_dict({"maths": twin, "draws": draws.tolist(), "unit": model.unit_,
                              "source": model.qualified_name})

    def _twin(self) -> Any:
        entry = MODELS.get(self.maths)
        if entry is None or entry.kind != "purchase" or not hasattr(entry.cls, "maths"):
            raise DataError(f"PosteriorDraws: {self.maths!r} is not a maximum-likelihood purchase model.")
        return entry.cls()

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        self._check_fitted()
        return {"maths": self.maths, "draws": self.draws_.tolist(), "unit": self.unit_, "source": self.source_}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> Self:
        model = cls(maths=str(state.get("maths")))
        twin = model._twin()
        draws = np.asarray(state.get("draws"), dtype=float)
        k = len(twin.param_names)
        if draws.ndim != 2 or draws.shape[1] != k or len(draws) == 0:
            raise DataError(f"PosteriorDraws: draws must be a non-empty (n, {k}) array for {model.maths}.")
        if not (np.isfinite(draws).all() and (draws > 0).all()):
            raise DataError("PosteriorDraws: every draw must be finite and > 0.")
        model._maths_model = twin
        model.draws_ = draws
        model.unit_ = check_unit(state.get("unit"))
        model.source_ = str(state.get("source", ""))
        model.params_ = pd.Series(draws.mean(axis=0), index=list(twin.param_names), name="estimate")
        model.n_obs_ = 0.0
        model.converged_ = True
        model.data_provenance_ = {"source": model.source_}
        return model

    def _summary(self, level_: float) -> pd.DataFrame:
        """Mean, standard deviation and equal-tailed interval of the draws."""
        tail = (1.0 - level_) / 2.0
        lower, upper = np.quantile(self.draws_, [tail, 1.0 - tail], axis=0)
        return pd.DataFrame({"estimate": self.draws_.mean(axis=0), "std_error": self.draws_.std(axis=0, ddof=1),
                             "lower": lower, "upper": upper}, index=self.params_.index)

    # ------------------------------------------------------------------ the purchase-model protocol
    @property
    def columns(self) -> tuple[str, ...]:
        return self._twin().columns

    @property
    def param_names(self) -> tuple[str, ...]:
        return self._twin().param_names

    def _data(self, data: CustomerData | pd.DataFrame) -> CustomerData:
        self._check_fitted()
        cd = as_customer_data(data, unit=self.unit_)
        if cd.unit != self.unit_:
            raise DataError(f"{self.source_ or 'the model'} was fitted with time in unit {self.unit_!r} but this "
                            f"data is in {cd.unit!r}; summarize the data again with unit={self.unit_!r}.")
        cd.require(self.columns, self.source_ or "PosteriorDraws")
        return cd

    def _point_params(self) -> np.ndarray:
        return self.params_.to_numpy(dtype=float)

    def _parameter_draws(self, n_draws: int, random_seed: int | None = None) -> np.ndarray:
        """``n_draws`` evenly spaced draws (all of them when there are fewer): deterministic."""
        if n_draws >= len(self.draws_):
            return self.draws_
        return self.draws_[np.unique(np.linspace(0, len(self.draws_) - 1, int(n_draws)).round().astype(int))]

    def _expected_purchases_rows(self, params: np.ndarray, rows: np.ndarray, t: float) -> np.ndarray:
        return self._maths_model._expected_purchases_rows(params, rows, t)

    def _p_alive_rows(self, params: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return self._maths_model._p_alive_rows(params, rows)

    def _discounted_purchases_rows(self, params: np.ndarray, rows: np.ndarray, horizon: float,
                                   delta: float) -> np.ndarray:
        return self._maths_model._discounted_purchases_rows(params, rows, horizon, delta)
