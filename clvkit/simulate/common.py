"""Helpers shared by the simulators."""

from __future__ import annotations

import numpy as np

from clvkit.errors import DataError


def observation_times(n_customers: int, T: float | np.ndarray | tuple[float, float],
                      rng: np.random.Generator, resolution: float | None = None) -> np.ndarray:
    """Per-customer observation lengths T.

    ``T`` is a scalar (everyone the same), an array (one per customer), or ``(low, high)``:
    uniform acquisition, so T uniform on [low, high]. ``resolution`` (e.g. 1/7 for days in
    weeks) puts T on that grid, as real data summarised at a daily grain is.
    """
    if n_customers <= 0:
        raise DataError(f"n_customers must be positive, got {n_customers!r}.")
    if isinstance(T, tuple):
        low, high = T
        times = rng.uniform(low, high, size=n_customers)
    else:
        times = np.broadcast_to(np.asarray(T, dtype=float), (n_customers,)).copy()
    if resolution is not None:
        times = np.maximum(np.round(times / resolution), 1.0) * resolution
    if np.any(times <= 0):
        raise DataError("observation times T must be positive.")
    return times
