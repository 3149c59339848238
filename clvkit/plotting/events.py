"""Plots of purchase (event-forecast) models: fit, holdout, tracking, heat maps, P(alive), value.

Every function draws on ``ax`` (a new figure when ``None``) and returns the matplotlib Axes.
The numbers drawn come from :mod:`clvkit.evaluate.diagnostics` and
:mod:`clvkit.evaluate.metrics`, so each plot's data can also be had as a DataFrame.
Checked by tests/unit/test_plot_events.py.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from clvkit.data.customer_data import CustomerData
from clvkit.errors import DataError, plain
from clvkit.evaluate.diagnostics import (
    expected_purchases_matrix,
    gini,
    lorenz_curve,
    p_alive_history,
    p_alive_matrix,
    period_transactions,
    tracking_table,
)
from clvkit.evaluate.metrics import holdout_by_frequency, holdout_predictions
from clvkit.models._event import EventModel
from clvkit.plotting._axes import axes_or_new

__all__ = [
    "plot_calibration_vs_holdout",
    "plot_clv_lorenz",
    "plot_cumulative_transactions",
    "plot_expected_purchases_matrix",
    "plot_holdout_by_frequency",
    "plot_incremental_transactions",
    "plot_p_alive_history",
    "plot_p_alive_matrix",
    "plot_period_transactions",
]

_ACTUAL = "0.15"  # colour of observed data


def _axes(ax: Any) -> Any:
    return axes_or_new(ax, (7, 4.5))


def plot_period_transactions(model: EventModel, data: CustomerData | pd.DataFrame, max_frequency: int = 7,
                             ax: Any = None) -> Any:
    """Bars: customers by number of repeat purchases in calibration, actual vs model.

    The model bars are expected counts (see :func:`clvkit.evaluate.period_transactions`),
    as in Fader, Hardie & Lee (2005), "Counting your customers the easy way", Figure 3.
    """
    table = period_transactions(model, data, max_frequency)
    ax = _axes(ax)
    x = np.arange(len(table))
    width = 0.4
    ax.bar(x - width / 2, table["actual"], width, label="actual", color=_ACTUAL)
    ax.bar(x + width / 2, table["model"], width, label=type(model).__name__, color="C0")
    ax.set_xticks(x, table.index)
    ax.set_xlabel("repeat purchases in calibration")
    ax.set_ylabel("customers")
    ax.set_title("Frequency of repeat transactions")
    ax.legend()
    return ax


def plot_holdout_by_frequency(table: pd.DataFrame, ax: Any = None) -> Any:
    """Lines: mean holdout purchases by calibration frequency, actual and each model.

    ``table`` is :func:`clvkit.evaluate.holdout_by_frequency` output (or
    ``ComparisonReport.by_frequency``): FHL (2005), Figure 4.
    """
    if "actual" not in table.columns:
        raise DataError(f"table needs an 'actual' column (holdout_by_frequency output), got {list(table.columns)}.")
    ax = _axes(ax)
    x = np.arange(len(table))
    ax.plot(x, table["actual"], marker="o", color=_ACTUAL, label="actual")
    for i, name in enumerate(c for c in table.columns if c not in ("actual", "n_customers")):
        ax.plot(x, table[name], marker="s", linestyle="--", color=f"C{i}", label=name)
    ax.set_xticks(x, table.index)
    ax.set_xlabel("repeat purchases in calibration")
    ax.set_ylabel("mean purchases in holdout")
    ax.set_title("Conditional expectations: calibration vs holdout")
    ax.legend()
    return ax


def plot_calibration_vs_holdout(models: EventModel | list[EventModel] | dict[str, EventModel],
                                data: CustomerData | pd.DataFrame, max_frequency: int = 7,
                                ax: Any = None) -> Any:
    """Mean holdout purchases by calibration frequency, actual vs one or several fitted models.

    ``data`` must hold ``frequency_holdout`` and ``duration_holdout`` (a summary made with
    ``calibration_end``).
    """
    if isinstance(models, EventModel):
        models = {type(models).__name__: models}
    elif not isinstance(models, dict):
        models = {type(m).__name__: m for m in models}
    if not models:
        raise DataError("models is empty: pass at least one fitted purchase model.")
    predicted = {}
    actual = frequency = None
    for name, model in models.items():
        pred = holdout_predictions(model, data)
        predicted[name] = pred["expected_purchases"].to_numpy()
        actual, frequency = pred["frequency_holdout"].to_numpy(), pred["frequency"].to_numpy()
    table = holdout_by_frequency(frequency, actual, predicted, max_frequency)
    return plot_holdout_by_frequency(table, ax=ax)


def _tracking(model: EventModel, tx: pd.DataFrame, calibration_end: Any, end: Any, incremental: bool,
              ax: Any, **log: Any) -> Any:
    table = tracking_table(model, tx, calibration_end, end, **log)
    what = "incremental" if incremental else "cumulative"
    ax = _axes(ax)
    ax.plot(table.index, table[f"actual_{what}"], color=_ACTUAL, label="actual")
    ax.plot(table.index, table[f"expected_{what}"], color="C0", linestyle="--", label=type(model).__name__)
    ax.axvline(table.attrs["calibration_periods"], color="0.5", linestyle=":", label="end of calibration")
    unit = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}[table.attrs["unit"]]
    ax.set_xlabel(f"{unit} since the cohort's first purchase")
    ax.set_ylabel(f"{what} repeat transactions")
    ax.set_title(f"Tracking {what} repeat transactions")
    ax.legend()
    return ax


def plot_cumulative_transactions(model: EventModel, tx: pd.DataFrame, calibration_end: Any, end: Any = None, *,
                                 customer: Hashable = "customer_id", date: Hashable = "date",
                                 grain: str | None = "D", date_format: str | None = None, ax: Any = None) -> Any:
    """Cumulative repeat transactions of the cohort per period, actual vs expected.

    Expected = ``sum_i E[X(t - f_i)]`` (see :func:`clvkit.evaluate.tracking_table`); FHL
    (2005), Figure 2. A dotted line marks the end of calibration.
    """
    return _tracking(model, tx, calibration_end, end, False, ax, customer=customer, date=date,
                     grain=grain, date_format=date_format)


def plot_incremental_transactions(model: EventModel, tx: pd.DataFrame, calibration_end: Any, end: Any = None, *,
                                  customer: Hashable = "customer_id", date: Hashable = "date",
                                  grain: str | None = "D", date_format: str | None = None,
                                  ax: Any = None) -> Any:
    """Repeat transactions per period (weekly for unit "W"), actual vs expected; FHL (2005), Figure 1."""
    return _tracking(model, tx, calibration_end, end, True, ax, customer=customer, date=date,
                     grain=grain, date_format=date_format)


def _heatmap(matrix: pd.DataFrame, title: str, label: str, ax: Any) -> Any:
    ax = _axes(ax)
    recency = matrix.columns.to_numpy(dtype=float)
    step = recency[1] - recency[0] if len(recency) > 1 else 1.0
    extent = (recency[0] - step / 2, recency[-1] + step / 2, -0.5, matrix.shape[0] - 0.5)
    image = ax.imshow(np.ma.masked_invalid(matrix.to_numpy()), origin="lower", aspect="auto",
                      extent=extent, cmap="viridis", interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, label=label)
    ax.set_xlabel("recency (time of last purchase)")
    ax.set_ylabel("frequency (repeat purchases)")
    ax.set_title(title)
    return ax


def plot_expected_purchases_matrix(model: EventModel, T: float, horizon: float, max_frequency: int = 20,
                                   n_recency: int = 40, ax: Any = None) -> Any:
    """Heat map of expected purchases in the next ``horizon`` by frequency and recency, for observation time T.

    Data: :func:`clvkit.evaluate.expected_purchases_matrix` (rows frequency, columns recency).
    """
    matrix = expected_purchases_matrix(model, T, horizon, max_frequency, n_recency)
    return _heatmap(matrix, f"Expected purchases in the next {horizon:g} (T = {T:g})", "expected purchases", ax)


def plot_p_alive_matrix(model: EventModel, T: float, max_frequency: int = 20, n_recency: int = 40,
                        ax: Any = None) -> Any:
    """Heat map of P(alive) by frequency and recency, for a customer observed for T.

    Data: :func:`clvkit.evaluate.p_alive_matrix`.
    """
    matrix = p_alive_matrix(model, T, max_frequency, n_recency)
    return _heatmap(matrix, f"Probability of being alive (T = {T:g})", "P(alive)", ax)


def plot_p_alive_history(model: EventModel, tx: pd.DataFrame, customer_id: Hashable, end: Any = None, *,
                         customer: Hashable = "customer_id", date: Hashable = "date", grain: str | None = "D",
                         date_format: str | None = None, ax: Any = None) -> Any:
    """One customer's P(alive) over time, recomputed each day from their purchases so far.

    Data: :func:`clvkit.evaluate.p_alive_history`; dotted vertical lines mark purchases.
    """
    history = p_alive_history(model, tx, customer_id, end, customer=customer, date=date, grain=grain,
                              date_format=date_format)
    ax = _axes(ax)
    ax.plot(history.index, history["p_alive"], color="C0", label="P(alive)")
    for i, day in enumerate(history.index[history["purchase"]]):
        ax.axvline(day, color=_ACTUAL, linestyle=":", label="purchase" if i == 0 else None)
    ax.set_ylim(0.0, 1.05)
    ax.tick_params(axis="x", labelrotation=30)
    ax.set_xlabel("date")
    ax.set_ylabel("P(alive)")
    ax.set_title(f"P(alive) history of customer {plain(customer_id)!r}")
    ax.legend(loc="lower left")
    return ax


def plot_clv_lorenz(values: Any, ax: Any = None) -> Any:
    """Lorenz curve of customer value (e.g. ``clvkit.clv(...)`` output or its ``clv`` column).

    Data: :func:`clvkit.evaluate.lorenz_curve`; the legend gives the Gini coefficient and the
    share of value held by the top 20% of customers.
    """
    curve = lorenz_curve(values)
    g = gini(values)
    x = curve["share_of_customers"].to_numpy()
    y = curve["share_of_value"].to_numpy()
    top20 = 1.0 - float(np.interp(0.8, x, y))
    ax = _axes(ax)
    ax.plot(x, y, color="C0", label=f"Lorenz curve (Gini {g:.2f}; top 20% hold {top20:.0%})")
    ax.plot([0.0, 1.0], [0.0, 1.0], color="0.5", linestyle="--", label="equal value")
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel("share of customers (lowest value first)")
    ax.set_ylabel("share of total value")
    ax.set_title("Concentration of customer value")
    ax.legend(loc="upper left")
    return ax
