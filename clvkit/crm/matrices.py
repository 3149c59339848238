"""The customer value matrix, the customer profitability matrix and the profitability chain.

Pure pandas functions on per-customer Series indexed by customer id (see :mod:`clvkit.crm.segments`
for the conventions). Sources: the customer value matrix as taught in CRM courses, e.g. Kumar &
Reinartz, *Customer Relationship Management: Concept, Strategy, and Tools* (Springer); the
net-sales-value x cost-to-serve grid goes back to Shapiro, Rangan, Moriarty & Ross (1987),
"Manage customers for profits (not just sales)", *Harvard Business Review* 65(5). Checked by
``tests/unit/test_crm_segments.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clvkit.crm.segments import _values
from clvkit.errors import DataError, fail_rows

__all__ = ["profitability_chain", "profitability_matrix", "value_matrix"]


def _quadrants(x: pd.Series, y: pd.Series, x_threshold: float | None, y_threshold: float | None,
               ) -> tuple[np.ndarray, np.ndarray, float, float]:
    if not x.index.equals(y.index):
        raise DataError(f"{x.name!r} and {y.name!r} must have the same customers in the same order "
                        f"({len(x)} vs {len(y)} rows); align them first, e.g. y.reindex(x.index).")
    tx = float(x.median()) if x_threshold is None else float(x_threshold)
    ty = float(y.median()) if y_threshold is None else float(y_threshold)
    return (x > tx).to_numpy(), (y > ty).to_numpy(), tx, ty


def _finite(values: Any, name: str) -> pd.Series:
    series = values.copy() if isinstance(values, pd.Series) else pd.Series(values)
    if series.name is None:
        series.name = name
    series = series.astype(float)
    if len(series) == 0:
        raise DataError(f"column {series.name!r} is empty; there are no customers to place.")
    fail_rows(series, ~np.isfinite(series.to_numpy()), str(series.name), "is missing or infinite")
    return series


VALUE_MATRIX = {  # (high current, high potential) -> strategy
    (True, True): "invest / develop",
    (True, False): "maintain / retain",
    (False, True): "grow / upgrade",
    (False, False): "reduce cost / divest",
}


def value_matrix(current_value: pd.Series, growth_potential: pd.Series, *,
                 current_threshold: float | None = None,
                 potential_threshold: float | None = None) -> pd.DataFrame:
    """The customer value matrix: current value x growth potential, four strategies.

    As taught in CRM (e.g. Kumar & Reinartz, *Customer Relationship Management: Concept,
    Strategy, and Tools*): customers worth much today and with much more to gain are invested
    in, those worth much with little more to gain are retained, those worth little with much
    to gain are grown, and the rest are served at lower cost.

    Parameters
    ----------
    current_value, growth_potential
        Per-customer Series with the same index (e.g. expected residual CLV and the gap to
        the top tier). They may be negative; NaN or infinite raise a DataError.
    current_threshold, potential_threshold
        The split points; default each column's median.

    Returns
    -------
    pandas.DataFrame
        ``current_value``, ``growth_potential``, ``high_current``, ``high_potential`` (bool)
        and ``strategy``: ``"invest / develop"`` (high, high), ``"maintain / retain"``
        (high current, low potential), ``"grow / upgrade"`` (low current, high potential),
        ``"reduce cost / divest"`` (low, low). ``attrs["thresholds"]`` holds the split points.

    Notes
    -----
    "High" means strictly above the threshold; a customer exactly at it (e.g. at the median
    with an odd number of customers, or every customer tied at 0) is "low".

    Examples
    --------
    >>> import pandas as pd
    >>> value_matrix(pd.Series([10.0, 10.0, 1.0, 1.0]), pd.Series([5.0, 0.0, 5.0, 0.0]))["strategy"].tolist()
    ['invest / develop', 'maintain / retain', 'grow / upgrade', 'reduce cost / divest']
    """
    return _two_by_two(("current_value", current_value, current_threshold, "high_current"),
                       ("growth_potential", growth_potential, potential_threshold, "high_potential"),
                       VALUE_MATRIX, "strategy")


PROFIT_MATRIX = {  # (high net sales value, high cost to serve) -> quadrant
    (True, False): "protect",
    (True, True): "cost-adjust",
    (False, False): "develop",
    (False, True): "danger",
}


def profitability_matrix(net_sales_value: pd.Series, cost_to_serve: pd.Series, *,
                         nsv_threshold: float | None = None,
                         cost_threshold: float | None = None) -> pd.DataFrame:
    """The customer profitability matrix: net sales value x cost to serve, four quadrants.

    The grid of net sales value against cost to serve goes back to Shapiro, Rangan, Moriarty &
    Ross (1987), *Harvard Business Review* 65(5); the quadrant names are those of CRM courses:
    ``protect`` (high NSV, low cost: the most profitable, keep them), ``cost-adjust`` (high
    NSV, high cost: bring the cost down), ``develop`` (low NSV, low cost: sell more) and
    ``danger`` (low NSV, high cost: reprice, cut the cost or let go).

    Parameters
    ----------
    net_sales_value, cost_to_serve
        Per-customer Series with the same index (see :func:`profitability_chain`); NaN or
        infinite raise a DataError.
    nsv_threshold, cost_threshold
        The split points; default each column's median. "High" means strictly above.

    Returns
    -------
    pandas.DataFrame
        ``net_sales_value``, ``cost_to_serve``, ``high_nsv``, ``high_cost`` and ``quadrant``;
        ``attrs["thresholds"]`` holds the split points.

    Examples
    --------
    >>> import pandas as pd
    >>> profitability_matrix(pd.Series([9.0, 9.0, 1.0, 1.0]), pd.Series([1.0, 8.0, 1.0, 8.0]))["quadrant"].tolist()
    ['protect', 'cost-adjust', 'develop', 'danger']
    """
    return _two_by_two(("net_sales_value", net_sales_value, nsv_threshold, "high_nsv"),
                       ("cost_to_serve", cost_to_serve, cost_threshold, "high_cost"),
                       PROFIT_MATRIX, "quadrant")


def _two_by_two(x_axis: tuple[str, Any, float | None, str], y_axis: tuple[str, Any, float | None, str],
                grid: dict[tuple[bool, bool], str], label: str) -> pd.DataFrame:
    """Split customers on two columns (name, values, threshold, flag column) into ``grid``'s quadrants."""
    (x_name, x_values, x_threshold, x_flag), (y_name, y_values, y_threshold, y_flag) = x_axis, y_axis
    x = _finite(x_values, x_name)
    y = _finite(y_values, y_name)
    hx, hy, tx, ty = _quadrants(x, y, x_threshold, y_threshold)
    names = [grid[(a, b)] for a, b in zip(hx, hy, strict=True)]
    out = pd.DataFrame({x_name: x.to_numpy(), y_name: y.to_numpy(), x_flag: hx, y_flag: hy,
                        label: pd.Categorical(names, categories=list(grid.values()))}, index=x.index)
    out.attrs["thresholds"] = {x_name: tx, y_name: ty}
    return out


def profitability_chain(gross_sales: pd.Series, discounts: Any = 0, cost_of_goods: Any = 0,
                        cost_to_serve: Any = 0) -> pd.DataFrame:
    """The profitability chain per customer: GSV -> NSV -> gross profit -> net profit.

    ``net_sales_value = gross_sales_value - discounts``, ``gross_profit = net_sales_value -
    cost_of_goods`` and ``net_profit = gross_profit - cost_to_serve``.

    Parameters
    ----------
    gross_sales
        Gross sales value per customer (a Series indexed by customer), non-negative.
    discounts, cost_of_goods, cost_to_serve
        Non-negative numbers or Series on the same customers (a number applies to everyone;
        a Series is aligned on ``gross_sales``' index and must cover every customer).

    Returns
    -------
    pandas.DataFrame
        ``gross_sales_value``, ``discounts``, ``net_sales_value``, ``cost_of_goods``,
        ``gross_profit``, ``cost_to_serve``, ``net_profit``. Profits may be negative.

    Examples
    --------
    >>> import pandas as pd
    >>> profitability_chain(pd.Series([100.0]), 10, 50, 15).iloc[0].tolist()
    [100.0, 10.0, 90.0, 50.0, 40.0, 15.0, 25.0]
    """
    gsv = _values(gross_sales, "gross_sales")
    parts = {}
    for name, item in (("discounts", discounts), ("cost_of_goods", cost_of_goods), ("cost_to_serve", cost_to_serve)):
        if isinstance(item, pd.Series):
            absent = ~gsv.index.isin(item.index)
            fail_rows(gsv, absent, name, "has no entry for the customer",
                      f"give {name} for every customer of gross_sales (0 where there is none).")
            item = item.reindex(gsv.index)
            if item.name is None:
                item = item.rename(name)
        elif np.ndim(item) != 0:
            raise DataError(f"{name} must be a number or a Series indexed by customer, got {type(item).__name__}.")
        else:
            item = pd.Series(float(item), index=gsv.index, name=name)
        parts[name] = _values(item, name).to_numpy()
    nsv = gsv.to_numpy() - parts["discounts"]
    gross = nsv - parts["cost_of_goods"]
    return pd.DataFrame({
        "gross_sales_value": gsv.to_numpy(),
        "discounts": parts["discounts"],
        "net_sales_value": nsv,
        "cost_of_goods": parts["cost_of_goods"],
        "gross_profit": gross,
        "cost_to_serve": parts["cost_to_serve"],
        "net_profit": gross - parts["cost_to_serve"],
    }, index=gsv.index)
