"""Parametric bootstrap of a purchase model's parameters, for intervals on small data.

``EventModel.predict(..., interval=0.9)`` draws parameters from the MLE's asymptotic normal on
the log scale. On small data sets that normal can be a poor description of the sampling
distribution (skewed, with a long tail in ``a`` and ``b`` of the BG/NBD), so this module offers
the parametric bootstrap (Efron & Tibshirani 1993, "An Introduction to the Bootstrap", ch. 6.5):
simulate data sets of the same size and observation times from the fitted model, refit each,
and use the refitted parameters as draws. The draws plug into the same chunked interval
machinery (:func:`clvkit.models._event.draw_interval`) through :func:`predict_interval`.
Checked by tests/unit/test_metrics.py and benchmarks/interval_coverage.py.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from clvkit.data.customer_data import CustomerData, as_customer_data
from clvkit.errors import ConvergenceWarning, DataError
from clvkit.models._event import EventModel, check_horizon, check_interval, draw_interval
from clvkit.simulate import simulate_beta_geo

__all__ = ["SIMULATORS", "bootstrap_params", "predict_interval"]

#: Simulators by model class name: ``f(params, n_customers, T=array, random_seed=int) -> frame``
#: with the model's columns. Add an entry (or pass ``simulator=``) to bootstrap another model.
SIMULATORS: dict[str, Callable[..., pd.DataFrame]] = {"BetaGeo": simulate_beta_geo}
#: Simulators with the same signature found in clvkit.simulate when this build has them.
_OPTIONAL_SIMULATORS: dict[str, tuple[str, str]] = {
    "ParetoNBD": ("clvkit.simulate.pareto_nbd", "simulate_pareto_nbd"),
    "ModifiedBetaGeo": ("clvkit.simulate.modified_beta_geo", "simulate_modified_beta_geo"),
}


def _simulator_for(name: str) -> Callable[..., pd.DataFrame] | None:
    if name in SIMULATORS:
        return SIMULATORS[name]
    if name in _OPTIONAL_SIMULATORS:
        module, attr = _OPTIONAL_SIMULATORS[name]
        try:
            return getattr(importlib.import_module(module), attr, None)
        except ImportError:
            return None
    return None


def bootstrap_params(model: EventModel, data: CustomerData | pd.DataFrame, n_boot: int = 200,
                     random_seed: int | None = None, *,
                     simulator: Callable[..., pd.DataFrame] | None = None,
                     resolution: float | None = None) -> np.ndarray:
    """Parameter draws of a fitted purchase model by parametric bootstrap.

    Each draw: simulate as many customers as ``data`` holds, with the same observation times
    ``T``, from the model at its fitted parameters (for BG/NBD with
    :func:`clvkit.simulate.simulate_beta_geo`), refit the same model class (warm-started at
    the fitted parameters), and keep the estimates.

    Parameters
    ----------
    model
        A fitted purchase model. BetaGeo is supported out of the box (and ParetoNBD and
        ModifiedBetaGeo when :mod:`clvkit.simulate` has their simulators); for another model
        (e.g. BG/BB, whose simulator takes ``n_periods``) pass ``simulator`` or register one in
        :data:`SIMULATORS`.
    data
        The data the model was fitted on (only ``T`` and the number of customers are used; a
        ``weight`` column is honoured by repeating rows).
    n_boot
        Number of bootstrap data sets (and draws).
    random_seed
        Seed; the same seed gives the same draws.
    simulator
        ``f(params, n_customers, T=array, random_seed=int)`` returning a frame with the
        model's columns, drawn from the model.
    resolution
        Passed to the simulator: put simulated recency on this grid (``1/7`` for a daily log
        summarised in weeks), as the real data were. Identical rows then compress, which makes
        each refit faster.

    Returns
    -------
    ndarray of shape ``(n_boot, n_params)`` in natural units (columns in
    ``model.param_names``), usable wherever ``model.param_draws(...)`` is: e.g.
    ``predict_interval(model, data, horizon, draws)`` or
    ``clvkit.models._event.draw_interval(fn, draws, rows, 0.9)``.

    Notes
    -----
    Refits that raise a :class:`~clvkit.errors.ConvergenceWarning` are kept, and one warning
    at the end says how many there were. Cost: ``n_boot`` fits; a warm-started BG/NBD fit on
    2,000 customers takes a few hundredths of a second.

    Examples
    --------
    >>> import clvkit as ck
    >>> from clvkit.evaluate import bootstrap_params, predict_interval
    >>> from clvkit.simulate import simulate_beta_geo
    >>> data = simulate_beta_geo(dict(r=0.25, alpha=4.0, a=0.8, b=2.5), 500, T=39.0, random_seed=1)
    >>> m = ck.BetaGeo().fit(data)
    >>> draws = bootstrap_params(m, data, n_boot=50, random_seed=2)
    >>> draws.shape
    (50, 4)
    >>> out = predict_interval(m, data.head(3), 39.0, draws, interval=0.9)
    >>> bool((out["expected_purchases_lower"] <= out["expected_purchases_upper"]).all())
    True
    """
    _check_mle_purchase_model(model, "bootstrap_params")
    name = type(model).__name__
    sim = simulator if simulator is not None else _simulator_for(name)
    if sim is None:
        known = sorted(set(SIMULATORS) | {n for n in _OPTIONAL_SIMULATORS if _simulator_for(n) is not None})
        raise DataError(f"no simulator is known for {name}; pass simulator=f(params, n_customers, T=..., "
                        f"random_seed=...) or use model.param_draws() (asymptotic normal). Known: {known}.")
    if int(n_boot) != n_boot or n_boot < 2:
        raise DataError(f"n_boot must be a whole number >= 2, got {n_boot!r}.")
    cd = as_customer_data(data, unit=model.unit_)
    exposure = model.columns[-1]
    cd.require([exposure], f"bootstrap_params({name})")
    T = cd.column(exposure)
    w = cd.weights()
    if not np.allclose(w, np.round(w)):
        raise DataError("bootstrap_params needs whole-number weights (customers per row).")
    T = np.repeat(T, np.round(w).astype(np.int64))
    params = model.params_.to_dict()
    rng = np.random.default_rng(random_seed)
    seeds = rng.integers(0, 2**31 - 1, size=int(n_boot))
    draws = np.empty((int(n_boot), model.n_params))
    failed = 0
    for i, seed in enumerate(seeds):
        extra = {} if resolution is None else {"resolution": resolution}
        frame = sim(params, len(T), T=T, random_seed=int(seed), **extra)
        boot = CustomerData.from_frame(frame.loc[:, list(model.columns)], unit=model.unit_)
        refit = type(model)(**model.get_params())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            refit.fit(boot, initial_params=params)
        for item in caught:
            if issubclass(item.category, ConvergenceWarning):
                failed += 1
                break
        # re-emit anything else unchanged
        for item in caught:
            if not issubclass(item.category, ConvergenceWarning):
                warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
        draws[i] = refit.params_.to_numpy()
    if failed:
        warnings.warn(f"{failed} of {int(n_boot)} bootstrap refits of {name} raised a convergence "
                      "warning; their estimates are kept among the draws.", ConvergenceWarning,
                      stacklevel=2)
    return draws


def predict_interval(model: EventModel, data: CustomerData | pd.DataFrame, horizon: float,
                     draws: np.ndarray, interval: float = 0.9) -> pd.DataFrame:
    """Expected purchases and P(alive) with equal-tailed intervals over given parameter draws.

    The same table as ``model.predict(data, horizon, interval=...)``, but the intervals come
    from ``draws`` (e.g. :func:`bootstrap_params` or ``model.param_draws``) instead of the
    asymptotic normal. Rows are processed in memory-bounded chunks by
    :func:`clvkit.models._event.draw_interval`.

    Returns
    -------
    DataFrame indexed by customer with ``expected_purchases``, ``p_alive`` (at the fitted
    parameters) and their ``_lower`` / ``_upper`` bounds.
    """
    _check_mle_purchase_model(model, "predict_interval")
    t = check_horizon(horizon)
    level = check_interval(interval)
    if level is None:
        raise DataError("interval must be a coverage level in (0, 1), such as 0.9.")
    draws = np.asarray(draws, dtype=float)
    if draws.ndim != 2 or draws.shape[1] != model.n_params or len(draws) < 2:
        raise DataError(f"draws must have shape (n_draws >= 2, {model.n_params}) for {type(model).__name__}, "
                        f"got {draws.shape}.")
    bad = ~np.all(np.isfinite(draws) & (draws > 0), axis=1)
    if bad.any():
        raise DataError(f"draws hold non-finite or non-positive parameters in {int(bad.sum())} of "
                        f"{len(draws)} rows (first: {draws[bad][0].tolist()}).")
    out = model.predict(data, t)
    cd = model._data(data)
    packed = model._unique(cd)
    fns: dict[str, Any] = {
        "expected_purchases": lambda q, rows: model._expected_purchases_rows(q, rows, t),
        "p_alive": model._p_alive_rows,
    }
    for name, fn in fns.items():
        lower, upper = draw_interval(fn, draws, packed.rows, level)
        out[f"{name}_lower"] = lower[packed.inverse]
        out[f"{name}_upper"] = upper[packed.inverse]
    return out


def _check_mle_purchase_model(model: Any, who: str) -> None:
    """Bootstrap refits by maximum likelihood: only fitted MLE purchase models qualify."""
    from clvkit._contract import is_purchase_model
    from clvkit.value import describe

    if not is_purchase_model(model) or not isinstance(model, EventModel):
        extra = (" A Bayesian model already carries its posterior draws: use model.predict(..., interval=...)."
                 if is_purchase_model(model) else "")
        raise DataError(f"{who} needs a fitted maximum-likelihood purchase model (BetaGeo, ParetoNBD, "
                        f"ModifiedBetaGeo, BetaGeoBetaBinom); got {describe(model)}.{extra}")
    model._check_fitted()
