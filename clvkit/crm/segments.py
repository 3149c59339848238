"""CRM segmentations of a per-customer table: ABC classes, the customer pyramid, RFM (the matrices: matrices.py).

Every function is a pure pandas function: it takes per-customer Series (or a frame) indexed by
customer id and returns a DataFrame in the same order, so the result joins back onto the input.
Nothing is fitted; the value columns can be anything (historical revenue, expected CLV, margin).

Sources: the 80/20 (Pareto) rule, ABC classes, the customer pyramid, RFM scores, the customer
value matrix and the customer profitability matrix are the segmentations taught in CRM courses,
e.g. Kumar & Reinartz, *Customer Relationship Management: Concept, Strategy, and Tools*
(Springer). The net-sales-value x cost-to-serve grid goes back to Shapiro, Rangan, Moriarty &
Ross (1987), "Manage customers for profits (not just sales)", *Harvard Business Review* 65(5).
The rules the literature leaves open (ties, boundaries, quintiles with few distinct values,
segment names per RFM cell) are stated in each docstring and checked by
``tests/unit/test_crm_segments.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from clvkit.errors import DataError, fail_rows, plain

__all__ = [
    "RFM_SEGMENTS",
    "abc_classes",
    "concentration",
    "customer_pyramid",
    "lorenz_curve",
    "rfm_scores",
    "rfm_segment",
    "rfm_table",
]

_TOL = 1e-9


# ----------------------------------------------------------------------------- checks
def _values(values: Any, name: str, *, allow_empty: bool = False) -> pd.Series:
    """``values`` as a float Series named ``name``; NaN, infinite or negative entries raise."""
    if isinstance(values, pd.DataFrame):
        raise DataError(f"{name!r} must be one column (a Series), got a DataFrame with columns "
                        f"{list(values.columns)}; pass frame[{name!r}].")
    series = values.copy() if isinstance(values, pd.Series) else pd.Series(values)
    if series.name is None:
        series.name = name
    column = str(series.name)
    try:
        series = series.astype(float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"column {column!r} must be numeric, got dtype {series.dtype}.") from exc
    if len(series) == 0 and not allow_empty:
        raise DataError(f"column {column!r} is empty; there are no customers to segment.")
    fail_rows(series, series.isna(), column, "is missing (NaN)",
              "Fill or drop those customers first; a segment needs a value for everyone.")
    fail_rows(series, np.isinf(series.to_numpy()), column, "is infinite")
    fail_rows(series, series < 0, column, "is negative",
              "These segmentations rank shares of a non-negative total (revenue, CLV); "
              "clip or remove negative values, or rank a non-negative column.")
    return series


def _check_shares(shares: Sequence[float], name: str) -> np.ndarray:
    arr = np.asarray(shares, dtype=float)
    if arr.ndim != 1 or len(arr) == 0 or np.any(~np.isfinite(arr)) or np.any(arr <= 0):
        raise DataError(f"{name} must be positive fractions, got {tuple(shares)!r}.")
    if abs(arr.sum() - 1.0) > 1e-6:
        raise DataError(f"{name} must add up to 1, got {tuple(shares)!r} (sum {plain(arr.sum()):.6g}).")
    return arr


def _sorted_blocks(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``series`` sorted by value descending (stable), and each sorted row's tie block start."""
    order = np.argsort(-series.to_numpy(), kind="stable")
    v = series.to_numpy()[order]
    new_block = np.r_[True, v[1:] != v[:-1]]
    block_start = np.maximum.accumulate(np.where(new_block, np.arange(len(v)), 0))
    return order, block_start


def _unsort(order: np.ndarray, sorted_values: np.ndarray) -> np.ndarray:
    out = np.empty_like(sorted_values)
    out[order] = sorted_values
    return out


# ----------------------------------------------------------------------------- Pareto / ABC
def abc_classes(values: pd.Series, shares: Sequence[float] = (0.8, 0.15, 0.05)) -> pd.DataFrame:
    """Pareto (ABC) classes: A holds the first 80% of value, B the next 15%, C the rest.

    Customers are sorted by value, largest first; ``cumulative_share`` is the share of total
    value held by a customer and everyone ranked above them. With the default ``shares`` the
    A customers together hold the first 80% of value, B the next 15% and C the last 5%
    (Pareto's 80/20 rule as used in CRM, e.g. Kumar & Reinartz, *Customer Relationship
    Management*).

    Parameters
    ----------
    values
        Non-negative value per customer (revenue to date, CLV, margin), indexed by customer.
        NaN, infinite or negative values raise a :class:`~clvkit.errors.DataError`.
    shares
        Share of total value each class covers, highest class first; must add up to 1. Classes
        are named ``A, B, C, ...`` in this order.

    Returns
    -------
    pandas.DataFrame
        In the input's order, with columns ``value``, ``rank`` (1 = largest; equal values in
        input order), ``cumulative_share`` and ``abc_class`` (ordered categorical, A first).

    Notes
    -----
    Boundary rule: a customer whose value straddles a boundary goes to the higher class. A
    customer is in A when the value held by everyone ranked above them is below 80% of the
    total, in B when it is below 95%, otherwise in C (so the class of a customer depends on
    the share *before* them; with 80/15/5 the A customers hold at least 80% of the value).
    A customer who starts exactly at a boundary (the customers above hold exactly 80%) is in
    the lower class; shares are compared with a tolerance of 1e-9.

    Tie rule: customers with equal value form one block and all get the class of the first of
    them, i.e. a tie straddling a boundary goes to the higher class as a whole. Their ``rank``
    and ``cumulative_share`` still follow input order.

    If every value is zero there is no share to rank and a DataError is raised.

    Examples
    --------
    >>> import pandas as pd
    >>> abc_classes(pd.Series([50.0, 30.0, 10.0, 6.0, 4.0], index=list("abcde")))["abc_class"].tolist()
    ['A', 'A', 'B', 'B', 'C']
    """
    series = _values(values, "value")
    cuts = np.cumsum(_check_shares(shares, "shares"))
    total = series.sum()
    if total <= 0:
        raise DataError(f"column {series.name!r} sums to zero over {len(series)} customers; ABC classes "
                        "need a positive total value.")
    order, block_start = _sorted_blocks(series)
    v = series.to_numpy()[order]
    cum = np.cumsum(v) / total
    before = np.r_[0.0, cum[:-1]]
    # class index = number of cut points already reached before the customer's block starts
    cls = np.searchsorted(cuts[:-1] - _TOL, before[block_start], side="right")
    labels = [chr(ord("A") + i) for i in range(len(cuts))]
    return pd.DataFrame(
        {
            "value": series.to_numpy(),
            "rank": _unsort(order, np.arange(1, len(v) + 1)),
            "cumulative_share": _unsort(order, cum),
            "abc_class": pd.Categorical.from_codes(_unsort(order, cls), categories=labels, ordered=True),
        },
        index=series.index,
    )


_PYRAMID = (("VIP", 0.01), ("large", 0.04), ("medium", 0.15), ("small", 0.80))


def customer_pyramid(values: pd.Series, tiers: Sequence[tuple[str, float]] = _PYRAMID) -> pd.DataFrame:
    """The customer pyramid: tiers by share of customers (top 1% by value VIP, next 4% large, ...).

    Parameters
    ----------
    values
        Non-negative value per customer, indexed by customer (NaN or negative raise a
        :class:`~clvkit.errors.DataError`).
    tiers
        ``(name, share of customers)`` pairs, top tier first; the shares must add up to 1.
        Default: VIP 1%, large 4%, medium 15%, small 80% (the pyramid of CRM courses, e.g.
        Kumar & Reinartz, *Customer Relationship Management*).

    Returns
    -------
    pandas.DataFrame
        In the input's order, with columns ``value``, ``rank`` (1 = largest, equal values in
        input order) and ``tier`` (ordered categorical, top tier first).

    Notes
    -----
    Boundary rule: with ``n`` customers, the customer at rank ``i`` is in the first tier whose
    cumulative share ``c`` satisfies ``(i - 1) / n < c``: a customer straddling a boundary goes
    to the higher tier, so a tier gets ``ceil(c * n)`` customers in total, minus those above
    it (100 customers: rank 1 VIP, 2-5 large, 6-20 medium, 21-100 small; 150 customers: ranks
    1-2 VIP since 1% of 150 is 1.5).

    Tie rule: customers with equal value form one block and get the tier of the first of them,
    so a tie at a boundary goes to the higher tier as a whole (a tier can then hold more than
    its share).

    Examples
    --------
    >>> import pandas as pd
    >>> customer_pyramid(pd.Series(range(100, 0, -1)))["tier"].value_counts(sort=False).tolist()
    [1, 4, 15, 80]
    """
    names = [str(name) for name, _ in tiers]
    if len(set(names)) != len(names):
        raise DataError(f"tier names must be distinct, got {names}.")
    cuts = np.cumsum(_check_shares([share for _, share in tiers], "tier shares"))
    series = _values(values, "value")
    n = len(series)
    order, block_start = _sorted_blocks(series)
    before = block_start / n  # share of customers ranked above the block's first customer
    tier = np.searchsorted(cuts[:-1] - _TOL, before, side="right")
    return pd.DataFrame(
        {
            "value": series.to_numpy(),
            "rank": _unsort(order, np.arange(1, n + 1)),
            "tier": pd.Categorical.from_codes(_unsort(order, tier), categories=names, ordered=True),
        },
        index=series.index,
    )


def lorenz_curve(values: pd.Series) -> pd.DataFrame:
    """Share of customers (largest first) against the share of value they hold, from (0, 0).

    Returns a frame with columns ``customer_share`` and ``value_share`` of ``n + 1`` rows;
    :func:`concentration` reads it at ``top`` and :func:`clvkit.plotting.crm_segments.plot_abc`
    draws it.
    """
    series = _values(values, "value")
    total = series.sum()
    if total <= 0:
        raise DataError(f"column {series.name!r} sums to zero; there is no value to concentrate.")
    v = np.sort(series.to_numpy())[::-1]
    n = len(v)
    return pd.DataFrame({"customer_share": np.arange(n + 1) / n, "value_share": np.r_[0.0, np.cumsum(v) / total]})


def concentration(values: pd.Series, top: float = 0.2) -> float:
    """Share of total value held by the top ``top`` share of customers (the 80/20 check).

    Parameters
    ----------
    values
        Non-negative value per customer (NaN or negative raise a :class:`~clvkit.errors.DataError`).
    top
        Share of customers, in (0, 1]: 0.2 asks what the best 20% of customers hold.

    Returns
    -------
    float
        A number in [top, 1] (the best customers hold at least their head-count share). Pareto's
        rule of thumb says about 0.8 for ``top=0.2``.

    Notes
    -----
    The Lorenz curve (customers sorted by value, largest first) is read at ``top`` with linear
    interpolation, so when ``top * n`` is not a whole number the next customer counts with the
    fractional part (10 customers, ``top=0.25``: the best two plus half of the third). Ties do
    not matter. Zero total value raises a DataError.

    Examples
    --------
    >>> import pandas as pd
    >>> concentration(pd.Series([60.0, 20.0, 10.0, 5.0, 5.0]), top=0.2)
    0.6
    """
    top = float(top)
    if not (0.0 < top <= 1.0):
        raise DataError(f"top must be a share of customers in (0, 1], got {top!r}.")
    curve = lorenz_curve(values)
    return float(np.interp(top, curve["customer_share"], curve["value_share"]))


# ----------------------------------------------------------------------------- RFM
#: The named RFM segments: ``name: ((R low, R high), (FM low, FM high))``, inclusive score ranges.
#: The 25 cells of the R x FM grid belong to exactly one segment each.
RFM_SEGMENTS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "Champions": ((5, 5), (4, 5)),
    "Loyal": ((3, 4), (4, 5)),
    "Potential loyalist": ((4, 5), (2, 3)),
    "New customers": ((5, 5), (1, 1)),
    "Promising": ((4, 4), (1, 1)),
    "Need attention": ((3, 3), (3, 3)),
    "About to sleep": ((3, 3), (1, 2)),
    "At risk": ((1, 2), (3, 4)),
    "Can't lose them": ((1, 2), (5, 5)),
    "Hibernating": ((2, 2), (1, 2)),
    "Lost": ((1, 1), (1, 2)),
}


def _quintile(values: pd.Series, higher_is_better: bool) -> np.ndarray:
    """Scores 1..5 from average ranks: ``floor(5 * (rank - 1/2) / n) + 1``, rank 1 = worst."""
    key = values if higher_is_better else -values
    rank2 = (2 * key.rank(method="average")).round().astype(np.int64).to_numpy()  # twice the rank: an integer
    n2 = 2 * len(values)
    return np.clip((5 * (rank2 - 1)) // n2 + 1, 1, 5)


def rfm_segment(r_score: Any, fm_score: Any) -> Any:
    """Name of the RFM segment of an R score and an FM score (scalars or array-likes of 1..5).

    See :data:`RFM_SEGMENTS` and :func:`rfm_scores` for the table.

    Examples
    --------
    >>> rfm_segment(5, 5), rfm_segment(1, 5), rfm_segment(1, 1)
    ('Champions', "Can't lose them", 'Lost')
    """
    r = np.asarray(r_score)
    fm = np.asarray(fm_score)
    if np.any((r < 1) | (r > 5)) or np.any((fm < 1) | (fm > 5)):
        raise DataError(f"RFM scores must lie in 1..5, got r={r_score!r}, fm={fm_score!r}.")
    out = np.full(np.broadcast(r, fm).shape, "", dtype=object)
    for name, ((r_lo, r_hi), (fm_lo, fm_hi)) in RFM_SEGMENTS.items():
        out[(r >= r_lo) & (r <= r_hi) & (fm >= fm_lo) & (fm <= fm_hi)] = name
    return out.item() if out.ndim == 0 else out


def rfm_scores(
    frame: pd.DataFrame,
    *,
    recency: str = "recency_days",
    frequency: str = "frequency",
    monetary: str = "monetary",
) -> pd.DataFrame:
    """RFM quintile scores 1..5 (5 best) and the named segment of each customer.

    Parameters
    ----------
    frame
        One row per customer with the time since the last purchase (``recency``: smaller is
        better; any unit, since only its ranks matter), the number of purchases
        (``frequency``) and the spend (``monetary``). :func:`rfm_table` builds it from a
        clvkit summary.
    recency, frequency, monetary
        Column names in ``frame``.

    Returns
    -------
    pandas.DataFrame
        ``frame``'s three columns plus ``r_score``, ``f_score``, ``m_score`` (5 = most
        recent, most frequent, highest spend), ``fm_score`` and ``rfm_segment``.

    Notes
    -----
    Quintiles: each column is ranked from worst (1) to best (``n``) with tied customers given
    the *average* of their ranks (``pandas.Series.rank(method="average")``), and the score is
    the quintile holding the midpoint ``(rank - 1/2) / n`` of the customer's share of the
    ranking: ``floor(5 * (rank - 1/2) / n) + 1``. With distinct values and ``n`` a multiple
    of 5 each score holds a fifth of the customers (10 customers: two per score; 3 customers
    score 1, 3, 5). A tie block whose midpoint falls exactly on a quintile boundary takes the
    higher score. We chose "average" over "first" so that customers with the
    same behaviour always get the same score (with "first" two customers with one purchase
    each could score 1 and 2 depending on row order); the price is that a big tie fills the
    score of its midpoint and leaves neighbouring scores smaller or empty. In particular a
    column with fewer than 5 distinct values uses at most that many scores (CDNOW's
    ``frequency`` is 0 for most customers, who all share one F score), and a column where
    everyone is equal gives every customer score 3.

    ``fm_score`` is the mean of F and M rounded half up, ``(f + m + 1) // 2``. Segments by R
    and FM (inclusive ranges; the 25 cells are a partition, :data:`RFM_SEGMENTS`):

    ==================  ======  =======  =============================================
    segment             R       FM       reading
    ==================  ======  =======  =============================================
    Champions           5       4-5      bought recently, buy often, spend most
    Loyal               3-4     4-5      buy often and spend well, fairly recently
    Potential loyalist  4-5     2-3      recent, average frequency or spend
    New customers       5       1        bought very recently, once or little
    Promising           4       1        recent, low frequency and spend
    Need attention      3       3        middling on every count
    About to sleep      3       1-2      slipping, low frequency and spend
    At risk             1-2     3-4      used to buy well, not seen for a while
    Can't lose them     1-2     5        best customers of old, not seen for a while
    Hibernating         2       1-2      long ago, little and rarely
    Lost                1       1-2      longest ago, little and rarely
    ==================  ======  =======  =============================================

    The segment names are the ones practitioners use; the cell boundaries vary between
    authors and are ours.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"recency_days": [3, 40, 200], "frequency": [9, 2, 0],
    ...                    "monetary": [90.0, 20.0, 0.0]})
    >>> rfm_scores(df)[["r_score", "f_score", "m_score", "rfm_segment"]].values.tolist()
    [[5, 5, 5, 'Champions'], [3, 3, 3, 'Need attention'], [1, 1, 1, 'Lost']]
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"rfm_scores expects a DataFrame of customers, got {type(frame).__name__}; "
                        "rfm_table(data) builds one from a clvkit summary.")
    missing = [c for c in (recency, frequency, monetary) if c not in frame.columns]
    if missing:
        raise DataError(f"column(s) {missing} not found; columns are {list(frame.columns)}. Pass "
                        "recency=, frequency=, monetary= to name yours, or build the frame with rfm_table().")
    cols = {c: _values(frame[c], c) for c in (recency, frequency, monetary)}
    out = frame[[recency, frequency, monetary]].copy()
    out["r_score"] = _quintile(cols[recency], higher_is_better=False)
    out["f_score"] = _quintile(cols[frequency], higher_is_better=True)
    out["m_score"] = _quintile(cols[monetary], higher_is_better=True)
    out["fm_score"] = (out["f_score"] + out["m_score"] + 1) // 2
    out["rfm_segment"] = pd.Categorical(rfm_segment(out["r_score"].to_numpy(), out["fm_score"].to_numpy()),
                                        categories=list(RFM_SEGMENTS))
    return out


def rfm_table(data: Any) -> pd.DataFrame:
    """The RFM inputs from a clvkit summary (:class:`~clvkit.CustomerData`).

    Returns a frame indexed by customer with ``recency_days`` = ``(T - recency)`` converted
    from the data's unit to days (the time since the last purchase: clvkit's ``recency`` counts
    from the first purchase to the last, ``T`` from the first purchase to the end), ``frequency``
    (repeat purchases, as in the summary) and ``monetary`` = ``monetary_value`` (mean value of
    the repeat purchases, 0 for customers without one). Feed it to :func:`rfm_scores`.
    """
    from clvkit.data.customer_data import CustomerData
    from clvkit.data.units import DAYS_PER_UNIT

    if not isinstance(data, CustomerData):
        raise DataError(f"rfm_table expects a CustomerData (from clvkit.summarize), got {type(data).__name__}.")
    frame = data.frame
    missing = [c for c in ("frequency", "recency", "T", "monetary_value") if c not in frame.columns]
    if missing:
        raise DataError(f"the summary has no column(s) {missing}; summarize() with amount= gives monetary_value.")
    return pd.DataFrame(
        {
            "recency_days": (frame["T"] - frame["recency"]) * DAYS_PER_UNIT[data.unit],
            "frequency": frame["frequency"],
            "monetary": frame["monetary_value"],
        },
        index=frame.index,
    )
