"""The numbers behind the diagnostic plots of purchase models (drawn by clvkit.plotting.events).

Each function returns a DataFrame, so a plot's data can be read, tested and exported:

- :func:`period_transactions`: customers by number of repeat purchases in calibration, actual
  vs expected under the model (Fader, Hardie & Lee 2005, "Counting your customers the easy
  way", Figure 3);
- :func:`tracking_table`: cumulative and per-period repeat transactions of the whole cohort
  over calendar time, actual vs expected (FHL 2005, Figures 1 and 2);
- :func:`expected_purchases_matrix`, :func:`p_alive_matrix`: frequency x recency grids for a
  customer observed for T (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves",
  Figures 3-4);
- :func:`p_alive_history`: one customer's P(alive) recomputed day by day from their purchases;
- :func:`lorenz_curve`, :func:`gini`: concentration of customer value.

Checked by tests/unit/test_plot_events.py.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from clvkit.data.customer_data import CustomerData, as_customer_data
from clvkit.data.transactions import CUSTOMER, DATE, validate_transactions
from clvkit.data.units import DAYS_PER_UNIT
from clvkit.errors import DataError, plain
from clvkit.models._event import check_horizon

__all__ = [
    "expected_purchases_matrix",
    "gini",
    "lorenz_curve",
    "p_alive_history",
    "p_alive_matrix",
    "period_transactions",
    "tracking_table",
]

_DAY = pd.Timedelta(days=1)


def _check_model(model: Any) -> Any:
    """A fitted purchase model of any family (MLE or Bayesian), or a :class:`DataError`."""
    from clvkit.evaluate.metrics import check_purchase_model

    return check_purchase_model(model)


#: posterior draws averaged for a Bayesian model's new-customer quantities.
_BAYES_DRAWS = 500


def _new_customer(model: Any, name: str, *args: Any) -> Any:
    """``purchase_pmf(n, t)`` or ``expected_purchases_new(t)`` of a just-acquired customer.

    An MLE model plugs in its estimate; a Bayesian one (``point_is_posterior_mean``) gives the
    posterior mean over evenly thinned draws, evaluated by the maths module of its MLE twin.
    """
    if not getattr(model, "point_is_posterior_mean", False):
        return getattr(model, name)(*args)
    maths = getattr(model, "maths", None)
    if maths is None:
        from clvkit._contract import MODELS

        twin = MODELS.get(str(getattr(model, "qualified_name", "")).split(".")[-1])
        maths = getattr(twin.cls, "maths", None) if twin is not None else None
    if maths is None:
        raise DataError(f"{type(model).__name__} has no maths module for new-customer quantities ({name}).")
    draws = model._parameter_draws(_BAYES_DRAWS, 0)
    return np.mean([np.asarray(getattr(maths, name)(p, *args), dtype=float) for p in draws], axis=0)


def _predicted(model: Any, cd: CustomerData, column: str, horizon: float = 1.0) -> np.ndarray:
    """One column of ``model.predict`` (posterior means for a Bayesian model)."""
    return model.predict(cd, horizon)[column].to_numpy(dtype=float)


def _frequency_classes(max_frequency: int) -> list[str]:
    if int(max_frequency) != max_frequency or max_frequency < 1:
        raise DataError(f"max_frequency must be a whole number >= 1, got {max_frequency!r}.")
    k = int(max_frequency)
    return [str(i) for i in range(k)] + [f"{k}+"]


# ---------------------------------------------------------------------------------- period transactions
def period_transactions(model: Any, data: CustomerData | pd.DataFrame,
                        max_frequency: int = 7) -> pd.DataFrame:
    """Customers by number of repeat purchases in calibration: actual vs model.

    The model column is ``sum_i P(X(T_i) = k)`` over customers, with ``P(X(t) = k)`` the
    model's purchase distribution for a customer acquired at time 0 (BG/NBD: FHL 2005 eq. 8)
    and ``T_i`` each customer's own observation time (``n_periods`` for BG/BB). The last class
    pools ``max_frequency`` and more: ``n_i - sum_{k < K} P(X = k)``.

    Returns
    -------
    DataFrame indexed by class (``"0"``, ..., ``"7+"``) with ``actual`` and ``model`` counts;
    both columns sum to the number of customers.
    """
    model = _check_model(model)
    labels = _frequency_classes(max_frequency)
    k = len(labels) - 1
    cd = as_customer_data(data, unit=model.unit_)
    exposure = model.columns[-1]
    cd.require(["frequency", exposure], "period_transactions")
    x = cd.column("frequency")
    w = cd.weights()
    actual = np.bincount(np.minimum(x, k).astype(int), weights=w, minlength=k + 1)
    times = cd.column(exposure)
    expected = np.zeros(k + 1)
    counts = np.arange(k, dtype=float)
    for value in np.unique(times):
        n_here = float(w[times == value].sum())
        pmf = np.atleast_1d(_new_customer(model, "purchase_pmf", counts, float(value)))
        expected[:k] += n_here * pmf
        expected[k] += n_here * max(1.0 - float(pmf.sum()), 0.0)
    return pd.DataFrame({"actual": actual, "model": expected}, index=pd.Index(labels, name="frequency"))


# ---------------------------------------------------------------------------------- transaction logs
def _purchases(tx: pd.DataFrame, customer: Hashable, date: Hashable, grain: str | None,
               date_format: str | None) -> pd.DataFrame:
    """Purchases of a log, events in the same grain merged: columns customer, date (floored)."""
    clean = validate_transactions(tx, customer, date, None, date_format=date_format)
    dates = clean[DATE]
    if dates.dt.tz is not None:
        dates = dates.dt.tz_localize(None)
    if grain is not None:
        g = str(grain).upper()
        if g == "D":
            dates = dates.dt.floor("D")
        elif g in ("W", "M", "Q", "Y"):
            dates = dates.dt.to_period(g).dt.start_time
        else:
            raise DataError(f"grain must be one of D, W, M, Q, Y or None, got {grain!r}.")
    frame = pd.DataFrame({"customer": clean[CUSTOMER].to_numpy(), "date": dates.to_numpy()})
    if grain is not None:
        frame = frame.drop_duplicates()
    return frame.sort_values(["customer", "date"], kind="stable").reset_index(drop=True)


def _timestamp(value: Any, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(str(value)) if isinstance(value, int | np.integer) else pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name}={value!r} is not a date ({exc}); pass e.g. {name}='1997-09-30'.") from exc
    if pd.isna(ts):
        raise DataError(f"{name} is not a date; pass e.g. {name}='1997-09-30'.")
    return ts.tz_localize(None) if ts.tzinfo is not None else ts


def tracking_table(model: Any, tx: pd.DataFrame, calibration_end: Any, end: Any = None, *,
                   customer: Hashable = "customer_id", date: Hashable = "date", grain: str | None = "D",
                   date_format: str | None = None) -> pd.DataFrame:
    """Repeat transactions of the cohort per period of calendar time: actual vs expected.

    The cohort is every customer whose first purchase is on or before ``calibration_end`` (the
    customers a model fitted on the calibration summary knows). Time is cut into periods of
    one model unit (a week for ``unit="W"``) starting on the cohort's first purchase day.
    The actual count at the end of period k includes the purchases made on its last day
    ``d_k``. The expected count is ``sum_i E[X(T_ik)]`` over customers acquired by then, with
    ``T_ik = d_k - f_i`` (``f_i`` customer i's first purchase day) measured exactly as
    :func:`clvkit.summarize` measures T with ``end = d_k``, and ``E[X(t)]`` the model's
    unconditional expectation for a just-acquired customer
    (:meth:`EventModel.expected_purchases_new`; BG/NBD: FHL 2005 eq. 9). So at the end of
    calibration the expected count is the sum of ``E[X(T_i)]`` over the calibration summary.
    Customers acquired on the same day share one evaluation.

    Parameters
    ----------
    model
        A fitted continuous-time purchase model (unit = the period length).
    tx
        Transaction log (one row per transaction).
    calibration_end, end
        End of calibration and of observation (default: the last date in the log).
    customer, date, grain, date_format
        As in :func:`clvkit.summarize`: events in the same ``grain`` merge into one purchase.

    Returns
    -------
    DataFrame indexed by ``period`` (1, 2, ...) with ``period_end`` (exclusive: the first day
    after the period), ``actual_cumulative``, ``expected_cumulative``, ``actual_incremental``,
    ``expected_incremental`` and ``calibration`` (True for periods that end on or before
    the calibration end). ``attrs["calibration_periods"]`` is the calibration length in periods.
    """
    model = _check_model(model)
    if model.columns[-1] != "T":
        raise DataError(f"tracking needs a continuous-time model (with T); {type(model).__name__} is discrete.")
    purchases = _purchases(tx, customer, date, grain, date_format)
    cal = _timestamp(calibration_end, "calibration_end").floor("D")
    stop = purchases["date"].max().floor("D") if end is None else _timestamp(end, "end").floor("D")
    if cal > stop:
        raise DataError(f"calibration_end={cal.date()} is after end={stop.date()}; 1 date out of order.")
    purchases = purchases[purchases["date"] < stop + _DAY]
    first = purchases.groupby("customer", sort=False)["date"].transform("min")
    cohort = first <= cal + (_DAY - pd.Timedelta(1, "ns"))
    if not cohort.any():
        raise DataError(f"no customer made a first purchase on or before calibration_end={cal.date()}.")
    purchases, first = purchases[cohort], first[cohort]
    repeat_dates = purchases["date"][purchases["date"] > first].to_numpy()
    unit_days = DAYS_PER_UNIT[model.unit_]
    start = first.min().floor("D")
    span = (stop + _DAY - start) / pd.Timedelta(days=unit_days)
    n_periods = int(np.ceil(span - 1e-9))
    edges = start + pd.to_timedelta(np.arange(1, n_periods + 1) * unit_days, unit="D")
    actual = np.searchsorted(np.sort(repeat_dates), edges.to_numpy(), side="left").astype(float)
    first_days, n_first = np.unique(first.groupby(purchases["customer"]).first().to_numpy(),
                                    return_counts=True)
    # T of a customer at the end of period k, measured as summarize(end=<last day of period k>) does
    last_days = (edges - _DAY).to_numpy()
    age = (last_days[None, :] - first_days[:, None]) / np.timedelta64(1, "D") / unit_days
    value = np.asarray(_new_customer(model, "expected_purchases_new", np.maximum(age, 0.0).ravel())).reshape(
        age.shape)
    expected = n_first.astype(float) @ value
    table = pd.DataFrame({
        "period_end": edges,
        "actual_cumulative": actual,
        "expected_cumulative": expected,
        "actual_incremental": np.diff(actual, prepend=0.0),
        "expected_incremental": np.diff(expected, prepend=0.0),
        "calibration": edges <= cal + _DAY,
    }, index=pd.RangeIndex(1, n_periods + 1, name="period"))
    table.attrs["calibration_periods"] = float((cal + _DAY - start) / pd.Timedelta(days=unit_days))
    table.attrs["unit"] = model.unit_
    return table


def p_alive_history(model: Any, tx: pd.DataFrame, customer_id: Hashable, end: Any = None, *,
                    customer: Hashable = "customer_id", date: Hashable = "date", grain: str | None = "D",
                    date_format: str | None = None) -> pd.DataFrame:
    """One customer's P(alive) recomputed at each day from their purchases up to that day.

    On day d (``first < d <= end``) the customer's summary is what :func:`clvkit.summarize`
    would give with ``end=d``: ``frequency`` = repeat purchases on or before d, ``recency`` =
    last purchase minus first, ``T`` = d minus first, in the model's unit. P(alive) jumps up
    at each purchase and decays between them.

    Returns
    -------
    DataFrame indexed by ``date`` with ``frequency, recency, T, p_alive`` and a boolean
    ``purchase`` (a purchase on that day).
    """
    model = _check_model(model)
    if model.columns[-1] != "T":
        raise DataError(f"p_alive_history needs a continuous-time model (with T); {type(model).__name__} is "
                        "discrete.")
    purchases = _purchases(tx, customer, date, grain, date_format)
    mine = purchases.loc[purchases["customer"] == customer_id, "date"]
    if mine.empty:
        raise DataError(f"customer {plain(customer_id)!r} has no transaction in column {customer!r} "
                        f"(0 of {purchases['customer'].nunique()} customers match).")
    first = mine.iloc[0].floor("D")
    stop = purchases["date"].max().floor("D") if end is None else _timestamp(end, "end").floor("D")
    if stop <= first:
        raise DataError(f"end={stop.date()} is not after customer {plain(customer_id)!r}'s first purchase "
                        f"({first.date()}); there is no history to show.")
    days = pd.date_range(first + _DAY, stop, freq="D")
    times = mine[mine <= stop + _DAY - pd.Timedelta(1, "ns")].to_numpy()
    unit_days = DAYS_PER_UNIT[model.unit_]
    # number of purchases on or before the end of each day (first purchase included)
    n_by_day = np.searchsorted(times, (days + _DAY).to_numpy(), side="left")
    last = times[n_by_day - 1]
    frame = pd.DataFrame({
        "frequency": (n_by_day - 1).astype(np.int64),
        "recency": (pd.DatetimeIndex(last).floor("D") - first) / pd.Timedelta(days=unit_days),
        "T": (days - first) / pd.Timedelta(days=unit_days),
    }, index=pd.Index(days, name="date"))
    frame["p_alive"] = _predicted(model, CustomerData(frame=frame, unit=model.unit_), "p_alive")
    frame["purchase"] = np.isin(days.to_numpy(), pd.DatetimeIndex(times).floor("D").to_numpy())
    return frame


# ---------------------------------------------------------------------------------- heat maps
def _grid(model: Any, T: float, max_frequency: int, n_recency: int) -> tuple[CustomerData, np.ndarray,
                                                                                 np.ndarray]:
    T = check_horizon(T, "T")
    if T <= 0:
        raise DataError("T must be > 0: the grid describes customers observed for T time units.")
    if int(max_frequency) != max_frequency or max_frequency < 1:
        raise DataError(f"max_frequency must be a whole number >= 1, got {max_frequency!r}.")
    exposure = model.columns[-1]
    if exposure == "T":
        if int(n_recency) != n_recency or n_recency < 2:
            raise DataError(f"n_recency must be a whole number >= 2, got {n_recency!r}.")
        recency = np.linspace(0.0, T, int(n_recency))
    else:  # discrete opportunities: recency is a whole number of periods
        recency = np.arange(0.0, np.floor(T) + 1.0)
    frequency = np.arange(0.0, int(max_frequency) + 1.0)
    xx, rr = np.meshgrid(frequency, recency, indexing="ij")
    ok = ~((xx == 0) & (rr > 0))
    if exposure != "T":  # at most one transaction per opportunity: x <= t_x
        ok &= xx <= rr
    frame = pd.DataFrame({"frequency": xx[ok].astype(np.int64), "recency": rr[ok], exposure: T})
    return CustomerData(frame=frame, unit=model.unit_), ok, recency


def _matrix(values: np.ndarray, ok: np.ndarray, recency: np.ndarray) -> pd.DataFrame:
    out = np.full(ok.shape, np.nan)
    out[ok] = values
    return pd.DataFrame(out, index=pd.Index(np.arange(ok.shape[0]), name="frequency"),
                        columns=pd.Index(recency, name="recency"))


def expected_purchases_matrix(model: Any, T: float, horizon: float, max_frequency: int = 20,
                              n_recency: int = 40) -> pd.DataFrame:
    """Expected purchases in the next ``horizon`` for every (frequency, recency) of a customer observed for T.

    Rows are frequency 0..``max_frequency``, columns ``n_recency`` recencies evenly spaced on
    [0, T] (whole periods 0..T for discrete models). Cells that cannot occur are NaN:
    frequency 0 with recency > 0, and for discrete models (BG/BB) frequency > recency.
    Fader, Hardie & Lee (2005, JMR 42(4)), Figure 3.
    """
    model = _check_model(model)
    cd, ok, recency = _grid(model, T, max_frequency, n_recency)
    return _matrix(_predicted(model, cd, "expected_purchases", check_horizon(horizon)), ok, recency)


def p_alive_matrix(model: Any, T: float, max_frequency: int = 20, n_recency: int = 40) -> pd.DataFrame:
    """P(alive) for every (frequency, recency) of a customer observed for T (grid as in
    :func:`expected_purchases_matrix`)."""
    model = _check_model(model)
    cd, ok, recency = _grid(model, T, max_frequency, n_recency)
    return _matrix(_predicted(model, cd, "p_alive"), ok, recency)


# ---------------------------------------------------------------------------------- concentration
def _values(values: Any) -> np.ndarray:
    if isinstance(values, pd.DataFrame):
        if "clv" not in values.columns:
            raise DataError(f"expected a 'clv' column (the output of clvkit.clv), got {list(values.columns)}.")
        values = values["clv"]
    v = np.asarray(values, dtype=float).ravel()
    if len(v) == 0:
        raise DataError("no values: the Lorenz curve needs at least one customer.")
    bad = ~np.isfinite(v) | (v < 0)
    if bad.any():
        raise DataError(f"values are negative, NaN or infinite in {int(bad.sum())} of {len(v)} rows "
                        f"(first: {plain(v[bad][0])!r}); a Lorenz curve needs values >= 0.")
    if v.sum() <= 0:
        raise DataError("all values are 0: there is no value whose concentration could be shown.")
    return v


def lorenz_curve(values: Any) -> pd.DataFrame:
    """Lorenz curve of customer values (e.g. CLV): share of value held by the lowest share of customers.

    Lorenz (1905), "Methods of measuring the concentration of wealth", JASA 9(70). Points
    ``(k/n, sum of the k smallest values / total)`` for k = 0..n.

    Parameters
    ----------
    values
        Values >= 0 per customer, or the DataFrame returned by :func:`clvkit.clv` (its ``clv``
        column is used).
    """
    v = np.sort(_values(values))
    n = len(v)
    return pd.DataFrame({"share_of_customers": np.arange(n + 1) / n,
                         "share_of_value": np.concatenate([[0.0], np.cumsum(v) / v.sum()])})


def gini(values: Any) -> float:
    """Gini coefficient: one minus twice the area under the Lorenz curve (trapezoids).

    Gini (1912); for n values this equals ``sum_i sum_j |v_i - v_j| / (2 n^2 mean)``.
    0 when everyone is worth the same, approaching 1 when one customer holds everything.
    """
    curve = lorenz_curve(values)
    x = curve["share_of_customers"].to_numpy()
    y = curve["share_of_value"].to_numpy()
    return float(1.0 - np.sum(np.diff(x) * (y[1:] + y[:-1])))
