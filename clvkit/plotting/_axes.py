"""The one helper every figure module shares: draw on the Axes given, or on a new figure."""

from __future__ import annotations

from typing import Any


def axes_or_new(ax: Any = None, figsize: tuple[float, float] = (7, 4)) -> Any:
    """``ax`` itself, or the Axes of a new figure of ``figsize`` inches."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=figsize)
    return new
