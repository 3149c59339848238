"""ShiftedBetaGeo: the shifted-beta-geometric model of contract renewals."""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from clvkit._contract import check_interval, register, renamed
from clvkit.data.periods import validate_survival
from clvkit.data.units import check_unit, per_period_rate
from clvkit.errors import DataError
from clvkit.models._base import MLEModel
from clvkit.models._math import shifted_beta_geo as sbg


@register("ShiftedBetaGeo", "retention")
class ShiftedBetaGeo(MLEModel):
    """sBG: each customer renews with a constant probability that varies as a beta across customers.

    Parameters
    ----------
    unit : str
        Length of one renewal period (``"Y"`` years, ``"Q"``, ``"M"``, ``"W"`` or ``"D"``).
        Annual discount rates are converted to this period.
    penalizer : float
        Optional L2 penalty on the log-parameters (0: plain maximum likelihood).

    Attributes
    ----------
    params_ : pandas.Series
        ``alpha, beta`` of the beta distribution of the per-period churn probability.
    loglik_ : float
        Log-likelihood of the alive counts used: churners in each period 1..P and the
        survivors after P (right-censored), summed over cohorts (FH 2007).
    n_periods_ : int
        Largest period P used in the fit.
    loglik_, covariance_, n_obs_, n_unique_, unit_, converged_, fit_info_
        See :class:`~clvkit.models._base.MLEModel` (``n_obs_`` is the number of customers).

    Notes
    -----
    Fader & Hardie (2007), "How to project customer retention", Journal of Interactive
    Marketing 21(1), 76-90: churn probability P(T = t), survivor function S(t), the
    likelihood of a cohort's alive counts and the retention rate r(t).
    Discounted expected (residual) lifetime: Fader & Hardie (2010), "Customer-base valuation
    in a contractual setting: the perils of ignoring heterogeneity", Marketing Science 29(1),
    DEL and DERL. Maths in :mod:`clvkit.models._math.shifted_beta_geo`.

    Examples
    --------
    >>> import clvkit as ck
    >>> counts = ck.datasets.load_retention_example("regular")
    >>> s = ck.ShiftedBetaGeo(unit="Y").fit(counts, periods=7)
    >>> s.params_.round(3).tolist(), round(s.loglik_, 2)
    ([0.704, 1.182], -1680.27)
    """

    param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta")
    columns: ClassVar[tuple[str, ...]] = ("period", "churned")

    def __init__(self, *, unit: str = "Y", penalizer: float = 0.0) -> None:
        super().__init__(penalizer=penalizer)
        self.unit = unit

    # ------------------------------------------------------------------ fitting
    def fit(self, data: pd.DataFrame, *, periods: int | None = None,  # type: ignore[override]
            weights: Any = None, initial_params: dict[str, float] | None = None, maxiter: int = 3000) -> Self:
        """Fit on alive counts of one or several cohorts.

        Parameters
        ----------
        data
            A DataFrame with columns ``period, alive`` (one cohort: customers still active at
            the start of period 0, 1, ...; e.g. ``load_retention_example("regular")``) or
            ``cohort, period, alive`` (many cohorts, e.g. from
            :func:`clvkit.data.periods.cohort_survival`).
        periods
            Use periods ``0..periods`` only (e.g. 7 to fit years 1-7 and hold out 8-12);
            default: all.
        weights
            Not used: the alive counts are the weights. Must be None.

        Returns
        -------
        self
        """
        if weights is not None:
            raise DataError("ShiftedBetaGeo.fit takes no weights: the alive counts already say how many "
                            "customers each period stands for.")
        self._periods_arg = periods
        try:
            return super().fit(data, initial_params=initial_params, maxiter=maxiter)
        finally:
            del self._periods_arg

    def _rows(self, data: Any, weights: Any) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        unit = check_unit(self.unit)
        table_unit = getattr(data, "attrs", {}).get("unit")
        if table_unit is not None and check_unit(table_unit) != unit:
            raise DataError(f"ShiftedBetaGeo(unit={unit!r}) got a survival table in periods of "
                            f"{table_unit!r}; build the model with unit={table_unit!r}.")
        table = validate_survival(data, getattr(self, "_periods_arg", None))
        rows, w = survival_rows(table)
        self.n_periods_ = int(table["period"].max())
        return rows, w, {"unit": unit, "provenance": {"cohorts": int(table["cohort"].nunique()),
                                                      "periods": self.n_periods_}}

    def _starts(self, rows: np.ndarray, weights: np.ndarray) -> list[np.ndarray]:
        return [np.array([1.0, 1.0]), np.array([0.5, 2.0]), np.array([2.0, 8.0])]

    def _loglik_and_grad(self, params: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return sbg.loglik_and_grad(params, rows[:, 0], rows[:, 1])

    def to_dict(self) -> dict[str, Any]:
        state = super().to_dict()
        state["n_periods"] = self.n_periods_
        return state

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> Self:
        model = super().from_dict(state)
        model.n_periods_ = int(state.get("n_periods", 0))
        if model.unit_ is not None:
            model.unit = model.unit_  # from_params(..., unit=) discounts in that unit
        return model

    # ------------------------------------------------------------------ predictions
    def survival(self, periods: Any) -> pd.Series:
        """S(t): share of an acquired cohort still active after ``t`` periods (FH 2007).

        ``periods`` is a number or a sequence of whole numbers >= 0; S(0) = 1.
        """
        t = _periods(periods)
        return pd.Series(sbg.survival(self._p(), t), index=pd.Index(t, name="period"),
                         name="survival")

    def retention(self, periods: Any) -> pd.Series:
        """r(t) = S(t) / S(t - 1): renewal rate of those active in period t - 1 (FH 2007).

        ``periods`` are whole numbers >= 1.
        """
        t = _periods(periods, low=1)
        return pd.Series(sbg.retention(self._p(), t), index=pd.Index(t, name="period"),
                         name="retention")

    def expected_alive(self, periods: Any, customers: float = 1000.0) -> pd.Series:
        """Deprecated: use ``predict(periods, ...)["expected_alive"]`` (a cohort of ``customers``)."""
        renamed("ShiftedBetaGeo.expected_alive(periods, customers=)",
                "ShiftedBetaGeo.predict(survival_table, horizon)['expected_alive'] (cohort size: alive at "
                "period 0)")
        if isinstance(customers, bool) or not isinstance(customers, int | float | np.number) \
                or not np.isfinite(customers) or customers < 0 or customers != round(customers):
            raise DataError(f"customers must be a whole number of customers >= 0, got {customers!r}.")
        return (customers * self.survival(periods)).rename("expected_alive")

    def predict(self, data: Any = None, horizon: int | None = None, *, interval: float | None = None,
                n_draws: int = 1000, random_seed: int | None = None) -> pd.DataFrame:
        """Survival, retention and expected alive customers by period.

        Parameters
        ----------
        data
            A survival table (``period, alive`` or ``cohort, period, alive``): its periods are
            predicted and its customers at period 0 (summed over cohorts) set the cohort size of
            ``expected_alive``; or a sequence of periods (cohort size 1); or None: periods
            ``0..horizon-1`` (default ``0..n_periods_ + 5``) for a cohort of 1.
        horizon
            Number of periods from period 0; overrides the periods of ``data``.
        interval
            If given (e.g. 0.9), add ``<quantity>_lower`` / ``<quantity>_upper`` over ``n_draws``
            parameter draws from the MLE's asymptotic normal (log scale).
        random_seed
            Seed of those draws (``None``: fresh randomness).

        Returns
        -------
        DataFrame indexed by ``period`` with ``survival, retention, expected_alive`` (retention
        r(t) = S(t) / S(t - 1) is undefined at period 0, where it is NaN).
        """
        self._check_fitted()
        periods, customers = self._prediction_periods(data, horizon)
        level = check_interval(interval)
        out = pd.DataFrame(index=pd.Index(periods, name="period"))
        quantities = {"survival": lambda p: sbg.survival(p, periods),
                      "retention": lambda p: _retention_from_zero(p, periods),
                      "expected_alive": lambda p: customers * sbg.survival(p, periods)}
        draws = self.param_draws(n_draws, random_seed) if level is not None else None
        for name, fn in quantities.items():
            point = fn(self._p())
            out[name] = point
            if draws is not None:
                tail = (1.0 - level) / 2.0
                values = np.array([fn(p) for p in draws])
                lower, upper = np.quantile(values, [tail, 1.0 - tail], axis=0)
                out[f"{name}_lower"] = np.minimum(lower, point)
                out[f"{name}_upper"] = np.maximum(upper, point)
        return out

    def _prediction_periods(self, data: Any, horizon: int | None) -> tuple[np.ndarray, float]:
        customers = 1.0
        periods = None
        if isinstance(data, pd.DataFrame):
            table = validate_survival(data)
            table_unit = data.attrs.get("unit")
            if table_unit is not None and check_unit(table_unit) != self.unit_:
                raise DataError(f"ShiftedBetaGeo was fitted with unit {self.unit_!r} but this survival table is "
                                f"in unit {table_unit!r}; rebuild the table with unit={self.unit_!r}.")
            customers = float(table.loc[table["period"] == 0, "alive"].sum())
            periods = np.sort(table["period"].unique()).astype(np.int64)
        elif data is not None:
            periods = _periods(data)
        if horizon is not None:
            h = _periods(horizon, low=1)
            if h.size != 1:
                raise DataError(f"horizon must be one whole number of periods >= 1, got {horizon!r}.")
            periods = np.arange(int(h[0]), dtype=np.int64)
        if periods is None:
            periods = np.arange(getattr(self, "n_periods_", 0) + 6, dtype=np.int64)
        return periods, customers

    def discounted_lifetime(self, discount_rate: float) -> float:
        """Discounted expected lifetime DEL of a just-acquired customer, in payments.

        ``DEL = 2F1(1, beta; alpha + beta; 1 / (1 + d)) = sum_{t>=0} S(t) / (1 + d)^t``
        (Fader & Hardie 2010): the payment at acquisition counts undiscounted, the one
        after the t-th renewal is discounted t periods. Multiply by the margin per period for
        the expected CLV.

        Parameters
        ----------
        discount_rate
            ANNUAL effective rate; converted to the model's period with
            :func:`clvkit.data.units.per_period_rate` (10% a year is 2.41% a quarter).
        """
        self._check_fitted()
        d = per_period_rate(discount_rate, self.unit_, infinite_horizon=True)
        return sbg.discounted_lifetime(self._p(), d)

    def discounted_residual_lifetime(self, discount_rate: float, renewals: Any = 0) -> Any:
        """Discounted expected residual lifetime DERL of a customer who has made ``renewals`` renewals.

        ``DERL = (beta+n-1)/(alpha+beta+n-1) * 2F1(1, beta+n; alpha+beta+n; 1/(1+d))`` with
        ``n - 1 = renewals`` (Fader & Hardie 2010); it equals
        ``sum_{t>=n} S(t | T > n-1) / (1+d)^(t-n)``. The customer is at the end of period
        ``n - 1``, just before the next renewal decision; the payment of that renewal (if made)
        counts undiscounted. ``DEL = 1 + DERL(renewals=0) / (1 + d)``.

        Parameters
        ----------
        discount_rate
            ANNUAL effective rate, converted to the model's period.
        renewals
            Renewals made so far (0 for a customer who has just paid the first period); a
            number or an array.
        """
        self._check_fitted()
        d = per_period_rate(discount_rate, self.unit_, infinite_horizon=True)
        n = np.asarray(renewals, dtype=float)
        if np.any(n < 0) or np.any(n != np.round(n)):
            raise DataError(f"renewals must be whole numbers >= 0, got {renewals!r}.")
        out = sbg.discounted_residual_lifetime(self._p(), d, n)
        return float(out) if np.ndim(out) == 0 else out


def survival_rows(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Likelihood rows ``(period, churned)`` and weights from a validated long survival table.

    Per cohort: ``alive[t-1] - alive[t]`` customers left in period t (t = 1..P) and
    ``alive[P]`` are still active after period P (censored).
    """
    rows: list[tuple[float, float]] = []
    weights: list[float] = []
    for _, group in table.groupby("cohort", sort=False):
        alive = group["alive"].to_numpy(dtype=float)
        p = group["period"].to_numpy()
        lost = alive[:-1] - alive[1:]
        for t, n in zip(p[1:], lost, strict=True):
            if n > 0:
                rows.append((float(t), 1.0))
                weights.append(float(n))
        if len(p) > 1 and alive[-1] > 0:
            rows.append((float(p[-1]), 0.0))
            weights.append(float(alive[-1]))
    if not rows:
        raise DataError("the survival table has no customer observed beyond period 0.")
    return np.array(rows), np.array(weights)


def _retention_from_zero(params: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """r(t) for the given periods, NaN at period 0 (where a retention rate is undefined)."""
    out = np.full(len(periods), np.nan)
    later = periods >= 1
    if later.any():
        out[later] = sbg.retention(params, periods[later])
    return out


def _periods(periods: Any, low: int = 0) -> np.ndarray:
    t = np.atleast_1d(np.asarray(periods, dtype=float))
    if t.size and (np.any(~np.isfinite(t)) or np.any(t < low) or np.any(t != np.round(t))):
        raise DataError(f"periods must be whole numbers >= {low}, got {periods!r}.")
    return t.astype(np.int64)
