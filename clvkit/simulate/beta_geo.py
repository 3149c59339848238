"""Simulate the BG/NBD process of Fader, Hardie & Lee (2005)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvkit.simulate.common import observation_times


def simulate_beta_geo(
    params: dict[str, float] | pd.Series,
    n_customers: int,
    T: float | np.ndarray | tuple[float, float] = 39.0,
    *,
    holdout: float | None = None,
    resolution: float | None = None,
    random_seed: int | None = None,
    unit: str = "W",
) -> pd.DataFrame:
    """Customers drawn from the BG/NBD model.

    Each customer gets a purchase rate ``lambda ~ gamma(r, scale=1/alpha)`` and a drop-out
    probability ``p ~ beta(a, b)``; purchases follow a Poisson process at ``lambda`` from time 0
    (the first purchase, not counted), and after each repeat purchase the customer leaves with
    probability ``p``.

    Parameters
    ----------
    params
        ``r, alpha, a, b``.
    n_customers
        How many customers.
    T
        Calibration length: scalar, per-customer array, or ``(low, high)`` for uniform T.
    holdout
        If given, also count purchases in ``(T, T + holdout]`` as ``frequency_holdout``.
    resolution
        Put T and recency on this time grid (e.g. ``1/7``: days in weeks). Recency is floored
        to the grid, which is how summaries of dated logs behave.
    random_seed
        Seed for :func:`numpy.random.default_rng`.
    unit
        The time unit the parameters (and so recency and T) are in; stored in ``attrs["unit"]``.

    Returns
    -------
    DataFrame with ``frequency, recency, T`` (and ``frequency_holdout``, ``alive_at_T``).
    """
    return simulate_dropout_after_purchases(params, n_customers, T, holdout=holdout, resolution=resolution,
                                            random_seed=random_seed, drop_at_start=False, unit=unit)


def simulate_dropout_after_purchases(
    params: dict[str, float] | pd.Series,
    n_customers: int,
    T: float | np.ndarray | tuple[float, float],
    *,
    holdout: float | None,
    resolution: float | None,
    random_seed: int | None,
    drop_at_start: bool,
    unit: str = "W",
) -> pd.DataFrame:
    """The process shared by BG/NBD and MBG/NBD: Poisson purchases at ``lambda ~ gamma(r, alpha)``
    and a drop-out chance ``p ~ beta(a, b)`` after every repeat purchase, and also right at the first
    purchase (time 0) when ``drop_at_start`` (MBG/NBD, Batislam et al. 2007)."""
    rng = np.random.default_rng(random_seed)
    r, alpha, a, b = (float(params[k]) for k in ("r", "alpha", "a", "b"))
    T_arr = observation_times(n_customers, T, rng, resolution)
    end = T_arr + (holdout or 0.0)
    lam = rng.gamma(r, 1.0 / alpha, size=n_customers)
    p = rng.beta(a, b, size=n_customers)

    frequency = np.zeros(n_customers, dtype=np.int64)
    recency = np.zeros(n_customers)
    future = np.zeros(n_customers, dtype=np.int64)
    death = np.full(n_customers, np.inf)
    clock = np.zeros(n_customers)
    active = np.arange(n_customers)
    if drop_at_start:
        leaves_at_start = rng.random(n_customers) < p
        death[leaves_at_start] = 0.0
        active = active[~leaves_at_start]
    while active.size:
        clock[active] += rng.exponential(1.0, size=active.size) / lam[active]
        active = active[clock[active] <= end[active]]
        if not active.size:
            break
        t_now = clock[active]
        calib = t_now <= T_arr[active]
        frequency[active[calib]] += 1
        recency[active[calib]] = t_now[calib]
        future[active[~calib]] += 1
        leaves = rng.random(active.size) < p[active]
        death[active[leaves]] = t_now[leaves]
        active = active[~leaves]
    if resolution is not None:
        recency = np.minimum(np.floor(recency / resolution + 1e-9) * resolution, T_arr)
    frame = pd.DataFrame({"frequency": frequency, "recency": recency, "T": T_arr})
    frame.index.name = "customer_id"
    frame["alive_at_T"] = death > T_arr
    if holdout is not None:
        frame["frequency_holdout"] = future
    frame.attrs["unit"] = unit
    return frame
