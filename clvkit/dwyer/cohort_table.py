"""cohort_table: the textbook year-by-year lifetime-value table of an acquired cohort."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from clvkit.data.units import check_discount_rate
from clvkit.dwyer._checks import MAX_AMOUNT, check_amount, check_count
from clvkit.errors import DataError, plain

#: Most orders per customer per year a table takes (with money capped at 1e15, no product overflows).
MAX_ORDERS = 1e6


def cohort_table(customers: float, retention: Sequence[float] | float,
                 orders: Sequence[float] | float, order_value: Sequence[float] | float,
                 cost_rate: Sequence[float] | float, discount_rate: float, *,
                 acquisition_cost: float = 0.0,
                 marketing_cost: Sequence[float] | float = 0.0) -> pd.DataFrame:
    """Year-by-year lifetime value of a cohort, as laid out in database-marketing textbooks.

    Year 1 starts with ``customers`` acquired; a share ``retention[t]`` of year t's customers
    are still customers in year t + 1. Each year:

    - ``revenue = customers * orders_per_customer * average_order_value``
    - ``variable_cost = cost_rate * revenue``
    - ``marketing_cost = acquisition_cost * customers`` in year 1 and ``marketing_cost[t] *
      customers`` in later years (money per customer of that year)
    - ``profit = revenue - variable_cost - marketing_cost`` (Hughes prints it as "gross profit")
    - ``discount_factor = 1 / (1 + discount_rate)^(year - 1)`` (year 1 undiscounted: its
      profit is taken as received at the start; the textbooks print the divisor
      ``(1 + d)^(year - 1)``, e.g. 1, 1.2, 1.44 at 20%)
    - ``npv = profit * discount_factor``; ``cumulative_npv``; ``ltv = cumulative_npv /
      acquired customers`` (the lifetime value per acquired customer after that many years).

    Parameters
    ----------
    customers
        Customers acquired (year 1): a whole number >= 1.
    retention
        Retention rate of each year (share of that year's customers kept into the next), one
        per year or one fewer (the last year's rate does not change the table); a single
        number is used for every year. Each argument is a number or a flat, non-empty sequence
        of numbers (strings, empty lists and 2-D tables are refused with a DataError naming it).
    orders, order_value, cost_rate
        Orders per customer (at most 1e6), average order value (money, at most 1e15) and variable
        cost as a share of revenue, per year (or one number for all years). The number of years
        is the longest of these.
    discount_rate
        Annual effective discount rate, checked by :func:`clvkit.data.units.check_discount_rate`
        (> -1; a warning above 1 = 100% a year, an error above 5 = 500%).
    acquisition_cost
        Money spent per acquired customer in year 1 (>= 0; default 0).
    marketing_cost
        Money spent per retained customer in each later year: one number for every year after
        the first, or one per year (the year-1 entry is then ignored: year 1's marketing is the
        acquisition cost). Default 0.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``year`` 1..H with columns ``customers, retention_rate, orders_per_customer,
        average_order_value, revenue, variable_cost, marketing_cost, profit, discount_factor,
        npv, cumulative_npv, ltv``.

    Notes
    -----
    The layout of Hughes (2005), "Strategic Database Marketing", and of CRM textbooks such as
    Buttle & Maklan (2019), "Customer Relationship Management: Concepts and Technologies":
    a lost-for-good (Dwyer 1989) retention model with year-varying spend. Checked against a
    hand computation in tests/published/test_cohort_table.py.

    Examples
    --------
    >>> t = cohort_table(customers=20_000, retention=[0.40, 0.45, 0.50], orders=[1.8, 2.6, 3.6],
    ...                  order_value=[85, 95, 105], cost_rate=[0.50, 0.45, 0.40], discount_rate=0.20)
    >>> t["ltv"].round(2).tolist()
    [76.5, 121.78, 150.13]

    Hughes's example, with $55 of acquisition cost and $20 a year per retained customer:

    >>> h = cohort_table(customers=100_000, retention=[0.6, 0.7], orders=[1.8, 2.5, 3.0],
    ...                  order_value=[90, 95, 100], cost_rate=[0.70, 0.65, 0.65], discount_rate=0.16,
    ...                  acquisition_cost=55, marketing_cost=20)
    >>> h["profit"].round().tolist(), h["ltv"].round().tolist()
    ([-640000.0, 3787500.0, 3570000.0], [-6.0, 26.0, 53.0])
    """
    n0 = check_count("customers", customers)
    raw = {name: _as_1d(name, values) for name, values in (
        ("retention", retention), ("orders", orders), ("order_value", order_value),
        ("cost_rate", cost_rate))}
    years = max(raw[name].size for name in ("orders", "order_value", "cost_rate"))
    orders_ = _at_most("orders", _per_year("orders", raw["orders"], years, low=0.0), MAX_ORDERS,
                       "orders per customer and year")
    value_ = _at_most("order_value", _per_year("order_value", raw["order_value"], years, low=0.0), MAX_AMOUNT,
                      "money per order; check the units of the amount")
    cost_ = _per_year("cost_rate", raw["cost_rate"], years, low=0.0, high=1.0)
    ret = raw["retention"]
    if ret.size == years - 1 and years > 1:
        ret = np.append(ret, np.nan)
    ret = _per_year("retention", ret, years, low=0.0, high=1.0, allow_nan_last=True)
    d = check_discount_rate(discount_rate)
    n = n0 * np.concatenate([[1.0], np.cumprod(ret[:-1])])
    revenue = n * orders_ * value_
    cost = cost_ * revenue
    acquisition = check_amount("acquisition_cost", acquisition_cost, nonnegative=True)
    later = _as_1d("marketing_cost", marketing_cost)
    if later.size == years - 1 and years > 1:
        later = np.concatenate([[0.0], later])
    later = _per_year("marketing_cost", later, years, low=0.0)
    marketing = n * np.where(np.arange(years) == 0, acquisition, later)
    profit = revenue - cost - marketing
    year = np.arange(1, years + 1)
    factor = (1.0 + d) ** -(year - 1.0)
    npv = profit * factor
    cum = np.cumsum(npv)
    return pd.DataFrame({
        "customers": n, "retention_rate": ret, "orders_per_customer": orders_,
        "average_order_value": value_, "revenue": revenue, "variable_cost": cost,
        "marketing_cost": marketing, "profit": profit,
        "discount_factor": factor, "npv": npv, "cumulative_npv": cum, "ltv": cum / n0,
    }, index=pd.Index(year, name="year"))


def _as_1d(name: str, values: Any) -> np.ndarray:
    """One number or a flat sequence of numbers as a float array; a DataError naming ``name``
    for an empty sequence, a table (2-D) or anything that is not numbers (strings included)."""
    arr = np.asarray(values) if not isinstance(values, pd.Series | pd.DataFrame) else values.to_numpy()
    if arr.dtype.kind not in "iuf":
        raise DataError(f"{name} must be a number or a sequence of numbers (one per year), got "
                        f"{values!r}.")
    if arr.ndim > 1:
        raise DataError(f"{name} must be a number or a flat sequence (one value per year), got an "
                        f"array of shape {arr.shape}; give one row, e.g. {name}[0].")
    if arr.size == 0:
        raise DataError(f"{name} is empty; give one value per year or a single number for all "
                        "years.")
    return arr.astype(float).ravel()


def _per_year(name: str, arr: np.ndarray, years: int, *, low: float, high: float = np.inf,
              allow_nan_last: bool = False) -> np.ndarray:
    if arr.size == 1:
        arr = np.full(years, arr[0])
    if arr.size != years:
        raise DataError(f"{name} has {arr.size} values but the table has {years} years; give one "
                        "value per year or a single number.")
    check = arr[:-1] if allow_nan_last and np.isnan(arr[-1]) else arr
    bad = ~np.isfinite(check) | (check < low) | (check > high)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        span = f"[{low:g}, {high:g}]" if np.isfinite(high) else f">= {low:g}"
        raise DataError(f"{name} must be finite and {span}: {int(bad.sum())} of {arr.size} years are "
                        f"not (first: year {i + 1}, {name} = {plain(check[i])!r}).")
    return arr


def _at_most(name: str, arr: np.ndarray, limit: float, what: str) -> np.ndarray:
    """``arr``, or a DataError when a year exceeds ``limit`` (products of such values overflow)."""
    over = arr > limit
    if over.any():
        i = int(np.flatnonzero(over)[0])
        raise DataError(f"{name} is above {limit:.0e} ({what}) in {int(over.sum())} of {arr.size} years "
                        f"(first: year {i + 1}, {name} = {plain(arr[i])!r}).")
    return arr
