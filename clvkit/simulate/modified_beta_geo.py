"""Simulate the MBG/NBD process of Batislam, Denizel & Filiztekin (2007)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvkit.simulate.beta_geo import simulate_dropout_after_purchases


def simulate_modified_beta_geo(
    params: dict[str, float] | pd.Series,
    n_customers: int,
    T: float | np.ndarray | tuple[float, float] = 39.0,
    *,
    holdout: float | None = None,
    resolution: float | None = None,
    random_seed: int | None = None,
    unit: str = "W",
) -> pd.DataFrame:
    """Customers drawn from the MBG/NBD model.

    Each customer gets ``lambda ~ gamma(r, scale=1/alpha)`` and ``p ~ beta(a, b)``. Right after
    the first purchase (time 0) and after every repeat purchase the customer leaves with
    probability p; while alive, purchases follow a Poisson process at lambda.

    Parameters
    ----------
    params
        ``r, alpha, a, b``.
    n_customers, T, holdout, resolution, random_seed, unit
        As in :func:`clvkit.simulate.simulate_pareto_nbd`.

    Returns
    -------
    DataFrame with ``frequency, recency, T, alive_at_T`` (and ``frequency_holdout``).
    """
    return simulate_dropout_after_purchases(params, n_customers, T, holdout=holdout, resolution=resolution,
                                            random_seed=random_seed, drop_at_start=True, unit=unit)
