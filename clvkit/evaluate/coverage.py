"""Frequentist coverage of per-customer prediction intervals, by simulation from known parameters.

Repeat: simulate a data set from a model with known parameters, fit, compute the interval for
expected purchases (and P(alive)) of a fixed set of customer histories, and record whether the
value at the *true* parameters falls inside. A 90% interval should cover about 90% of the time.
Used by benchmarks/interval_coverage.py and tests/slow/test_interval_coverage.py.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from clvkit.data.customer_data import CustomerData
from clvkit.errors import ConvergenceWarning, DataError
from clvkit.evaluate.bootstrap import bootstrap_params, predict_interval
from clvkit.models._event import EventModel, check_horizon, check_interval

__all__ = ["interval_coverage"]


def interval_coverage(
    model_class: type[EventModel],
    simulator: Callable[..., pd.DataFrame],
    true_params: dict[str, float],
    rows: pd.DataFrame,
    horizon: float,
    *,
    n_customers: int,
    T: Any,
    reps: int,
    level: float = 0.9,
    n_draws: int = 1000,
    n_boot: int | None = None,
    resolution: float | None = None,
    unit: str = "W",
    random_seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Coverage of ``level`` intervals for expected purchases over ``reps`` simulated data sets.

    Parameters
    ----------
    model_class
        The purchase model to fit (e.g. ``BetaGeo``).
    simulator
        ``simulator(params, n_customers, T=T, resolution=..., random_seed=...)`` drawing
        customers from that model (e.g. :func:`clvkit.simulate.simulate_beta_geo`).
    true_params
        The parameters data are simulated from.
    rows
        Customer histories to predict for: ``frequency, recency, T``.
    horizon
        Forecast length in ``unit``.
    n_customers, T, resolution
        Size of each simulated data set, its observation times (scalar, array or
        ``(low, high)``) and time grid.
    reps
        Number of simulated data sets.
    level
        Interval coverage level.
    n_draws
        Parameter draws from the asymptotic normal (when ``n_boot`` is None).
    n_boot
        If given, use the parametric bootstrap (:func:`clvkit.evaluate.bootstrap_params`) with
        this many refits per data set instead of the asymptotic normal.
    random_seed
        Seed of the whole study.
    progress
        Called as ``progress(done, reps)`` after each data set.

    Returns
    -------
    DataFrame, one row per history in ``rows``: the history, ``truth`` (expected purchases at
    the true parameters), ``coverage`` (share of data sets whose interval holds the truth),
    ``below`` / ``above`` (truth under the lower / over the upper bound), ``mean_estimate``,
    ``mean_width``, and the same ``p_alive_truth`` / ``p_alive_coverage`` for P(alive).
    ``attrs`` holds ``overall`` (coverage pooled over rows), ``reps``, ``level``,
    ``method``, ``convergence_warnings`` (fits that warned; kept) and ``seconds``.
    """
    lv = check_interval(level)
    if lv is None:
        raise DataError("level must be a coverage level in (0, 1), such as 0.9.")
    h = check_horizon(horizon)
    if int(reps) != reps or reps < 1:
        raise DataError(f"reps must be a whole number >= 1, got {reps!r}.")
    truth_model = model_class.from_params(true_params, unit=unit)
    history = CustomerData.from_frame(rows.loc[:, list(model_class.columns)].reset_index(drop=True), unit=unit)
    truth = truth_model.predict(history, h)
    rng = np.random.default_rng(random_seed)
    n_rows = len(history)
    inside = np.zeros((reps, n_rows), dtype=bool)
    below = np.zeros((reps, n_rows), dtype=bool)
    above = np.zeros((reps, n_rows), dtype=bool)
    alive_inside = np.zeros((reps, n_rows), dtype=bool)
    estimate = np.zeros((reps, n_rows))
    width = np.zeros((reps, n_rows))
    warned = 0
    start = time.perf_counter()
    for i in range(int(reps)):
        seed = int(rng.integers(0, 2**31 - 1))
        frame = simulator(true_params, n_customers, T=T, resolution=resolution, random_seed=seed)
        data = CustomerData.from_frame(frame.loc[:, list(model_class.columns)], unit=unit)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model = model_class().fit(data)
            if n_boot is None:
                out = model.predict(history, h, interval=lv, n_draws=n_draws, random_seed=seed + 1)
            else:
                draws = bootstrap_params(model, data, n_boot=n_boot, random_seed=seed + 1,
                                         resolution=resolution)
                out = predict_interval(model, history, h, draws, interval=lv)
        warned += any(issubclass(w.category, ConvergenceWarning) for w in caught)
        for w in caught:
            if not issubclass(w.category, ConvergenceWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        t = truth["expected_purchases"].to_numpy()
        lo, hi = out["expected_purchases_lower"].to_numpy(), out["expected_purchases_upper"].to_numpy()
        below[i], above[i] = t < lo, t > hi
        inside[i] = ~below[i] & ~above[i]
        pa = truth["p_alive"].to_numpy()
        alive_inside[i] = (pa >= out["p_alive_lower"].to_numpy() - 1e-12) & (pa <= out["p_alive_upper"].to_numpy()
                                                                            + 1e-12)
        estimate[i] = out["expected_purchases"].to_numpy()
        width[i] = hi - lo
        if progress is not None:
            progress(i + 1, int(reps))
    table = history.frame.copy()
    table["truth"] = truth["expected_purchases"].to_numpy()
    table["coverage"] = inside.mean(axis=0)
    table["below"] = below.mean(axis=0)
    table["above"] = above.mean(axis=0)
    table["mean_estimate"] = estimate.mean(axis=0)
    table["mean_width"] = width.mean(axis=0)
    table["p_alive_truth"] = truth["p_alive"].to_numpy()
    table["p_alive_coverage"] = alive_inside.mean(axis=0)
    table.attrs.update({"overall": float(inside.mean()), "reps": int(reps), "level": lv,
                        "method": "asymptotic normal (log scale)" if n_boot is None
                        else f"parametric bootstrap ({n_boot} refits)",
                        "convergence_warnings": int(warned), "seconds": time.perf_counter() - start,
                        "n_customers": int(n_customers)})
    return table
