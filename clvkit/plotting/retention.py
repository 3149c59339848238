"""Plots: contractual retention (sBG) and Dwyer's models.

Every function draws on ``ax`` (a new figure if None) and returns the Axes. The data behind
each line or bar is the model's own output, so tests can compare them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from clvkit.plotting._axes import axes_or_new

__all__ = ["plot_cohort_survival", "plot_cohort_table", "plot_state_values"]


def plot_cohort_survival(model: Any, data: pd.DataFrame, *, fit_periods: int | None = None,
                         ax: Any = None) -> Any:
    """Actual alive counts of one cohort against the fitted sBG projection.

    Parameters
    ----------
    model
        A fitted :class:`~clvkit.ShiftedBetaGeo` (or a :class:`~clvkit.LostForGood` with
        ``retention="sbg"``).
    data
        ``period, alive`` counts of the cohort (all periods, including the held-out ones).
    fit_periods
        Last period used in the fit: drawn as a vertical line separating fit and projection.

    Returns
    -------
    matplotlib Axes. Lines, in order: ``actual`` (y = alive counts) and ``sBG`` (y =
    ``alive[0] * model.survival(period)``).
    """
    from clvkit.data.periods import validate_survival

    ax = axes_or_new(ax)
    table = validate_survival(data)
    first = table[table["cohort"] == table["cohort"].iloc[0]]
    t = first["period"].to_numpy()
    alive = first["alive"].to_numpy(dtype=float)
    surv = model.survival(t).to_numpy()
    ax.plot(t, alive, "o", color="black", label="actual")
    ax.plot(t, alive[0] * surv, "-", color="C0", label="sBG")
    if fit_periods is not None:
        ax.axvline(fit_periods + 0.5, color="grey", linestyle=":", label="end of fit")
    ax.set_xlabel("periods since acquisition")
    ax.set_ylabel("customers still active")
    ax.set_title("Cohort survival: actual vs shifted-beta-geometric")
    ax.legend()
    return ax


def plot_state_values(model: Any, discount_rate: float, cost_per_period: float | None = None,
                      horizon: int | None = None, *, ax: Any = None) -> Any:
    """Value by recency state when marketing to all, and under the optimal contact policy.

    Returns
    -------
    matplotlib Axes. ``ax.containers[0]`` holds the bars of ``value_all`` and
    ``ax.containers[1]`` those of ``value_policy`` from ``model.policy(...)``; states not
    marketed to under the policy are hatched and labelled "stop".
    """
    ax = axes_or_new(ax)
    pol = model.policy(discount_rate, cost_per_period, horizon)
    k = pol.index.to_numpy()
    w = 0.4
    ax.bar(k - w / 2, pol["value_all"], width=w, color="C7", label="market to all")
    bars = ax.bar(k + w / 2, pol["value_policy"], width=w, color="C0", label="optimal policy")
    for bar, on in zip(bars, pol["contact"], strict=True):
        if not on:
            bar.set_hatch("//")
            bar.set_facecolor("white")
            bar.set_edgecolor("C0")
            ax.annotate("stop", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        textcoords="offset points", xytext=(0, 4), ha="center", color="C0")
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_xticks(k)
    ax.set_xlabel("recency state (periods since last purchase)")
    ax.set_ylabel("expected discounted value")
    ax.set_title("Always-a-share: value by recency state (hatched: stop marketing)")
    ax.legend()
    return ax


def plot_cohort_table(table: pd.DataFrame, *, ax: Any = None) -> Any:
    """The cohort table as a chart: NPV of each year (bars) and cumulative NPV (line).

    Parameters
    ----------
    table
        Output of :func:`~clvkit.cohort_table`.

    Returns
    -------
    matplotlib Axes. ``ax.containers[0]`` holds the NPV bars; ``ax.lines[0]`` the cumulative
    NPV; the LTV per acquired customer is written above each point.
    """
    ax = axes_or_new(ax)
    year = table.index.to_numpy()
    ax.bar(year, table["npv"], color="C0", label="NPV of the year's profit")
    ax.plot(year, table["cumulative_npv"], "o-", color="C3", label="cumulative NPV")
    for x, y, ltv in zip(year, table["cumulative_npv"], table["ltv"], strict=True):
        ax.annotate(f"LTV {ltv:,.2f}", (x, y), textcoords="offset points", xytext=(0, 6),
                    ha="center")
    ax.set_xticks(year)
    ax.set_xlabel("year")
    ax.set_ylabel("net present value")
    ax.set_title("Cohort lifetime value by year")
    ax.legend(loc="upper left")
    ax.margins(y=0.15)
    return ax

