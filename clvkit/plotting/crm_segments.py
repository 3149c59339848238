"""Plots of the CRM segmentations in :mod:`clvkit.crm.segments`.

Every function takes the frame the matching segmentation returned, draws on ``ax`` (a new
figure if None) and returns the Axes. What each artist holds is stated in the docstring, so
tests can compare it with the segmentation's numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clvkit.errors import DataError
from clvkit.plotting._axes import axes_or_new

__all__ = ["plot_abc", "plot_pyramid", "plot_rfm_heatmap", "plot_value_matrix"]


def _axes(ax: Any, figsize: tuple[float, float] = (7, 4)) -> Any:
    return axes_or_new(ax, figsize)


def _need(frame: Any, columns: tuple[str, ...], made_by: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame) or any(c not in frame.columns for c in columns):
        got = list(frame.columns) if isinstance(frame, pd.DataFrame) else type(frame).__name__
        raise DataError(f"expected the frame returned by {made_by} (columns {list(columns)}), got {got}.")
    return frame


def plot_pyramid(pyramid: pd.DataFrame, *, ax: Any = None) -> Any:
    """The customer pyramid: one centred horizontal bar per tier, top tier on top.

    Parameters
    ----------
    pyramid
        The frame returned by :func:`clvkit.crm.segments.customer_pyramid`.

    Returns
    -------
    matplotlib Axes. ``ax.patches`` holds one bar per tier in tier order (top tier first);
    bar width = customers in the tier. Each bar is labelled with the tier's name, its number
    of customers and its share of total value.
    """
    frame = _need(pyramid, ("value", "tier"), "customer_pyramid()")
    ax = _axes(ax)
    tiers = list(frame["tier"].cat.categories)
    counts = frame["tier"].value_counts().reindex(tiers, fill_value=0)
    total = frame["value"].sum()
    shares = frame.groupby("tier", observed=False)["value"].sum().reindex(tiers) / total if total > 0 else counts * 0.0
    widest = max(int(counts.max()), 1)
    y = np.arange(len(tiers))[::-1]  # top tier at the top
    ax.barh(y, counts.to_numpy(), left=-counts.to_numpy() / 2.0, height=0.8,
            color=[f"C{i}" for i in range(len(tiers))], edgecolor="black")
    for yi, name, n, share in zip(y, tiers, counts, shares, strict=True):
        ax.text(0.0, yi, f"{name}: {n:,} customers, {share:.0%} of value", ha="center", va="center", fontsize=9)
    ax.set_yticks(y, tiers)
    ax.set_xlim(-widest / 2.0 * 1.05, widest / 2.0 * 1.05)
    ax.set_xlabel("customers")
    ax.set_title("Customer pyramid")
    return ax


def plot_abc(abc: pd.DataFrame, *, ax: Any = None) -> Any:
    """Lorenz-style curve of value held against customers (largest first) with ABC class bands.

    Parameters
    ----------
    abc
        The frame returned by :func:`clvkit.crm.segments.abc_classes`.

    Returns
    -------
    matplotlib Axes. Lines, in order: the cumulative curve (x = ``rank / n`` from 0, y =
    ``cumulative_share`` from 0) and the equality diagonal. ``ax.patches`` holds one shaded
    band per class that has customers, spanning that class's share of customers.
    """
    frame = _need(abc, ("rank", "cumulative_share", "abc_class"), "abc_classes()")
    ax = _axes(ax)
    ordered = frame.sort_values("rank")
    n = len(ordered)
    x = np.r_[0.0, ordered["rank"].to_numpy() / n]
    y = np.r_[0.0, ordered["cumulative_share"].to_numpy()]
    ax.plot(x, y, "-", color="black", label="share of value")
    ax.plot([0, 1], [0, 1], ":", color="grey", label="equal value")
    for i, cls in enumerate(frame["abc_class"].cat.categories):
        ranks = ordered.loc[ordered["abc_class"] == cls, "rank"]
        if ranks.empty:
            continue
        lo, hi = (ranks.min() - 1) / n, ranks.max() / n
        ax.axvspan(lo, hi, color=f"C{i}", alpha=0.2, label=f"{cls}: {len(ranks):,} customers")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("share of customers (largest value first)")
    ax.set_ylabel("share of total value")
    ax.set_title("Pareto / ABC classes")
    ax.legend(loc="lower right")
    return ax


def plot_rfm_heatmap(scores: pd.DataFrame, value: str | pd.Series | None = None, *, ax: Any = None) -> Any:
    """R x F grid of customer counts, or of the mean of ``value``, per cell.

    Parameters
    ----------
    scores
        The frame returned by :func:`clvkit.crm.segments.rfm_scores`.
    value
        None for counts, or a column of ``scores`` (or a Series on the same customers) whose
        mean per cell is shown.

    Returns
    -------
    matplotlib Axes. ``ax.images[0].get_array()`` is the 5 x 5 grid: row ``f - 1`` (F score,
    1 at the bottom), column ``r - 1`` (R score); empty cells are 0 for counts and masked for
    means. Each cell is annotated with its number.
    """
    frame = _need(scores, ("r_score", "f_score"), "rfm_scores()")
    ax = _axes(ax, figsize=(6, 5))
    if value is None:
        grid = pd.crosstab(frame["f_score"], frame["r_score"])
        title, fmt = "customers", "{:,.0f}"
    else:
        v = frame[value] if isinstance(value, str) else pd.Series(value).reindex(frame.index)
        grid = v.groupby([frame["f_score"], frame["r_score"]]).mean().unstack()
        title, fmt = f"mean {v.name or 'value'}", "{:,.3g}"
    grid = grid.reindex(index=range(1, 6), columns=range(1, 6))
    if value is None:
        grid = grid.fillna(0)
    data = np.ma.masked_invalid(grid.to_numpy(dtype=float))
    image = ax.imshow(data, origin="lower", cmap="viridis", extent=(0.5, 5.5, 0.5, 5.5))
    for f in range(5):
        for r in range(5):
            if not np.ma.is_masked(data[f, r]):
                ax.text(r + 1, f + 1, fmt.format(data[f, r]), ha="center", va="center", color="white", fontsize=8)
    ax.figure.colorbar(image, ax=ax, label=title)
    ax.set_xticks(range(1, 6))
    ax.set_yticks(range(1, 6))
    ax.set_xlabel("R score (5 = most recent)")
    ax.set_ylabel("F score (5 = most frequent)")
    ax.set_title(f"RFM: {title} by R and F")
    return ax


def plot_value_matrix(matrix: pd.DataFrame, *, ax: Any = None) -> Any:
    """Scatter of a value matrix or profitability matrix with its quadrant lines and labels.

    Parameters
    ----------
    matrix
        The frame returned by :func:`clvkit.crm.segments.value_matrix` (current value on x,
        growth potential on y) or :func:`clvkit.crm.segments.profitability_matrix` (net sales
        value on x, cost to serve on y).

    Returns
    -------
    matplotlib Axes. ``ax.collections`` holds one scatter per quadrant that has customers, in
    the quadrants' category order; ``ax.lines`` the vertical and the horizontal threshold;
    ``ax.texts`` the four quadrant names.
    """
    if isinstance(matrix, pd.DataFrame) and "strategy" in matrix.columns:
        x_col, y_col, label_col = "current_value", "growth_potential", "strategy"
        title = "Customer value matrix"
    else:
        x_col, y_col, label_col = "net_sales_value", "cost_to_serve", "quadrant"
        title = "Customer profitability matrix"
    frame = _need(matrix, (x_col, y_col, label_col), "value_matrix() or profitability_matrix()")
    thresholds = frame.attrs.get("thresholds") or {x_col: float(frame[x_col].median()),
                                                   y_col: float(frame[y_col].median())}
    tx, ty = thresholds[x_col], thresholds[y_col]
    ax = _axes(ax, figsize=(6, 5))
    for i, name in enumerate(frame[label_col].cat.categories):
        rows = frame[frame[label_col] == name]
        if len(rows):
            ax.scatter(rows[x_col], rows[y_col], s=12, color=f"C{i}", alpha=0.7, label=f"{name} ({len(rows):,})")
    ax.axvline(tx, color="grey", linestyle="--")
    ax.axhline(ty, color="grey", linestyle="--")
    # one label per quadrant, placed in its corner of the axes
    corners = {(True, True): (0.98, 0.98), (True, False): (0.98, 0.02),
               (False, True): (0.02, 0.98), (False, False): (0.02, 0.02)}
    from clvkit.crm.matrices import PROFIT_MATRIX, VALUE_MATRIX

    names = VALUE_MATRIX if label_col == "strategy" else PROFIT_MATRIX
    for key, (cx, cy) in corners.items():
        ax.text(cx, cy, names[key], transform=ax.transAxes, ha="right" if cx > 0.5 else "left",
                va="top" if cy > 0.5 else "bottom", fontsize=9, fontweight="bold")
    ax.set_xlabel(x_col.replace("_", " "))
    ax.set_ylabel(y_col.replace("_", " "))
    ax.set_title(title)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    return ax
