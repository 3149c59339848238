"""Period data for Dwyer's models: activity panels and cohort survival tables.

A *period panel* cuts a transaction log into calendar periods (months ``M``, quarters ``Q`` or
years ``Y``) and records, for each customer and period, how many transactions they made and
what they spent. Two views of it feed the Dwyer (1989) models:

- **lost-for-good** (:func:`cohort_survival`, :func:`lost_for_good_status`): a customer is
  acquired in the period of their first purchase and stays "alive" while they buy in every
  following period; the first period without a purchase ends the relationship for good.
- **always-a-share** (:func:`recency_transitions`, :func:`recency_state`): each period a
  customer sits in a recency state k = periods since their last purchase (capped at K) and
  buys or not (Pfeifer & Carraway 2000; Berger & Nasr 1998).

Checked by tests/unit/test_periods.py.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clvkit.data.transactions import parse_bound, validate_transactions
from clvkit.errors import DataError, DataWarning, fail_rows

__all__ = [
    "PERIOD_UNITS",
    "PeriodPanel",
    "cohort_survival",
    "lost_for_good_status",
    "period_panel",
    "recency_state",
    "recency_transitions",
    "validate_survival",
]

#: Calendar periods a panel can be cut into, with their pandas Period frequency.
PERIOD_UNITS: dict[str, str] = {"M": "M", "Q": "Q", "Y": "Y"}


def check_period_unit(unit: str) -> str:
    """Return ``unit`` upper-cased if it is ``M``, ``Q`` or ``Y``; else raise a DataError."""
    if not isinstance(unit, str) or unit.upper() not in PERIOD_UNITS:
        raise DataError(f"period unit must be one of {list(PERIOD_UNITS)} (month, quarter, year), "
                        f"got {unit!r}.")
    return unit.upper()


@dataclass
class PeriodPanel:
    """Customer x period activity cut from a transaction log.

    Attributes
    ----------
    purchases : pandas.DataFrame
        Transactions per customer (rows, indexed by customer id) and period (columns: a
        ``PeriodIndex``), int64.
    amount : pandas.DataFrame
        Total spend per customer and period (0 where nothing was bought), same shape.
    first_period : pandas.Series
        Position (0-based column number) of each customer's acquisition period.
    unit : str
        ``"M"``, ``"Q"`` or ``"Y"``.
    provenance : dict
        Counts: transactions read, left out after ``end`` or in an incomplete last period.
    """

    purchases: pd.DataFrame
    amount: pd.DataFrame
    first_period: pd.Series
    unit: str
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def periods(self) -> pd.PeriodIndex:
        """The calendar periods (columns), oldest first."""
        return pd.PeriodIndex(self.purchases.columns)

    @property
    def active(self) -> np.ndarray:
        """Boolean matrix (customers x periods): at least one purchase."""
        return self.purchases.to_numpy() > 0

    def __len__(self) -> int:
        return len(self.purchases)

    def __repr__(self) -> str:
        p = self.periods
        span = f"{p[0]}..{p[-1]}" if len(p) else "no periods"
        return (f"<clvkit PeriodPanel: {len(self):,} customers x {len(p)} periods ({span}), "
                f"unit={self.unit!r}>")


def period_panel(tx: pd.DataFrame | PeriodPanel, customer: Hashable = "customer_id",
                 date: Hashable = "date", amount: Hashable | None = "amount", *, unit: str = "Q",
                 end: Any = None) -> PeriodPanel:
    """Cut a transaction log into a customer x calendar-period activity panel.

    Parameters
    ----------
    tx
        One row per transaction (a :class:`PeriodPanel` is returned as is).
    customer, date, amount
        Column names; ``amount=None`` when the log has no spend (amounts are then 0).
    unit
        ``"M"`` (calendar months), ``"Q"`` (quarters) or ``"Y"`` (years).
    end
        Last day of observation (inclusive): a date, a string or a ``YYYYMMDD`` integer, in
        1900-01-01..2200-12-31 like the dates; default: the last transaction date. Transactions
        after it are left out, and so is a last period that ``end`` cuts short (with a
        :class:`~clvkit.errors.DataWarning`: a half-observed period would look like churn).

    Returns
    -------
    PeriodPanel
        Periods run from the one holding the first transaction to the last complete one.

    Raises
    ------
    clvkit.errors.DataError
        For a bad log (see :func:`~clvkit.data.transactions.validate_transactions`), an
        unknown unit, or when no complete period remains.
    """
    if isinstance(tx, PeriodPanel):
        return tx
    unit = check_period_unit(unit)
    clean = validate_transactions(tx, customer=customer, date=date, amount=amount)
    n_read = len(clean)
    dates = clean["date"]
    tz = getattr(dates.dt, "tz", None)
    if tz is not None:
        dates = dates.dt.tz_localize(None)
    end_ts = dates.max().normalize() if end is None else parse_bound(end, "end", None, tz)
    after = dates.dt.normalize() > end_ts
    freq = PERIOD_UNITS[unit]
    period = dates.dt.to_period(freq)
    last = end_ts.to_period(freq)
    incomplete = 0
    if (last.end_time.normalize() > end_ts):
        incomplete = int(((period == last) & ~after).sum())
        if incomplete:
            warnings.warn(f"left out {incomplete} of {n_read} transactions in the incomplete last "
                          f"period {last} (observation ends {end_ts.date()}); a half-observed "
                          "period would look like churn.", DataWarning, stacklevel=2)
        last = last - 1
    keep = (~after) & (period <= last)
    if not keep.any():
        raise DataError(f"no complete {unit} period in the log up to {end_ts.date()} "
                        f"({n_read} transactions); use a shorter unit or a later end.")
    ids = clean.loc[keep, "customer"]
    per = period[keep]
    first = per.min()
    codes = np.asarray(per.array.asi8, dtype=np.int64) - first.ordinal
    n_periods = int(last.ordinal - first.ordinal) + 1
    cust_codes, cust_index = pd.factorize(ids, sort=True)
    n_cust = len(cust_index)
    flat = cust_codes * n_periods + codes
    counts = np.bincount(flat, minlength=n_cust * n_periods).reshape(n_cust, n_periods)
    if amount is not None:
        spend = np.bincount(flat, weights=clean.loc[keep, "amount"].to_numpy(dtype=float),
                            minlength=n_cust * n_periods).reshape(n_cust, n_periods)
    else:
        spend = np.zeros((n_cust, n_periods))
    columns = pd.period_range(first, periods=n_periods, freq=freq)
    index = pd.Index(cust_index, name="customer_id" if customer is None else str(customer))
    purchases = pd.DataFrame(counts.astype(np.int64), index=index, columns=columns)
    amounts = pd.DataFrame(spend, index=index, columns=columns)
    first_period = pd.Series((counts > 0).argmax(axis=1), index=index, name="first_period")
    provenance = {"transactions": n_read, "after_end": int(after.sum()),
                  "incomplete_period": incomplete, "end": str(end_ts.date()), "unit": unit}
    return PeriodPanel(purchases, amounts, first_period, unit, provenance)


def _check_panel(panel: Any) -> PeriodPanel:
    """DataError unless ``panel`` is a PeriodPanel with at least one customer and one period."""
    if not isinstance(panel, PeriodPanel):
        raise DataError(f"expected a PeriodPanel (from clvkit.data.periods.period_panel), "
                        f"got {type(panel).__name__}.")
    if panel.purchases.ndim != 2 or panel.purchases.shape[0] == 0 or panel.purchases.shape[1] == 0:
        raise DataError(f"the period panel is empty ({panel.purchases.shape[0]} customers x "
                        f"{panel.purchases.shape[1] if panel.purchases.ndim == 2 else 0} periods); "
                        "there is nothing to count. Build it with period_panel() from a non-empty log.")
    return panel


def _check_states(states: Any) -> None:
    if isinstance(states, bool | np.bool_) or not isinstance(states, int | np.integer) or states < 1:
        raise DataError(f"states must be a whole number >= 1, got {states!r}.")


def lost_for_good_status(panel: PeriodPanel) -> pd.DataFrame:
    """Each customer's cohort, tenure and status under the lost-for-good rule.

    A customer is acquired in the period of their first purchase (period 0 of their cohort)
    and survives period k if they bought in every period 1..k after it; the first period
    without a purchase ends the relationship.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer: ``cohort`` (acquisition period), ``observed`` (periods observed
        after acquisition), ``tenure`` (consecutive periods bought after acquisition) and
        ``alive`` (True if the customer bought in every observed period: ``tenure ==
        observed``; their future is right-censored).
    """
    active = _check_panel(panel).active
    n_periods = active.shape[1]
    first = panel.first_period.to_numpy()
    observed = n_periods - 1 - first
    # shift each row so that column 0 is the acquisition period
    cols = first[:, None] + np.arange(n_periods)[None, :]
    inside = cols < n_periods
    aligned = np.zeros_like(active)
    aligned[inside] = active[np.nonzero(inside)[0], cols[inside]]
    # tenure: number of leading True after position 0
    after = aligned[:, 1:] | ~inside[:, 1:]
    if n_periods > 1:
        run = np.where(after.all(axis=1), n_periods - 1, np.argmin(after, axis=1))
    else:
        run = np.zeros(len(first), dtype=np.int64)
    tenure = np.minimum(run, observed)
    return pd.DataFrame({
        "cohort": panel.periods[first],
        "observed": observed.astype(np.int64),
        "tenure": tenure.astype(np.int64),
        "alive": tenure == observed,
    }, index=panel.purchases.index)


def cohort_survival(panel: PeriodPanel) -> pd.DataFrame:
    """Customers of each acquisition cohort still alive k periods later (lost-for-good rule).

    Parameters
    ----------
    panel
        From :func:`period_panel`.

    Returns
    -------
    pandas.DataFrame
        Long table with columns ``cohort`` (acquisition period, as a string), ``period`` (k =
        0, 1, ... periods after acquisition, up to the last observed one) and ``alive``
        (customers of the cohort who bought in every period 1..k). ``frame.attrs["unit"]``
        holds the period unit. This is the input :class:`~clvkit.ShiftedBetaGeo` and
        :class:`~clvkit.LostForGood` fit on.
    """
    status = lost_for_good_status(_check_panel(panel))
    rows = []
    for cohort, group in status.groupby("cohort", sort=True, observed=True):
        horizon = int(group["observed"].iloc[0])
        tenure = group["tenure"].to_numpy()
        for k in range(horizon + 1):
            rows.append((str(cohort), k, int((tenure >= k).sum())))
    out = pd.DataFrame(rows, columns=["cohort", "period", "alive"])
    out.attrs["unit"] = panel.unit
    return out


def validate_survival(data: pd.DataFrame, periods: int | None = None) -> pd.DataFrame:
    """Check an alive-count table and return it in long form ``cohort, period, alive``.

    Accepts one cohort (columns ``period, alive``, as
    :func:`clvkit.data.datasets.load_retention_example` returns) or many (``cohort, period,
    alive``, as :func:`cohort_survival` returns). ``periods`` keeps periods ``<= periods``
    (e.g. 7 to fit years 1..7 and hold out the rest).

    Raises
    ------
    clvkit.errors.DataError
        Missing columns; NaN, negative or infinite counts; a cohort without period 0, with
        gaps in its periods or duplicated periods; counts that increase over time (under
        lost-for-good nobody comes back); a cohort of size 0; fewer than one period after
        period 0 ("too few periods").
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"expected a DataFrame with columns period, alive (and optionally cohort), "
                        f"got {type(data).__name__}.")
    missing = [c for c in ("period", "alive") if c not in data.columns]
    if missing:
        raise DataError(f"survival table lacks column(s) {missing}; it has {list(data.columns)}. "
                        "Expected period, alive (one cohort) or cohort, period, alive.")
    repeated = sorted({str(c) for c in ("cohort", "period", "alive")
                       if c in data.columns and isinstance(data[c], pd.DataFrame)})
    if repeated:
        raise DataError(f"column(s) {repeated} appear more than once in the survival table "
                        f"(columns {list(data.columns)}); each needs exactly one column.")
    if len(data) == 0:
        raise DataError("the survival table is empty (0 rows): give period 0 and at least period 1 "
                        "of each cohort.")
    frame = pd.DataFrame({
        "cohort": data["cohort"].astype(str) if "cohort" in data.columns else "all",
        "period": pd.to_numeric(data["period"], errors="coerce"),
        "alive": pd.to_numeric(data["alive"], errors="coerce").astype(float),
    })
    frame.index = data.index
    fail_rows(frame, frame["period"].isna() | frame["alive"].isna(), "period/alive",
              "is NaN or not a number", "Every row needs a numeric period and alive count.")
    fail_rows(frame, ~np.isfinite(frame["alive"]), "alive", "is infinite")
    fail_rows(frame, ~np.isfinite(frame["period"].to_numpy(dtype=float)), "period", "is infinite")
    fail_rows(frame, frame["alive"] < 0, "alive", "is negative",
              "alive counts customers still active; they cannot be negative.")
    fail_rows(frame, frame["alive"] != np.round(frame["alive"]), "alive", "is not a whole number of customers",
              "alive counts the customers of a cohort still active; give counts, not shares (a share times "
              "the cohort size).")
    per = frame["period"].to_numpy(dtype=float)
    fail_rows(frame, (per < 0) | (per != np.round(per)), "period",
              "is not a whole number >= 0", "Periods count 0, 1, 2, ... since acquisition.")
    frame["period"] = frame["period"].astype(np.int64)
    fail_rows(frame, frame.duplicated(["cohort", "period"]), "period",
              "is duplicated within its cohort")
    if periods is not None:
        if not isinstance(periods, (int, np.integer)) or periods < 1:
            raise DataError(f"periods must be a whole number >= 1 (the last period to use), "
                            f"got {periods!r}.")
        frame = frame[frame["period"] <= periods]
    frame = frame.sort_values(["cohort", "period"], kind="stable")
    for cohort, group in frame.groupby("cohort", sort=False):
        p = group["period"].to_numpy()
        alive = group["alive"].to_numpy()
        if len(p) == 0 or p[0] != 0:
            raise DataError(f"cohort {cohort!r} has no period 0 (its size at acquisition); "
                            f"periods given: {p.tolist()[:10]}.")
        if np.any(np.diff(p) != 1):
            raise DataError(f"cohort {cohort!r} has gaps in its periods: {p.tolist()[:20]}; "
                            "give every period from 0 to the last observed one.")
        if alive[0] <= 0:
            raise DataError(f"cohort {cohort!r} has {alive[0]} customers at period 0; "
                            "a cohort needs at least one customer.")
        up = np.diff(alive) > 0
        if up.any():
            i = int(np.flatnonzero(up)[0])
            raise DataError(
                f"column 'alive' increases in {int(up.sum())} of {len(p) - 1} steps of cohort "
                f"{cohort!r} (first: {alive[i]:g} at period {p[i]} -> {alive[i + 1]:g} at period "
                f"{p[i + 1]}); under lost-for-good nobody comes back, so survival cannot rise. "
                "Check the table, or use AlwaysAShare for customers who return.")
    if frame.groupby("cohort")["period"].max().max() < 1:
        raise DataError("too few periods: the survival table has only period 0, so there is no "
                        "retention to estimate; give at least periods 0 and 1.")
    out = frame.reset_index(drop=True)
    out.attrs = dict(getattr(data, "attrs", {}))
    return out


def recency_transitions(panel: PeriodPanel, states: int) -> pd.DataFrame:
    """Purchase opportunities and purchases per recency state (always-a-share data).

    In every period after a customer's acquisition period, the customer starts in recency
    state ``k`` = periods since their last purchase before that period (1 = bought in the
    previous period), capped at ``states`` (state K means "K or more"); they then buy (at
    least one transaction in the period) or not. Pfeifer & Carraway (2000), section 3.

    Returns
    -------
    pandas.DataFrame
        Indexed by state 1..K: ``opportunities`` (customer-periods started in the state),
        ``purchases`` (of which bought) and ``p`` (their ratio, NaN if no opportunity).
    """
    _check_states(states)
    active = _check_panel(panel).active
    n_periods = active.shape[1]
    first = panel.first_period.to_numpy()
    opp = np.zeros(states + 1)
    buy = np.zeros(states + 1)
    last = first.copy()
    for t in range(1, n_periods):
        started = first < t
        state = np.minimum(t - last[started], states)
        bought = active[started, t]
        opp += np.bincount(state, minlength=states + 1)
        buy += np.bincount(state, weights=bought, minlength=states + 1)
        idx = np.flatnonzero(started)[bought]
        last[idx] = t
    with np.errstate(invalid="ignore", divide="ignore"):
        p = buy[1:] / opp[1:]
    return pd.DataFrame({"opportunities": opp[1:].astype(np.int64),
                         "purchases": buy[1:].astype(np.int64), "p": p},
                        index=pd.RangeIndex(1, states + 1, name="state"))


def recency_state(panel: PeriodPanel, states: int) -> pd.Series:
    """Each customer's recency state at the end of the panel, capped at ``states``.

    The state for the period after the last observed one: 1 if the customer bought in the
    last period, 2 if their last purchase was one period before, ..., ``states`` for
    ``states`` or more periods ago.
    """
    _check_states(states)
    active = _check_panel(panel).active
    n_periods = active.shape[1]
    last_buy = n_periods - 1 - np.argmax(active[:, ::-1], axis=1)
    state = np.minimum(n_periods - last_buy, states)
    return pd.Series(state.astype(np.int64), index=panel.purchases.index, name="state")
