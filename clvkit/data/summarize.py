"""From a transaction log to the per-customer summary (frequency, recency, T, monetary_value).

The summary follows the BTYD tradition (Fader, Hardie & Lee 2005; lifetimes'
``summary_data_from_transaction_data``):

- events in the same calendar ``grain`` (by default the same day) merge into one purchase, whose
  amount is the sum of theirs;
- ``frequency`` is the number of purchases minus one (repeat purchases);
- ``recency`` is the time from the first to the last purchase, ``T`` the time from the first
  purchase to the end of (calibration) observation, both in whole days between the grain-floored
  dates divided by the length of ``unit`` in days (a week is exactly 7 days);
- ``monetary_value`` is the mean amount of the repeat purchases (0 without any).

Everything is computed with one sort and a few vectorised reductions over the whole log: there
is no per-customer Python loop, so ten million rows take seconds.
Checked by tests/published/test_cdnow_summary.py (the published CDNOW summary) and
tests/oracle/test_summarize_lifetimes.py (lifetimes on the full CDNOW log).
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from clvkit.data.customer_data import CustomerData
from clvkit.data.transactions import AMOUNT, CUSTOMER, DATE, parse_bound, validate_transactions
from clvkit.data.units import DAYS_PER_UNIT, check_unit
from clvkit.errors import DataError, DataWarning, plain

__all__ = ["GRAINS", "summarize"]

#: Calendar grains at which events merge into one purchase (``None``: no merging).
GRAINS: tuple[str, ...] = ("D", "W", "M", "Q", "Y")

_US_PER_DAY = 86_400_000_000  # ticks per day when grain is None (microsecond resolution)


def summarize(
    tx: pd.DataFrame,
    customer: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = "amount",
    unit: str = "W",
    grain: str | None = "D",
    end: Any = None,
    calibration_end: Any = None,
    date_format: str | None = None,
) -> CustomerData:
    """Summarise a transaction log into one row per customer.

    Parameters
    ----------
    tx
        One row per transaction; checked by
        :func:`clvkit.data.transactions.validate_transactions` (bad rows raise a
        :class:`~clvkit.errors.DataError`, nothing is dropped silently).
    customer, date
        Columns holding the customer id and the transaction date (``datetime64``, strings, or
        ``YYYYMMDD`` integers).
    amount
        Column holding the transaction value, or ``None``: then the summary has no
        ``monetary_value`` (nor ``monetary_value_holdout``) column.
    unit
        The ruler for ``recency``, ``T`` and ``duration_holdout``: ``"D"``, ``"W"`` (7 days),
        ``"M"`` (365.25/12 days), ``"Q"`` or ``"Y"`` (365.25 days).
    grain
        Events whose dates fall in the same calendar ``grain`` merge into one purchase (their
        amounts are summed): ``"D"`` same day, ``"W"`` same Monday-to-Sunday week, ``"M"``,
        ``"Q"``, ``"Y"`` same calendar month, quarter, year; ``None`` merges nothing. Every date,
        ``end`` and ``calibration_end`` included, is floored to the start of its grain period
        before durations are taken, so with a grain durations are whole days; with ``None``
        they are exact (to the microsecond).
    end
        End of observation (a date, a string, or a ``YYYYMMDD`` integer). Default: the last
        date in the log. Transactions after it are left out of the summary (not an error): a
        :class:`~clvkit.errors.DataWarning` says how many, and ``provenance`` counts them.
    calibration_end
        Optional end of the calibration period, ``<= end``. Then ``T`` runs to
        ``calibration_end``, customers whose first purchase comes after it are left out
        (counted in ``provenance``), and the holdout columns ``frequency_holdout`` (purchases
        in ``(calibration_end, end]``), ``monetary_value_holdout`` (their mean amount, 0 if
        none) and ``duration_holdout`` (``end - calibration_end`` in ``unit``) are added.
    date_format
        ``format`` for :func:`pandas.to_datetime` when dates are strings or integers; also
        used to read ``end`` and ``calibration_end`` given as strings or integers.

    Returns
    -------
    CustomerData
        ``frame`` is indexed by customer id (index name ``"customer_id"``, sorted where the ids
        can be sorted), with columns ``frequency`` (int64), ``recency``, ``T``,
        ``monetary_value``, then ``frequency_holdout`` (int64), ``monetary_value_holdout``,
        ``duration_holdout``. ``end`` and ``calibration_end`` are the grain-floored dates the
        durations were measured to. ``provenance`` holds ``n_transactions`` (rows of the log),
        ``n_transactions_in_window`` (on or before ``end``), ``n_purchases_after_merge`` (in the
        window), ``merged`` (transactions merged away), ``left_out_after_end``,
        ``customers_first_seen_after_end``, ``customers_first_seen_after_calibration``,
        ``n_customers``, ``grain``, ``unit`` and ``time_zone`` (of tz-aware dates, which are
        summarised in local wall-clock time).

    Raises
    ------
    clvkit.errors.DataError
        (also a ``ValueError``) for a bad log (see ``validate_transactions``), an unknown
        ``unit`` or ``grain``, an unparseable ``end`` / ``calibration_end``,
        ``calibration_end`` after ``end``, or a window that holds no customer.

    Notes
    -----
    Agrees with lifetimes' ``summary_data_from_transaction_data(..., freq="D",
    freq_multiplier=7)`` for ``unit="W", grain="D"`` and reproduces the published CDNOW
    calibration summary of Fader, Hardie & Lee (2005).

    Examples
    --------
    >>> from clvkit.data.datasets import load_cdnow
    >>> data = summarize(load_cdnow(sample=True), unit="W", grain="D",
    ...                  calibration_end="1997-09-30", end="1998-06-30")
    >>> len(data), int(data.frame["frequency"].sum())
    (2357, 2457)
    >>> round(float(data.frame["duration_holdout"].iloc[0]), 6)
    39.0
    """
    unit = check_unit(unit)
    grain = _check_grain(grain)
    clean = validate_transactions(tx, customer, date, amount, date_format=date_format)

    dates = clean[DATE]
    tz = dates.dt.tz
    if tz is not None:
        dates = dates.dt.tz_localize(None)  # local wall-clock time: a "day" is a local day
    end_ts = parse_bound(end, "end", date_format, tz)
    cal_ts = parse_bound(calibration_end, "calibration_end", date_format, tz)

    ticks = _floor_ticks(dates.to_numpy(), grain)
    per_day = 1 if grain is not None else _US_PER_DAY
    end_tick = int(ticks.max()) if end_ts is None else int(_floor_ticks(_one(end_ts), grain)[0])
    if cal_ts is not None:
        last = end_ts if end_ts is not None else dates.max()
        if cal_ts > last:
            which = "end" if end_ts is not None else "end (the last transaction date; end was not given)"
            raise DataError(
                f"calibration_end={cal_ts} is after {which}={last}: 1 date out of order. The "
                "calibration period must end on or before the end of observation.")
    cal_tick = None if cal_ts is None else int(_floor_ticks(_one(cal_ts), grain)[0])

    codes, uniques = _factorize(clean[CUSTOMER])
    n_tx = len(clean)
    in_window = ticks <= end_tick
    n_in = int(in_window.sum())
    n_after_end = n_tx - n_in
    if n_in == 0:
        raise DataError(
            f"all {n_tx} transactions are after end={_show(end_tick, grain)} "
            f"(first at index {plain(clean.index[0])!r}); there is nothing to summarise. Check end.")
    amounts = clean[AMOUNT].to_numpy(dtype=np.float64) if amount is not None else None

    # -------------------------------------------------------------- merge into purchases
    if n_after_end:
        c, t = codes[in_window], ticks[in_window]
        a = amounts[in_window] if amounts is not None else None
    else:
        c, t, a = codes, ticks, amounts
    order, c, t = _sort_by_customer_time(c, t)
    if order is not None and a is not None:
        a = a[order]
    if grain is None:
        starts = np.arange(len(c))
    else:
        new = np.ones(len(c), dtype=bool)
        new[1:] = (c[1:] != c[:-1]) | (t[1:] != t[:-1])
        starts = np.flatnonzero(new)
    pc, pt = c[starts], t[starts]
    pa = np.add.reduceat(a, starts) if a is not None else None
    n_purchases = len(pc)
    n_window_customers = int(np.count_nonzero(np.bincount(pc, minlength=len(uniques))))

    # -------------------------------------------------------------- calibration summary
    horizon_tick = end_tick if cal_tick is None else cal_tick
    cal = pt <= horizon_tick
    cc, ct = pc[cal], pt[cal]
    if len(cc) == 0:
        raise DataError(
            f"no customer made a purchase on or before calibration_end={cal_ts} "
            f"(0 of {n_window_customers} customers; the first purchase is on "
            f"{_show(int(pt.min()), grain)}). Move calibration_end later.")
    first = np.ones(len(cc), dtype=bool)
    first[1:] = cc[1:] != cc[:-1]
    cstarts = np.flatnonzero(first)
    cends = np.append(cstarts[1:], len(cc)) - 1
    ids = cc[cstarts]                               # customer codes in the frame, ascending
    count = cends - cstarts + 1
    first_t, last_t = ct[cstarts], ct[cends]
    scale = per_day * DAYS_PER_UNIT[unit]

    columns: dict[str, np.ndarray] = {
        "frequency": (count - 1).astype(np.int64),
        "recency": (last_t - first_t) / scale,
        "T": (horizon_tick - first_t) / scale,
    }
    if pa is not None:
        repeat_amounts = np.where(first, 0.0, pa[cal])
        repeat_sum = np.add.reduceat(repeat_amounts, cstarts)
        columns["monetary_value"] = _mean_or_zero(repeat_sum, count - 1)

    # -------------------------------------------------------------- holdout
    if cal_tick is not None:
        hold = ~cal
        n_codes = len(uniques)
        h_count = np.bincount(pc[hold], minlength=n_codes)[ids]
        columns["frequency_holdout"] = h_count.astype(np.int64)
        if pa is not None:
            h_sum = np.bincount(pc[hold], weights=pa[hold], minlength=n_codes)[ids]
            columns["monetary_value_holdout"] = _mean_or_zero(h_sum, h_count)
        columns["duration_holdout"] = np.full(len(ids), (end_tick - cal_tick) / scale)

    index = pd.Index(uniques.take(ids), name="customer_id")
    frame = pd.DataFrame(columns, index=index)

    provenance: dict[str, Any] = {
        "source": "summarize",
        "n_transactions": n_tx,
        "n_transactions_in_window": n_in,
        "n_purchases_after_merge": n_purchases,
        "merged": n_in - n_purchases,
        "left_out_after_end": n_after_end,
        "customers_first_seen_after_end": len(uniques) - n_window_customers,
        "customers_first_seen_after_calibration": n_window_customers - len(ids),
        "n_customers": len(frame),
        "grain": grain,
        "unit": unit,
        "time_zone": None if tz is None else str(tz),
    }
    if n_after_end:
        warnings.warn(
            f"left out {n_after_end} of {n_tx} transactions dated after end={_show(end_tick, grain)} "
            f"(see provenance['left_out_after_end']); they are outside the observation window.",
            DataWarning, stacklevel=2)
    return CustomerData(
        frame=frame,
        unit=unit,
        grain=grain,
        end=_tick_date(end_tick, grain),
        calibration_end=None if cal_tick is None else _tick_date(cal_tick, grain),
        provenance=provenance,
    )


# ---------------------------------------------------------------------------------- helpers
def _check_grain(grain: str | None) -> str | None:
    if grain is None:
        return None
    if not isinstance(grain, str) or grain.upper() not in GRAINS:
        raise DataError(
            f"grain must be one of {list(GRAINS)} or None (no merging), got {grain!r}; "
            "it names the calendar period in which events merge into one purchase.")
    return grain.upper()


def _one(ts: pd.Timestamp) -> np.ndarray:
    return np.array([ts.to_datetime64()])


def _floor_ticks(values: np.ndarray, grain: str | None) -> np.ndarray:
    """Integer ticks of datetime64 values floored to ``grain``: days, or microseconds for None."""
    if grain is None:
        return values.astype("datetime64[us]").astype(np.int64)
    if grain == "D":
        return values.astype("datetime64[D]").astype(np.int64)
    if grain == "W":  # Monday-to-Sunday weeks; 1970-01-01 (day 0) was a Thursday
        days = values.astype("datetime64[D]").astype(np.int64)
        return days - (days + 3) % 7
    if grain == "Y":
        return values.astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    months = values.astype("datetime64[M]").astype(np.int64)
    if grain == "Q":
        months = months - months % 3
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _tick_date(tick: int, grain: str | None) -> pd.Timestamp:
    unit = "us" if grain is None else "D"
    return pd.Timestamp(np.datetime64(int(tick), unit))


def _show(tick: int, grain: str | None) -> str:
    """A tick as text for messages: the day, or the full time without a grain."""
    ts = _tick_date(tick, grain)
    return str(ts.date()) if grain is not None else str(ts)


def _factorize(ids: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of customer ids, numbered in sorted order of the ids where they sort."""
    codes, uniques = pd.factorize(ids, sort=False)
    try:
        rank_order = uniques.argsort()
    except TypeError:  # ids of mixed types: keep first-seen order
        return codes.astype(np.int64), pd.Index(uniques)
    rank = np.empty(len(rank_order), dtype=np.int64)
    rank[rank_order] = np.arange(len(rank_order))
    return rank[codes], pd.Index(uniques).take(rank_order)


def _sort_by_customer_time(
    c: np.ndarray, t: np.ndarray
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Sort rows by (customer code, tick): the order (None if already sorted), sorted c and t.

    Sorts one int64 key ``c * span + t``; when the ticks span too much for that (grain None,
    microseconds) they are first replaced by their ranks among the distinct ticks.
    """
    if len(c) < 2:
        return None, c, t
    t0 = int(t.min())
    span = int(t.max()) - t0 + 1
    distinct = None
    if (int(c.max()) + 1) * span >= 2**62:
        distinct, rel = np.unique(t, return_inverse=True)
        span = len(distinct)
    else:
        rel = t - t0
    key = c * span + rel
    if np.all(key[1:] >= key[:-1]):
        return None, c, t
    order = np.argsort(key)
    key = key[order]
    c_sorted, rel_sorted = np.divmod(key, span)
    t_sorted = distinct[rel_sorted] if distinct is not None else rel_sorted + t0
    return order, c_sorted, t_sorted


def _mean_or_zero(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    out = np.zeros(len(total), dtype=np.float64)
    np.divide(total, count, out=out, where=count > 0)
    return out
