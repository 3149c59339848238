"""Plots: the value triangle, the retention what-if table and lifecycle stages.

Every function draws on ``ax`` (a new figure if None) and returns the Axes; the bars are the
numbers of the table passed in (from :mod:`clvkit.crm.value`), so tests can compare them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clvkit.plotting._axes import axes_or_new

__all__ = ["plot_lifecycle", "plot_value_triangle", "plot_what_if"]

TRIANGLE_COLUMNS = ("historical_value", "current_value", "potential_value")


def plot_value_triangle(table: pd.DataFrame, *, by: str = "peer_group", ax: Any = None) -> Any:
    """Mean historical, current and potential value per segment, as stacked bars.

    Parameters
    ----------
    table
        Output of :func:`clvkit.crm.value.value_triangle` (or any frame with its three value
        columns and the ``by`` column).
    by
        Column defining the segments (default: the peer group).

    Returns
    -------
    matplotlib Axes. One bar container per value column, in the order historical, current,
    potential; bar heights are the segment means.
    """
    ax = axes_or_new(ax)
    means = table.groupby(by)[list(TRIANGLE_COLUMNS)].mean()
    x = np.arange(len(means))
    bottom = np.zeros(len(means))
    for column in TRIANGLE_COLUMNS:
        heights = means[column].to_numpy(dtype=float)
        ax.bar(x, heights, bottom=bottom, label=column.replace("_", " "))
        bottom = bottom + heights
    ax.set_xticks(x)
    ax.set_xticklabels([str(k) for k in means.index])
    ax.set_xlabel(by.replace("_", " "))
    ax.set_ylabel("mean value per customer")
    ax.set_title("Customer value triangle by segment")
    ax.legend()
    return ax


def plot_what_if(table: pd.DataFrame, *, ax: Any = None) -> Any:
    """Value of the base at each retention increase (output of ``retention_what_if``).

    Returns
    -------
    matplotlib Axes with one bar per row: height ``value``, labelled ``+k pts`` and annotated
    with ``change_pct``.
    """
    ax = axes_or_new(ax)
    labels = [f"+{100 * p:g} pts" for p in table["points"]]
    bars = ax.bar(labels, table["value"].to_numpy(dtype=float), color="C0")
    for bar, pct in zip(bars, table["change_pct"], strict=True):
        ax.annotate(f"{pct:+.1f}%", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom")
    ax.set_xlabel("retention increase")
    ax.set_ylabel("value")
    ax.set_title("What is more retention worth?")
    return ax


def plot_lifecycle(stages: pd.DataFrame | pd.Series, *, ax: Any = None) -> Any:
    """Customers per lifecycle stage (output of ``lifecycle_stage``, or its ``stage`` column).

    Returns
    -------
    matplotlib Axes with one bar per stage (all four, in order, zero counts included).
    """
    from clvkit.crm.value import STAGES

    ax = axes_or_new(ax)
    stage = stages["stage"] if isinstance(stages, pd.DataFrame) else stages
    counts = pd.Series(pd.Categorical(stage, categories=list(STAGES))).value_counts(sort=False)
    ax.bar([str(k) for k in counts.index], counts.to_numpy(dtype=float), color="C1")
    ax.set_xlabel("lifecycle stage")
    ax.set_ylabel("customers")
    ax.set_title("Customers by lifecycle stage")
    return ax
