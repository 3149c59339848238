"""LostForGood: cohort lifetime value when a customer who leaves never returns (Dwyer 1989)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, Self

import numpy as np
import pandas as pd
from scipy.special import hyp2f1

from clvkit.data.periods import (
    PeriodPanel,
    cohort_survival,
    lost_for_good_status,
    period_panel,
    validate_survival,
)
from clvkit.data.units import check_unit
from clvkit.dwyer._checks import check_amount, check_horizon, period_discount
from clvkit.errors import DataError, NotFittedError
from clvkit.models.shifted_beta_geo import ShiftedBetaGeo

RETENTION_KINDS = ("sbg", "constant", "empirical")


class LostForGood:
    """Lifetime value of an acquired customer under Dwyer's lost-for-good assumption.

    A cohort is acquired in period 0 and pays a margin ``m`` in every period it stays; the first
    period without a purchase ends the relationship for good. The survival curve S(t) comes from
    one of three retention models, and every value is ``m * sum_t S(t) / (1 + d)^t``.

    Parameters
    ----------
    retention : {"sbg", "constant", "empirical"}
        ``"sbg"``: shifted-beta-geometric (Fader & Hardie 2007), retention rising with tenure
        as the weaker customers leave. ``"constant"``: one retention rate r (maximum
        likelihood: renewals / customers at risk), S(t) = r^t, the textbook CLV formula.
        ``"empirical"``: the pooled observed rates r_t = sum alive_t / sum alive_{t-1} over
        cohorts; beyond the last observed period the last rate is held constant.
    unit : str
        Period of the data: ``"M"``, ``"Q"`` or ``"Y"``. Annual discount rates are converted to it.
    margin : float, optional
        Margin per customer per period. Default: estimated from the log (mean spend of an
        alive customer per period, times ``margin_rate``); required when fitting on a table.
    margin_rate : float
        Share of spend that is margin when the margin is estimated (default 1: spend itself).

    Attributes
    ----------
    survival_table_ : pandas.DataFrame
        The ``cohort, period, alive`` counts fitted on.
    retention_ : pandas.Series
        Fitted (sbg, constant) or observed (empirical) retention r_t for t = 1..P.
    sbg_ : ShiftedBetaGeo or None
        The fitted sBG model when ``retention="sbg"``.
    margin_ : float or None
        Margin per alive customer per period (given or estimated).
    status_ : pandas.DataFrame or None
        Per customer (log only): ``cohort, observed, tenure, alive``.
    unit_ : str
    n_periods_ : int
        Largest period P observed.

    Notes
    -----
    Timing: period t's margin is received at the start of period t; the acquisition period is
    t = 0 and is not discounted, period t is discounted by ``(1 + d)^-t`` with ``d`` the
    per-period rate equivalent to the annual ``discount_rate``. This is the convention of
    Fader & Hardie (2010)'s DEL. A residual value is taken at the end of the data, i.e. at the
    start of the next period: that period's margin (if the customer stays) is undiscounted.
    Dwyer (1989), "Customer lifetime valuation to support marketing decision making",
    Journal of Direct Marketing 3(4). Constant retention: ``m (1 + d) / (1 + d - r)``
    (Gupta & Lehmann 2003, with the first margin at t = 0).

    Examples
    --------
    >>> import clvkit as ck
    >>> lfg = ck.LostForGood(retention="sbg", unit="Y", margin=100.0)
    >>> lfg = lfg.fit(ck.datasets.load_retention_example("regular"), periods=7)
    >>> round(lfg.value(discount_rate=0.10), 2)   # 100 * DEL
    369.49
    """

    def __init__(self, retention: str = "sbg", unit: str = "Q", *, margin: float | None = None,
                 margin_rate: float = 1.0) -> None:
        self.retention = retention
        self.unit = unit
        self.margin = margin
        self.margin_rate = margin_rate

    def __repr__(self) -> str:
        state = "fitted" if hasattr(self, "survival_table_") else "not fitted"
        return f"LostForGood(retention={self.retention!r}, unit={self.unit!r}) [{state}]"

    # ------------------------------------------------------------------ fitting
    def fit(self, data: pd.DataFrame | PeriodPanel, *, customer: Hashable = "customer_id",
            date: Hashable = "date", amount: Hashable | None = "amount", end: Any = None,
            periods: int | None = None) -> Self:
        """Fit the retention model on a transaction log, a period panel or a survival table.

        Parameters
        ----------
        data
            A transaction log (has the ``date`` column), a
            :class:`~clvkit.data.periods.PeriodPanel`, or a survival table with columns
            ``period, alive`` or ``cohort, period, alive``.
        customer, date, amount, end
            Passed to :func:`~clvkit.data.periods.period_panel` for a log.
        periods
            Use periods ``0..periods`` of a survival table only.

        Returns
        -------
        self
        """
        if self.retention not in RETENTION_KINDS:
            raise DataError(f"retention must be one of {list(RETENTION_KINDS)}, got {self.retention!r}.")
        unit = check_unit(self.unit)
        self.status_ = None
        margin = None
        if isinstance(data, PeriodPanel) or (isinstance(data, pd.DataFrame) and date in data.columns):
            panel = period_panel(data, customer, date, amount, unit=unit, end=end)
            unit = panel.unit
            table = validate_survival(cohort_survival(panel), periods)
            self.status_ = lost_for_good_status(panel)
            if amount is not None or isinstance(data, PeriodPanel):
                margin = _alive_spend(panel, self.status_) * check_amount("margin_rate", self.margin_rate)
        else:
            table = validate_survival(data, periods)
            unit = check_unit(table.attrs.get("unit", unit))
        self.unit_ = unit
        self.survival_table_ = table
        self.n_periods_ = int(table["period"].max())
        self.margin_ = check_amount("margin", self.margin) if self.margin is not None else margin
        self.sbg_ = None
        t = np.arange(1, self.n_periods_ + 1)
        if self.retention == "sbg":
            self.sbg_ = ShiftedBetaGeo(unit=unit).fit(table)
            rates = self.sbg_.retention(t).to_numpy()
        elif self.retention == "constant":
            at_risk, stayed = _transitions(table)
            rates = np.full(len(t), stayed.sum() / at_risk.sum())
        else:
            at_risk, stayed = _transitions(table)
            with np.errstate(invalid="ignore", divide="ignore"):
                rates = np.where(at_risk > 0, stayed / np.where(at_risk > 0, at_risk, 1.0), 0.0)
        self.retention_ = pd.Series(rates, index=pd.Index(t, name="period"), name="retention")
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "survival_table_"):
            raise NotFittedError("LostForGood is not fitted yet; call .fit(data) first.")

    def _margin(self, margin: float | None) -> float:
        if margin is not None:
            return check_amount("margin", margin)
        if self.margin_ is None:
            raise DataError("no margin: give margin=... (per customer per period) to LostForGood or "
                            "to this method, or fit on a transaction log with amounts.")
        return float(self.margin_)

    # ------------------------------------------------------------------ survival
    def survival(self, periods: Any) -> pd.Series:
        """S(t): share of an acquired cohort still alive ``t`` periods after acquisition."""
        self._check_fitted()
        t = np.atleast_1d(np.asarray(periods, dtype=float))
        if np.any(t < 0) or np.any(t != np.round(t)):
            raise DataError(f"periods must be whole numbers >= 0, got {periods!r}.")
        return pd.Series(self._survival(t.astype(np.int64)), index=pd.Index(t.astype(np.int64),
                         name="period"), name="survival")

    def _survival(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.int64)
        if self.sbg_ is not None:
            return self.sbg_.survival(t.ravel()).to_numpy().reshape(t.shape)
        rates = self.retention_.to_numpy()
        cum = np.concatenate([[1.0], np.cumprod(rates)])
        P = len(rates)
        last = rates[-1]
        inside = np.minimum(t, P)
        return cum[inside] * last ** np.maximum(t - P, 0)

    def _discounted_sum(self, start: np.ndarray, horizon: int | None, x: float) -> np.ndarray:
        """``sum_{t=start}^{start+H-1} S(t) x^(t-start)`` (H = infinity when ``horizon`` is None)."""
        start = np.asarray(start, dtype=np.int64)
        if horizon is not None:
            j = np.arange(horizon)
            if horizon == 0:
                return np.zeros(start.shape)
            s = self._survival((start[..., None] + j).ravel()).reshape((*start.shape, horizon))
            return s @ (x ** j)
        if self.sbg_ is not None:
            alpha, beta = self.sbg_.params_.to_numpy()
            return self._survival(start) * hyp2f1(1.0, beta + start, alpha + beta + start, x)
        rates = self.retention_.to_numpy()
        P, last = len(rates), rates[-1]
        out = np.empty(start.shape, dtype=float)
        for i, s in np.ndenumerate(start):
            head_t = np.arange(s, max(s, P))
            head = self._survival(head_t) @ (x ** (head_t - s)) if len(head_t) else 0.0
            tail_start = max(s, P)
            tail = self._survival(np.array([tail_start]))[0] * x ** (tail_start - s)
            out[i] = head + tail / (1.0 - last * x)
        return out

    # ------------------------------------------------------------------ values
    def value(self, discount_rate: float, *, margin: float | None = None,
              acquisition_cost: float = 0.0, horizon: int | None = None) -> float:
        """Expected lifetime value of a newly acquired customer.

        ``CLV = m * sum_{t=0}^{H-1} S(t) / (1 + d)^t - acquisition_cost`` (H = infinity by
        default; closed forms then: ``m * DEL`` for sBG, ``m / (1 - r / (1 + d))`` for constant
        retention, a geometric tail after the last observed period for empirical).

        Parameters
        ----------
        discount_rate
            ANNUAL effective rate, converted to the model's period.
        margin
            Margin per period (default: ``margin_``).
        acquisition_cost
            Paid once at acquisition (t = 0), subtracted undiscounted.
        horizon
            Number of periods counted, including the acquisition period; None for all.
        """
        self._check_fitted()
        x = period_discount(discount_rate, self.unit_)
        m = self._margin(margin)
        cost = check_amount("acquisition_cost", acquisition_cost)
        h = check_horizon(horizon)
        return float(m * self._discounted_sum(np.array(0), h, x)) - cost

    def residual_value(self, discount_rate: float, tenure: Any, *, margin: float | None = None,
                       horizon: int | None = None) -> Any:
        """Expected remaining value of a customer still alive ``tenure`` periods after acquisition.

        ``m * sum_{j=0}^{H-1} S(tenure + 1 + j) / S(tenure) / (1 + d)^j``: valued at the start
        of the next period, whose margin (if the customer renews) counts undiscounted. For sBG
        and H = infinity this is ``m * DERL`` with ``renewals = tenure`` (Fader & Hardie 2010).
        """
        self._check_fitted()
        x = period_discount(discount_rate, self.unit_)
        m = self._margin(margin)
        h = check_horizon(horizon)
        k = np.asarray(tenure, dtype=float)
        if np.any(k < 0) or np.any(k != np.round(k)):
            raise DataError(f"tenure must be whole numbers >= 0, got {tenure!r}.")
        k = k.astype(np.int64)
        s_k = self._survival(k.ravel()).reshape(k.shape)
        total = self._discounted_sum(k + 1, h, x)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(s_k > 0, m * total / np.where(s_k > 0, s_k, 1.0), 0.0)
        return float(out) if out.ndim == 0 else out

    def projection(self, discount_rate: float, horizon: int = 10, *, margin: float | None = None,
                   customers: float = 1.0, acquisition_cost: float = 0.0) -> pd.DataFrame:
        """Period-by-period projection of an acquired cohort.

        Returns
        -------
        pandas.DataFrame
            Indexed by period 0..horizon-1: ``survival``, ``retention`` (r_t, NaN at 0),
            ``customers`` (cohort size times S(t)), ``margin`` (cohort margin that period),
            ``discount_factor`` ``(1 + d)^-t``, ``present_value``, ``cumulative_value`` (after
            the acquisition cost of the whole cohort) and ``value_per_customer``.
        """
        self._check_fitted()
        x = period_discount(discount_rate, self.unit_)
        m = self._margin(margin)
        h = check_horizon(horizon)
        if h is None or h < 1:
            raise DataError(f"horizon must be a whole number >= 1 for a projection, got {horizon!r}.")
        n = check_amount("customers", customers, nonnegative=True)
        cost = check_amount("acquisition_cost", acquisition_cost)
        t = np.arange(h)
        s = self._survival(t)
        ret = np.concatenate([[np.nan], s[1:] / np.where(s[:-1] > 0, s[:-1], np.nan)])
        pv = n * m * s * x ** t
        cum = np.cumsum(pv) - n * cost
        return pd.DataFrame({
            "survival": s, "retention": ret, "customers": n * s, "margin": n * m * s,
            "discount_factor": x ** t, "present_value": pv, "cumulative_value": cum,
            "value_per_customer": cum / n if n > 0 else np.nan,
        }, index=pd.Index(t, name="period"))

    def customer_values(self, discount_rate: float, *, margin: float | None = None,
                        horizon: int | None = None) -> pd.DataFrame:
        """Residual value of every customer of the log the model was fitted on.

        Customers still alive at the end of the data (bought in every period since acquisition)
        get :meth:`residual_value` at their tenure; lost customers get 0 (lost for good).

        Returns
        -------
        pandas.DataFrame
            Indexed by customer: ``cohort, tenure, alive, value``.
        """
        self._check_fitted()
        if self.status_ is None:
            raise DataError("customer_values needs a model fitted on a transaction log; this one "
                            "was fitted on a survival table (use residual_value(tenure=...)).")
        status = self.status_
        alive = status["alive"].to_numpy()
        tenure = status["tenure"].to_numpy()
        value = np.zeros(len(status))
        if alive.any():
            uniq, inv = np.unique(tenure[alive], return_inverse=True)
            vals = np.atleast_1d(self.residual_value(discount_rate, uniq, margin=margin,
                                                     horizon=horizon))
            value[alive] = vals[inv]
        out = status[["cohort", "tenure", "alive"]].copy()
        out["value"] = value
        return out


def _transitions(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Customers at risk (alive at t - 1) and renewing (alive at t), pooled over cohorts, t = 1..P."""
    P = int(table["period"].max())
    at_risk = np.zeros(P)
    stayed = np.zeros(P)
    for _, g in table.groupby("cohort", sort=False):
        alive = g["alive"].to_numpy(dtype=float)
        n = len(alive) - 1
        at_risk[:n] += alive[:-1]
        stayed[:n] += alive[1:]
    return at_risk, stayed


def _alive_spend(panel: PeriodPanel, status: pd.DataFrame) -> float:
    """Mean spend per period of alive customers: periods 0..tenure after each acquisition."""
    amount = panel.amount.to_numpy()
    first = panel.first_period.to_numpy()
    tenure = status["tenure"].to_numpy()
    cols = np.arange(amount.shape[1])[None, :]
    mask = (cols >= first[:, None]) & (cols <= (first + tenure)[:, None])
    return float(amount[mask].mean())
