"""LostForGood: cohort lifetime value when a customer who leaves never returns (Dwyer 1989)."""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any, Self

import numpy as np
import pandas as pd
from scipy.special import hyp2f1

from clvkit._contract import Model, check_interval, register
from clvkit.data.periods import (
    PeriodPanel,
    cohort_survival,
    lost_for_good_status,
    period_panel,
    validate_survival,
)
from clvkit.data.units import check_unit
from clvkit.dwyer._checks import (
    binomial_draws,
    binomial_summary,
    check_amount,
    check_count,
    check_horizon,
    check_n_draws,
    check_share,
    check_whole_alive,
    converged_horizon,
    draw_bounds,
    finite_values,
    frame_from_json,
    frame_to_json,
    period_discount,
    require_keys,
)
from clvkit.dwyer._retention import (
    alive_spend,
    check_same_unit,
    cohort_quantities,
    pooled_transitions,
    rate_survival,
)
from clvkit.errors import DataError
from clvkit.io import jsonable
from clvkit.models._math import shifted_beta_geo as sbg_math
from clvkit.models.shifted_beta_geo import ShiftedBetaGeo

RETENTION_KINDS = ("sbg", "constant", "empirical")
STATUS_COLUMNS = ("cohort", "observed", "tenure", "alive")
#: Most sBG terms summed directly for one finite-horizon value (a rate <= 0, or a rate so small
#: that the horizon is short of convergence); more is a DataError (about 0.5 s of work).
MAX_SUM_TERMS = 20_000_000
#: Terms per chunk of a direct sum (bounded memory: 8 MB per array).
CHUNK_TERMS = 1_000_000
#: Most periods of a period-by-period table (:meth:`LostForGood.predict`,
#: :meth:`LostForGood.projection`): one row per period.
MAX_TABLE_PERIODS = 1_000_000


def _geometric(q: float, n: float) -> float:
    """``sum_{i<n} q^i`` for ``q >= 0``: ``n`` at ``q = 1``, ``1 / (1 - q)`` for infinite ``n``."""
    if q == 1.0:
        return float(n)
    if q == 0.0:
        return 1.0
    if math.isinf(n):
        return 1.0 / (1.0 - q)
    return float(-np.expm1(n * np.log(q)) / (1.0 - q))


def _check_table_horizon(h: int | None, horizon: Any, what: str) -> int:
    if h is None or h < 1:
        raise DataError(f"horizon must be a whole number of periods >= 1 for {what}, got {horizon!r}.")
    if h > MAX_TABLE_PERIODS:
        raise DataError(f"horizon={h:,} periods would make a table of {h:,} rows ({what} has one row "
                        f"per period; at most {MAX_TABLE_PERIODS:,}); for a value over a long "
                        "horizon use value(..., horizon=...) or horizon=None.")
    return h


@register("LostForGood", "retention")
class LostForGood(Model):
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
        Period of the data: ``"M"``, ``"Q"`` or ``"Y"``. Annual discount rates are converted to
        it. A survival table whose ``attrs["unit"]`` says otherwise is refused.
    margin : float, optional
        Margin per alive customer per period: money, not a share (>= 0). Default: estimated
        from the log (mean spend of an alive customer per period, times ``margin_rate``);
        required for values when fitting on a table.
    margin_rate : float
        Share of spend that is margin (in [0, 1]) when the margin is estimated (default 1:
        spend itself).

    Attributes
    ----------
    params_ : pandas.Series
        The retention model's parameters: ``alpha, beta`` (sbg), ``retention`` (constant) or
        ``retention_1..retention_P`` (empirical). The margin is in ``margin_``.
    survival_table_ : pandas.DataFrame
        The ``cohort, period, alive`` counts fitted on.
    retention_ : pandas.Series
        Fitted (sbg, constant) or observed (empirical) retention r_t for t = 1..P.
    sbg_ : ShiftedBetaGeo or None
        The fitted sBG model when ``retention="sbg"``.
    margin_ : float or None
        Margin (money) per alive customer per period, given or estimated.
    status_ : pandas.DataFrame or None
        Per customer (log only): ``cohort, observed, tenure, alive``.
    unit_ : str
        Period of the data fitted on.
    n_periods_ : int
        Largest period P observed.
    n_obs_ : float
        Customers fitted on: the cohort sizes at period 0, summed.
    converged_ : bool
        The sBG fit's ``converged_`` (sbg); True for the closed-form rates.
    data_provenance_ : dict
        ``source`` (transaction log, period panel or survival table), ``cohorts``, ``periods``,
        ``customers`` and, for a log, the counts of :func:`~clvkit.data.periods.period_panel`.

    Notes
    -----
    Timing: period t's margin is received at the start of period t; the acquisition period is
    t = 0 and is not discounted, period t is discounted by ``(1 + d)^-t`` with ``d`` the
    per-period rate equivalent to the annual ``discount_rate``. This is the convention of
    Fader & Hardie (2010)'s DEL. A residual value is taken at the end of the data, i.e. at the
    start of the next period: that period's margin (if the customer stays) is undiscounted.
    Dwyer (1989), "Customer lifetime valuation to support marketing decision making",
    Journal of Direct Marketing 3(4). Constant retention: ``m (1 + d) / (1 + d - r)``
    (Gupta & Lehmann 2003, with the first margin at t = 0). Standard errors of the constant and
    empirical rates are binomial, ``sqrt(r (1 - r) / n)`` with ``n`` the customers at risk.

    Rates, money and counts: ``discount_rate`` is checked by
    :func:`clvkit.data.units.check_discount_rate` (a number > -1; a DataWarning above 100% a
    year, a DataError above 500%). An infinite horizon (``horizon=None``) needs a rate > 0: with
    a rate <= 0 the sum does not converge to a meaningful value (DataError). A finite horizon
    takes any rate in (-1, 0] too (later margins then weigh more than earlier ones). Margins and
    the acquisition cost are money >= 0 (strings refused); the customers of a projection and the
    ``alive`` counts of a survival table are whole numbers.

    Bounded work, whatever the horizon H: with a rate > 0 and ``x^H / (1 - x) <= 1e-12``
    (``x = 1 / (1 + d)`` per period) the H-period value equals the infinite one to 1e-12
    relative (the tail is at most ``S(start) x^H / (1 - x)``) and the infinite closed form is
    returned. Otherwise constant and empirical retention use the geometric closed form
    ``sum_{i<n} (r_P x)^i = (1 - (r_P x)^n) / (1 - r_P x)``; sBG at a zero rate with
    ``alpha > 1`` uses ``sum_{t>=n} S(t) = S(n) (alpha + beta + n - 1) / (alpha - 1)``
    differenced; any other sBG sum is added up in chunks (bounded memory) up to
    :data:`MAX_SUM_TERMS` terms, beyond which it is a DataError. A value that overflows (a rate
    <= 0 over a long horizon) is a DataError. ``predict`` and ``projection`` have one row per
    period and refuse more than :data:`MAX_TABLE_PERIODS` rows.

    Examples
    --------
    >>> import clvkit as ck
    >>> lfg = ck.LostForGood(retention="sbg", unit="Y", margin=100.0)
    >>> lfg = lfg.fit(ck.datasets.load_retention_example("regular"), periods=7)
    >>> round(lfg.value(discount_rate=0.10), 2)   # 100 * DEL
    369.49
    >>> lfg.predict(horizon=3)["expected_alive"].round(1).tolist()   # of the 1,000 acquired
    [1000.0, 626.7, 473.8]
    >>> lfg.summary().round(3).loc["alpha"].tolist()   # the sBG's estimate, std_error, lower, upper
    [0.704, 0.066, 0.587, 0.845]
    """

    def __init__(self, *, retention: str = "sbg", unit: str = "Q", margin: float | None = None,
                 margin_rate: float = 1.0) -> None:
        self.retention = retention
        self.unit = unit
        self.margin = margin
        self.margin_rate = margin_rate

    def _repr_details(self) -> str:
        margin = "none" if self.margin_ is None else f"{self.margin_:,.4g} per period"
        cohorts = int(self.survival_table_["cohort"].nunique())
        return (f"retention={self._kind()!r}   margin {margin}   periods 0..{self.n_periods_}   "
                f"{cohorts:,} cohort(s)")

    # ------------------------------------------------------------------ fitting
    def fit(self, data: pd.DataFrame | PeriodPanel, *, weights: Any = None,
            customer: Hashable = "customer_id", date: Hashable = "date",
            amount: Hashable | None = "amount", end: Any = None, periods: int | None = None) -> Self:
        """Fit the retention model on a transaction log, a period panel or a survival table.

        Parameters
        ----------
        data
            A transaction log (has the ``date`` column), a
            :class:`~clvkit.data.periods.PeriodPanel`, or a survival table with columns
            ``period, alive`` or ``cohort, period, alive`` (its ``attrs["unit"]``, if any, must
            be the model's ``unit``).
        weights
            Not supported (the survival counts are the weights); must be None.
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
        if weights is not None:
            raise DataError("LostForGood.fit takes no weights: the alive counts of the survival "
                            "table already weight each cohort; give weights=None.")
        unit = check_unit(self.unit)
        margin_arg = None if self.margin is None else check_amount("margin", self.margin,
                                                                   nonnegative=True)
        margin_rate = check_share("margin_rate", self.margin_rate)
        status = None
        margin = None
        if isinstance(data, PeriodPanel) or (isinstance(data, pd.DataFrame) and date in data.columns):
            check_same_unit(unit, getattr(data, "unit", None), "a period panel")
            panel = period_panel(data, customer, date, amount, unit=unit, end=end)
            table = validate_survival(cohort_survival(panel), periods)
            status = lost_for_good_status(panel)
            if amount is not None or isinstance(data, PeriodPanel):
                margin = alive_spend(panel, status) * margin_rate
            source = "period panel" if isinstance(data, PeriodPanel) else "transaction log"
            extra = dict(panel.provenance)
        else:
            check_same_unit(unit, getattr(data, "attrs", {}).get("unit"), "a survival table")
            check_whole_alive(data)
            table = validate_survival(data, periods)
            source, extra = "survival table", {}
        table.attrs["unit"] = unit
        n_periods = int(table["period"].max())
        t = np.arange(1, n_periods + 1)
        sbg_model = None
        if self.retention == "sbg":
            sbg_model = ShiftedBetaGeo(unit=unit).fit(table)
            rates = sbg_model.retention(t).to_numpy()
            params = sbg_model.params_.copy()
        else:
            at_risk, stayed = pooled_transitions(table)
            if self.retention == "constant":
                rates = np.full(len(t), stayed.sum() / at_risk.sum())
                params = pd.Series([rates[0]], index=["retention"])
            else:
                with np.errstate(invalid="ignore", divide="ignore"):
                    rates = np.where(at_risk > 0, stayed / np.where(at_risk > 0, at_risk, 1.0), 0.0)
                params = pd.Series(rates, index=[f"retention_{k}" for k in t])
        customers = float(table.loc[table["period"] == 0, "alive"].sum())
        # fitted state, set only once everything has been checked
        self.status_ = status
        self.unit_ = unit
        self.survival_table_ = table
        self.n_periods_ = n_periods
        self.margin_ = margin_arg if margin_arg is not None else margin
        self.sbg_ = sbg_model
        self.retention_ = pd.Series(rates, index=pd.Index(t, name="period"), name="retention")
        self.n_obs_ = customers
        self.converged_ = bool(sbg_model.converged_) if sbg_model is not None else True
        self.data_provenance_ = jsonable({
            "source": source, "cohorts": int(table["cohort"].nunique()), "periods": n_periods,
            "customers": customers, **extra})
        self.params_ = params.astype(float).rename("estimate")
        return self

    def _kind(self) -> str:
        """The fitted retention kind, read from the parameters (so that it survives a reload)."""
        names = list(self.params_.index)
        if names == ["alpha", "beta"]:
            return "sbg"
        return "constant" if names == ["retention"] else "empirical"

    def _margin(self, margin: float | None) -> float:
        if margin is not None:
            return check_amount("margin", margin, nonnegative=True)
        if self.margin_ is None:
            raise DataError("no margin: give margin=... (money per customer per period) to "
                            "LostForGood or to this method, or fit on a transaction log with amounts.")
        return float(self.margin_)

    # ------------------------------------------------------------------ summary
    def _summary(self, level_: float) -> pd.DataFrame:
        """Estimates of the retention parameters with standard errors and an interval.

        sbg: the fitted :class:`~clvkit.ShiftedBetaGeo`'s summary (Wald on the log scale, from
        the observed information). constant / empirical: binomial standard errors
        ``sqrt(r (1 - r) / n)`` with ``n`` the customers at risk (pooled, or of period t), and a
        Wald interval on the natural scale clipped to [0, 1].
        """
        if self.sbg_ is not None:
            return self.sbg_.summary(level_)
        at_risk, _ = pooled_transitions(self.survival_table_)
        trials = at_risk.sum(keepdims=True) if self._kind() == "constant" else at_risk
        return binomial_summary(self.params_.to_numpy(), trials, self.params_.index, level_)

    # ------------------------------------------------------------------ predictions
    def predict(self, data: Any = None, horizon: int | None = None, *, interval: float | None = None,
                n_draws: int = 1000, random_seed: Any = None,
                discount_rate: float = 0.10) -> pd.DataFrame:
        """Survival, retention and expected alive customers of a cohort, period by period.

        Parameters
        ----------
        data
            What the cohort size comes from: None (the customers fitted on, summed over
            cohorts), a survival table (its period-0 counts, summed) or a transaction log /
            :class:`~clvkit.data.periods.PeriodPanel` (its customers; nothing is refitted).
        horizon
            Number of periods 0..horizon-1 (default: the periods fitted on plus one), at most
            :data:`MAX_TABLE_PERIODS`.
        interval
            If given (e.g. 0.9), add ``<q>_lower, <q>_upper`` for each quantity: equal-tailed
            intervals over ``n_draws`` parameter draws (sbg: the sBG's asymptotic normal on the
            log scale; constant / empirical: normal draws of the rates with their binomial
            standard errors, clipped to [0, 1]), widened to contain the point value.
        n_draws
            Number of parameter draws for ``interval``: a whole number >= 2, checked even
            without an interval.
        random_seed
            Seed of the draws: the same seed gives the same frame; None is fresh randomness.
        discount_rate
            Not used by these columns (they are undiscounted counts); accepted and checked so
            that every Dwyer model takes the same call. Values are in :meth:`value`.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``period``: ``survival`` S(t), ``retention`` S(t) / S(t - 1) (NaN at 0),
            ``expected_alive`` (cohort size times S(t)), then the bounds if asked.
        """
        self._check_fitted()
        period_discount(discount_rate, self.unit_)
        h = self.n_periods_ + 1 if horizon is None else check_horizon(horizon)
        h = _check_table_horizon(h, horizon, "predict")
        level = check_interval(interval)
        n_draws = check_n_draws(n_draws)
        n = self._cohort_size(data)
        t = np.arange(h)
        point = cohort_quantities(self._survival(t)[None, :], n)
        out = {name: values[0] for name, values in point.items()}
        if level is not None:
            draws = cohort_quantities(self._survival_draws(t, n_draws, random_seed), n)
            for name in list(point):
                lower, upper = draw_bounds(draws[name], out[name], level)
                out[f"{name}_lower"], out[f"{name}_upper"] = lower, upper
        order = [c for name in point for c in (name, f"{name}_lower", f"{name}_upper") if c in out]
        return pd.DataFrame({c: out[c] for c in order}, index=pd.Index(t, name="period"))

    def _cohort_size(self, data: Any) -> float:
        if data is None:
            return float(self.n_obs_)
        if isinstance(data, PeriodPanel) or (isinstance(data, pd.DataFrame) and "date" in data.columns):
            check_same_unit(self.unit_, getattr(data, "unit", None), "a period panel")
            return float(len(period_panel(data, amount=None, unit=self.unit_)))
        check_same_unit(self.unit_, getattr(data, "attrs", {}).get("unit"), "a survival table")
        check_whole_alive(data)
        table = validate_survival(data)
        return float(table.loc[table["period"] == 0, "alive"].sum())

    def _survival_draws(self, t: np.ndarray, n_draws: int, random_seed: Any) -> np.ndarray:
        """S(t) under ``n_draws`` parameter draws, shape ``(n_draws, len(t))``."""
        if self.sbg_ is not None:
            draws = self.sbg_.param_draws(n_draws, random_seed)
            return sbg_math.survival((draws[:, :1], draws[:, 1:]), t[None, :])
        frame = self.summary()
        rates = binomial_draws(frame["estimate"].to_numpy(), frame["std_error"].to_numpy(),
                               n_draws, random_seed)
        if rates.shape[1] == 1:
            rates = np.repeat(rates, len(self.retention_), axis=1)
        return rate_survival(rates, t)

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
        return rate_survival(self.retention_.to_numpy()[None, :], t.ravel())[0].reshape(t.shape)

    def _discounted_sum(self, start: np.ndarray, horizon: int | None, x: float) -> np.ndarray:
        """``sum_{t=start}^{start+H-1} S(t) x^(t-start)`` (H = infinity when ``horizon`` is None).

        Bounded work for any H (see the class Notes): closed forms for constant and empirical
        retention; for sBG the infinite sum when the tail is below 1e-12 of the value, the
        closed form at a zero rate, else a direct sum in chunks of at most
        :data:`MAX_SUM_TERMS` terms in all. Callers guarantee ``x < 1`` when H is infinite.
        """
        start = np.asarray(start, dtype=np.int64)
        if horizon == 0:
            return np.zeros(start.shape)
        total = self._sbg_sum if self.sbg_ is not None else self._rate_sum
        with np.errstate(over="ignore", invalid="ignore"):   # overflow is refused below
            out = total(start, horizon, x)
        if not np.all(np.isfinite(out)):
            over = "an infinite horizon" if horizon is None else f"horizon={horizon:,} periods"
            raise DataError(f"the value overflows: with a discount_rate <= 0 the discounted sum grows "
                            f"without bound over {over}; give a shorter horizon or a rate > 0.")
        return out

    @staticmethod
    def _money(m: float, total: Any) -> Any:
        """``m * total``, refused if it overflows (huge sums at a rate <= 0)."""
        with np.errstate(over="ignore", invalid="ignore"):
            return finite_values(np.multiply(m, total))

    def _sbg_sum(self, start: np.ndarray, horizon: int | None, x: float) -> np.ndarray:
        """sBG: ``S(s) 2F1(1, b+s; a+b+s; x)`` (FH 2010) for H infinite or past the point where
        the tail ``<= x^H / (1 - x)`` of the value is below 1e-12; at ``x = 1`` and ``alpha > 1``
        the closed form ``sum_{t>=n} S(t) = S(n) (a+b+n-1) / (a-1)`` differenced; else a sum."""
        params = self.sbg_.params_.to_numpy()
        alpha, beta = params
        s_start = sbg_math.survival(params, start.astype(float))
        if horizon is None or (x < 1.0 and horizon >= converged_horizon(x, 1.0 / (1.0 - x))):
            return s_start * hyp2f1(1.0, beta + start, alpha + beta + start, x)
        if x == 1.0 and alpha > 1.0 and horizon > 64:
            end = (start + horizon).astype(float)
            s_end = sbg_math.survival(params, end)
            return (s_start * (alpha + beta + start - 1.0) - s_end * (alpha + beta + end - 1.0)) / (alpha - 1.0)
        if horizon * max(start.size, 1) > MAX_SUM_TERMS:
            raise DataError(
                f"horizon={horizon:,} periods needs a direct sum of {horizon * max(start.size, 1):,} "
                f"sBG terms at this discount rate (more than {MAX_SUM_TERMS:,}): give a shorter "
                "horizon, or a discount_rate > 0 (a long horizon then costs nothing: it equals the "
                "infinite one).")
        # the terms T_j = S(s+j) x^j by the recurrence T_{j+1} = T_j x (b+s+j) / (a+b+s+j)
        # (FH 2007 eq. 8), one cumulative product per chunk: bounded memory, and more accurate
        # than betaln at large t (scipy's betaln loses ~1e-10 relative there)
        flat = start.ravel().astype(float)
        term = sbg_math.survival(params, flat)
        total = np.zeros(flat.shape)
        chunk = max(1, CHUNK_TERMS // flat.size)
        for j0 in range(0, horizon, chunk):
            t = flat[:, None] + (j0 + np.arange(min(chunk, horizon - j0), dtype=float))[None, :]
            growth = np.cumprod(x * (beta + t) / (alpha + beta + t), axis=1)
            total += term * (1.0 + growth[:, :-1].sum(axis=1))
            term = term * growth[:, -1]
        return total.reshape(start.shape)

    def _rate_sum(self, start: np.ndarray, horizon: int | None, x: float) -> np.ndarray:
        """Constant / empirical retention: the explicit terms up to period P, then the last rate
        held, a geometric series ``sum_{i<n} (r_P x)^i = (1 - q^n) / (1 - q)`` (n infinite:
        ``1 / (1 - q)``)."""
        rates = self.retention_.to_numpy()
        P, last = len(rates), float(rates[-1])
        q = last * x
        out = np.empty(start.shape, dtype=float)
        for i, s in np.ndenumerate(start):
            s = int(s)
            stop = P if horizon is None else min(s + horizon, P)
            head_t = np.arange(s, max(s, stop))
            head = float(self._survival(head_t) @ (x ** (head_t - s))) if len(head_t) else 0.0
            tail_start = max(s, P)
            n = math.inf if horizon is None else s + horizon - tail_start
            if n <= 0:
                out[i] = head
                continue
            s_tail = self._survival(np.array([tail_start]))[0] * x ** (tail_start - s)
            out[i] = head + s_tail * _geometric(q, n)
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
            Number of periods counted, including the acquisition period; None for all (then
            ``discount_rate`` must be > 0). A finite horizon may take a rate in (-1, 0]. Any
            horizon costs bounded work (see the class Notes).

        Raises
        ------
        clvkit.errors.DataError
            A rate that is not a number > -1 or is above 500% a year, a rate <= 0 with an
            infinite horizon, a negative or non-numeric margin or acquisition cost, a value
            that overflows, an sBG sum of more than :data:`MAX_SUM_TERMS` terms.
        """
        self._check_fitted()
        h = check_horizon(horizon)
        x = period_discount(discount_rate, self.unit_, infinite_horizon=h is None)
        m = self._margin(margin)
        cost = check_amount("acquisition_cost", acquisition_cost, nonnegative=True)
        return float(self._money(m, self._discounted_sum(np.array(0), h, x))) - cost

    def residual_value(self, discount_rate: float, tenure: Any, *, margin: float | None = None,
                       horizon: int | None = None) -> Any:
        """Expected remaining value of a customer still alive ``tenure`` periods after acquisition.

        ``m * sum_{j=0}^{H-1} S(tenure + 1 + j) / S(tenure) / (1 + d)^j``: valued at the start
        of the next period, whose margin (if the customer renews) counts undiscounted. For sBG
        and H = infinity this is ``m * DERL`` with ``renewals = tenure`` (Fader & Hardie 2010).
        Rates and horizons as in :meth:`value`.
        """
        self._check_fitted()
        h = check_horizon(horizon)
        x = period_discount(discount_rate, self.unit_, infinite_horizon=h is None)
        m = self._margin(margin)
        k = np.asarray(tenure)
        if k.dtype.kind not in "iuf":
            raise DataError(f"tenure must be whole numbers >= 0, got {tenure!r}.")
        k = k.astype(float)
        if k.size == 0 or not np.all(np.isfinite(k)) or np.any(k < 0) or np.any(k != np.round(k)):
            raise DataError(f"tenure must be whole numbers >= 0, got {tenure!r}.")
        k = k.astype(np.int64)
        s_k = self._survival(k.ravel()).reshape(k.shape)
        total = self._discounted_sum(k + 1, h, x)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(s_k > 0, self._money(m, total) / np.where(s_k > 0, s_k, 1.0), 0.0)
        out = finite_values(out)
        return float(out) if out.ndim == 0 else out

    def projection(self, discount_rate: float, horizon: int = 10, *, margin: float | None = None,
                   customers: float = 1.0, acquisition_cost: float = 0.0) -> pd.DataFrame:
        """Period-by-period projection of an acquired cohort.

        ``customers`` is the cohort size, a whole number > 0 (default 1: per customer);
        ``acquisition_cost`` is money >= 0 per customer; ``horizon`` is at most
        :data:`MAX_TABLE_PERIODS` rows.

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
        h = _check_table_horizon(check_horizon(horizon), horizon, "a projection")
        n = check_count("customers", customers)
        cost = check_amount("acquisition_cost", acquisition_cost, nonnegative=True)
        t = np.arange(h)
        s = self._survival(t)
        ret = np.concatenate([[np.nan], s[1:] / np.where(s[:-1] > 0, s[:-1], np.nan)])
        with np.errstate(over="ignore", invalid="ignore"):   # overflow is refused below
            pv = finite_values(n * m * s * x ** t)
            cum = finite_values(np.cumsum(pv) - n * cost)
        return pd.DataFrame({
            "survival": s, "retention": ret, "customers": n * s, "margin": n * m * s,
            "discount_factor": x ** t, "present_value": pv, "cumulative_value": cum,
            "value_per_customer": cum / n,
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


    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """Everything needed to rebuild the fitted model, as plain JSON types.

        Holds the constructor arguments, ``params_``, the unit, the provenance, the survival
        table fitted on (records), the rates, the margin, the sBG state (sbg) and each
        customer's lost-for-good status (fitted on a log), so that :meth:`predict`,
        :meth:`value` and :meth:`customer_values` give the same results after
        :func:`clvkit.load`.
        """
        self._check_fitted()
        table = self.survival_table_
        status = None
        if self.status_ is not None:
            status = frame_to_json(self.status_[list(STATUS_COLUMNS)].astype({"cohort": str}))
        return {
            **self._state_header(),
            "n_periods": int(self.n_periods_),
            "retention": [float(v) for v in self.retention_],
            "survival_table": [{"cohort": str(c), "period": int(p), "alive": float(a)}
                               for c, p, a in zip(table["cohort"], table["period"], table["alive"],
                                                  strict=True)],
            "margin": None if self.margin_ is None else float(self.margin_),
            "sbg": None if self.sbg_ is None else self.sbg_.to_dict(),
            "status": status,
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> Self:
        """Rebuild a fitted model from :meth:`to_dict` output, validating what it holds.

        Raises
        ------
        clvkit.errors.DataError
            Missing keys (named), retention rates outside [0, 1], a margin that is not a finite
            number >= 0, an invalid survival table or sBG state.
        """
        require_keys(cls.__name__, state, ("params", "unit", "retention", "survival_table", "margin"))
        try:
            model = cls(**state.get("init", {}))
        except TypeError as exc:
            raise DataError(f"{cls.__name__}: the model file's init is not valid ({exc}).") from None
        unit = check_unit(state["unit"])
        try:
            params = pd.Series(state["params"], dtype=float).rename("estimate")
            rates = np.asarray(state["retention"], dtype=float).ravel()
        except (TypeError, ValueError):
            raise DataError(f"{cls.__name__}: params and retention must be numbers, got "
                            f"{state['params']!r} and {state['retention']!r}.") from None
        bad = ~np.isfinite(rates) | (rates < 0) | (rates > 1)
        if rates.size == 0 or bad.any():
            raise DataError(f"{cls.__name__}: retention rates must be probabilities in [0, 1]: "
                            f"{int(bad.sum())} of {rates.size} are not.")
        table = pd.DataFrame(state["survival_table"])
        table.attrs["unit"] = unit
        table = validate_survival(table)
        table.attrs["unit"] = unit
        margin = state["margin"]
        margin = None if margin is None else check_amount("margin", margin, nonnegative=True)
        sbg_model = None
        if state.get("sbg") is not None:
            sbg_model = ShiftedBetaGeo.from_dict(state["sbg"])
            if list(params.index) != ["alpha", "beta"]:
                raise DataError(f"{cls.__name__}: an sBG model file must have params alpha, beta; "
                                f"got {list(params.index)}.")
        elif "alpha" in params.index:
            raise DataError(f"{cls.__name__}: params alpha, beta need the sBG state ('sbg').")
        status = None
        if state.get("status") is not None:
            status = frame_from_json(state["status"], STATUS_COLUMNS, "status")
            status["cohort"] = pd.PeriodIndex(status["cohort"].to_numpy(), freq=unit)
            status[["observed", "tenure"]] = status[["observed", "tenure"]].astype(np.int64)
            status["alive"] = status["alive"].astype(bool)
        n_periods = int(state.get("n_periods", int(table["period"].max())))
        model.status_ = status
        model.unit_ = unit
        model.survival_table_ = table
        model.n_periods_ = n_periods
        model.margin_ = margin
        model.sbg_ = sbg_model
        model.retention_ = pd.Series(rates, index=pd.Index(np.arange(1, rates.size + 1), name="period"),
                                     name="retention")
        model.n_obs_ = float(state.get("n_obs", table.loc[table["period"] == 0, "alive"].sum()))
        model.converged_ = bool(state.get("converged", True))
        model.data_provenance_ = state.get("data_provenance", {})
        model.params_ = params
        return model
