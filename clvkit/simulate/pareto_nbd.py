"""Simulate the Pareto/NBD process of Schmittlein, Morrison & Colombo (1987)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvkit.simulate.common import observation_times


def simulate_pareto_nbd(
    params: dict[str, float] | pd.Series,
    n_customers: int,
    T: float | np.ndarray | tuple[float, float] = 39.0,
    *,
    holdout: float | None = None,
    resolution: float | None = None,
    random_seed: int | None = None,
    unit: str = "W",
) -> pd.DataFrame:
    """Customers drawn from the Pareto/NBD model.

    Each customer gets a purchase rate ``lambda ~ gamma(r, scale=1/alpha)`` and a drop-out rate
    ``mu ~ gamma(s, scale=1/beta)``; the lifetime is exponential(mu) from time 0 (the first
    purchase, not counted) and purchases are Poisson at ``lambda`` while alive. Given the
    active time ``a = min(lifetime, T)`` the calibration count is Poisson(lambda a) and the
    last purchase time is ``a * U^(1/count)`` (the maximum of ``count`` uniform times), so no
    purchase-by-purchase loop is needed.

    Parameters
    ----------
    params
        ``r, alpha, s, beta``.
    n_customers
        How many customers.
    T
        Calibration length: scalar, per-customer array, or ``(low, high)`` for uniform T.
    holdout
        If given, also count purchases in ``(T, T + holdout]`` as ``frequency_holdout``.
    resolution
        Put T and recency on this time grid (recency floored), like a dated log summarised at
        a daily grain (``1/7`` in weeks).
    random_seed
        Seed for :func:`numpy.random.default_rng`.
    unit
        The time unit the parameters (and so recency and T) are in; stored in ``attrs["unit"]``.

    Returns
    -------
    DataFrame with ``frequency, recency, T, alive_at_T`` (and ``frequency_holdout``).
    """
    rng = np.random.default_rng(random_seed)
    r, alpha, s, beta = (float(params[k]) for k in ("r", "alpha", "s", "beta"))
    T_arr = observation_times(n_customers, T, rng, resolution)
    lam = rng.gamma(r, 1.0 / alpha, size=n_customers)
    mu = rng.gamma(s, 1.0 / beta, size=n_customers)
    lifetime = rng.exponential(1.0, size=n_customers) / mu
    active = np.minimum(lifetime, T_arr)
    frequency = rng.poisson(lam * active)
    with np.errstate(divide="ignore"):
        last = active * rng.random(n_customers) ** (1.0 / np.maximum(frequency, 1))
    recency = np.where(frequency > 0, last, 0.0)
    if resolution is not None:
        recency = np.minimum(np.floor(recency / resolution + 1e-9) * resolution, T_arr)
    frame = pd.DataFrame({"frequency": frequency.astype(np.int64), "recency": recency, "T": T_arr})
    frame.index.name = "customer_id"
    frame["alive_at_T"] = lifetime > T_arr
    if holdout is not None:
        future = np.clip(np.minimum(lifetime, T_arr + holdout) - T_arr, 0.0, None)
        frame["frequency_holdout"] = rng.poisson(lam * future).astype(np.int64)
    frame.attrs["unit"] = unit
    return frame
