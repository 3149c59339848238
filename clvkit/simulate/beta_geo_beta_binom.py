"""Simulate the BG/BB process of Fader, Hardie & Shang (2010)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvkit.errors import DataError


def simulate_beta_geo_beta_binom(
    params: dict[str, float] | pd.Series,
    n_customers: int,
    n_periods: int = 6,
    *,
    holdout: int | None = None,
    random_seed: int | None = None,
    unit: str = "Y",
) -> pd.DataFrame:
    """Customers drawn from the BG/BB model.

    Each customer gets ``p ~ beta(alpha, beta)`` and ``theta ~ beta(gamma, delta)``. Before
    each opportunity 1, 2, ... an alive customer dies with probability theta; at each
    opportunity an alive customer transacts with probability p.

    Parameters
    ----------
    params
        ``alpha, beta, gamma, delta``.
    n_customers
        How many customers.
    n_periods
        Calibration opportunities n.
    holdout
        If given, also count transactions at opportunities n+1 .. n+holdout as
        ``frequency_holdout``.
    random_seed
        Seed for :func:`numpy.random.default_rng`.
    unit
        The time unit the parameters (and so recency and T) are in; stored in ``attrs["unit"]``.

    Returns
    -------
    DataFrame with ``frequency, recency, n_periods, alive_at_n`` (and ``frequency_holdout``).
    """
    if n_customers <= 0 or n_periods < 1:
        raise DataError(f"n_customers and n_periods must be positive, got {n_customers!r}, {n_periods!r}.")
    rng = np.random.default_rng(random_seed)
    alpha, beta, gamma, delta = (float(params[k]) for k in ("alpha", "beta", "gamma", "delta"))
    p = rng.beta(alpha, beta, size=n_customers)
    theta = rng.beta(gamma, delta, size=n_customers)
    # opportunities alive: dies before opportunity G ~ geometric(theta), so alive at 1 .. G-1
    alive_through = rng.geometric(theta) - 1
    frequency = np.zeros(n_customers, dtype=np.int64)
    recency = np.zeros(n_customers, dtype=np.int64)
    future = np.zeros(n_customers, dtype=np.int64)
    for t in range(1, n_periods + (holdout or 0) + 1):
        buys = (alive_through >= t) & (rng.random(n_customers) < p)
        if t <= n_periods:
            frequency += buys
            recency[buys] = t
        else:
            future += buys
    frame = pd.DataFrame({"frequency": frequency, "recency": recency,
                          "n_periods": np.full(n_customers, n_periods, dtype=np.int64)})
    frame.index.name = "customer_id"
    frame["alive_at_n"] = alive_through >= n_periods
    if holdout is not None:
        frame["frequency_holdout"] = future
    frame.attrs["unit"] = unit
    return frame
