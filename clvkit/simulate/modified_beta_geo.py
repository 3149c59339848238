"""Simulate the MBG/NBD process of Batislam, Denizel & Filiztekin (2007)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvkit.simulate.common import observation_times


def simulate_modified_beta_geo(
    params: dict[str, float] | pd.Series,
    n_customers: int,
    T: float | np.ndarray | tuple[float, float] = 39.0,
    *,
    holdout: float | None = None,
    resolution: float | None = None,
    random_seed: int | None = None,
) -> pd.DataFrame:
    """Customers drawn from the MBG/NBD model.

    Each customer gets ``lambda ~ gamma(r, scale=1/alpha)`` and ``p ~ beta(a, b)``. Right after
    the first purchase (time 0) and after every repeat purchase the customer leaves with
    probability p; while alive, purchases follow a Poisson process at lambda.

    Parameters
    ----------
    params
        ``r, alpha, a, b``.
    n_customers, T, holdout, resolution, random_seed
        As in :func:`clvkit.simulate.simulate_pareto_nbd`.

    Returns
    -------
    DataFrame with ``frequency, recency, T, alive_at_T`` (and ``frequency_holdout``).
    """
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
    leaves_at_start = rng.random(n_customers) < p
    death[leaves_at_start] = 0.0
    active = np.flatnonzero(~leaves_at_start)
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
    return frame
