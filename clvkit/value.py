"""One customer-lifetime-value computation for every event-forecast model.

``CLV_i = margin * E[spend_i] * integral_0^H exp(-delta t) dE[X_i(t)]``, with ``delta`` the
continuous rate equivalent to an annual effective ``discount_rate`` in the data's unit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clvkit.data.customer_data import CustomerData
from clvkit.data.units import continuous_discount_rate
from clvkit.errors import DataError
from clvkit.models._event import EventModel, check_horizon, check_interval
from clvkit.models.gamma_gamma import GammaGamma


def clv(
    model: EventModel,
    spend_model: GammaGamma | float | None,
    data: CustomerData | pd.DataFrame,
    horizon: float,
    discount_rate: float = 0.10,
    margin: float = 1.0,
    *,
    interval: float | None = None,
    n_draws: int = 1000,
    random_seed: int | None = None,
) -> pd.DataFrame:
    """Discounted customer lifetime value over a finite horizon, per customer.

    Parameters
    ----------
    model
        A fitted purchase model (BetaGeo, ParetoNBD, ModifiedBetaGeo, BetaGeoBetaBinom).
    spend_model
        A fitted :class:`GammaGamma`, or a constant spend per transaction, or ``None`` for
        value in purchases (spend 1).
    data
        Customer summary in the unit the purchase model was fitted on.
    horizon
        How far ahead to value, **in the data's time unit** (52 = one year in weeks).
    discount_rate
        **Annual effective** discount rate (0.10 = 10% a year). Converted to a continuous
        force of interest per unit: ``delta = log(1 + discount_rate) / periods_per_year``.
    margin
        Share of spend that is profit (1.0 values revenue).
    interval
        If given (e.g. 0.9), add ``clv_lower`` / ``clv_upper`` from joint parameter draws of
        both models (asymptotic normal of the MLEs on the log scale), chunked in memory.

    Returns
    -------
    DataFrame indexed by customer with ``expected_purchases`` (undiscounted, over the
    horizon), ``discounted_purchases``, ``expected_spend`` and ``clv``.

    Notes
    -----
    Purchases arrive continuously, so each is discounted at the moment it is expected:
    ``integral_0^H exp(-delta t) dE[X(t)]`` (Fader, Hardie & Lee 2005, "RFM and CLV: using
    iso-value curves for customer base analysis", JMR 42(4), eq. 2, truncated at H). A model
    evaluates it in closed form where the literature has one, and otherwise by parts with
    Gauss-Legendre quadrature of E[X(t)]. This replaces lifetimes' sum of monthly differences,
    whose value depends on the step.
    """
    if not isinstance(model, EventModel):
        raise DataError(f"model must be a fitted purchase model (e.g. BetaGeo), got {type(model).__name__}.")
    t = check_horizon(horizon)
    level = check_interval(interval)
    if not np.isfinite(margin):
        raise DataError(f"margin must be finite, got {margin!r}.")
    continuous_discount_rate(discount_rate, "Y")  # validates the rate
    cd = model._data(data)
    out = pd.DataFrame(index=cd.index)
    out["expected_purchases"] = model.expected_purchases(cd, t)
    out["discounted_purchases"] = model.discounted_expected_purchases(cd, t, discount_rate)
    out["expected_spend"] = _spend(spend_model, cd)
    out["clv"] = margin * out["expected_spend"] * out["discounted_purchases"]
    if level is not None:
        lower, upper = _clv_interval(model, spend_model, cd, t, discount_rate, margin, level,
                                     n_draws, random_seed)
        out["clv_lower"] = lower
        out["clv_upper"] = upper
    return out


def _spend(spend_model: Any, cd: CustomerData) -> pd.Series | float:
    if spend_model is None:
        return 1.0
    if isinstance(spend_model, GammaGamma):
        return spend_model.predict(cd)
    value = float(spend_model)
    if not np.isfinite(value) or value < 0:
        raise DataError(f"a constant spend must be finite and >= 0, got {spend_model!r}.")
    return value


def _clv_interval(model: EventModel, spend_model: Any, cd: CustomerData, horizon: float,
                  discount_rate: float, margin: float, level: float, n_draws: int,
                  random_seed: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed interval of CLV over joint parameter draws, computed row-chunk by chunk."""
    from clvkit.models._event import _CHUNK_CELLS

    rng = np.random.default_rng(random_seed)
    purchase_draws = model.param_draws(n_draws, int(rng.integers(2**31)))
    spend_draws = (spend_model.param_draws(n_draws, int(rng.integers(2**31)))
                   if isinstance(spend_model, GammaGamma) else None)
    delta = continuous_discount_rate(discount_rate, model.unit_)
    columns = list(dict.fromkeys([*model.columns, *(["monetary_value"] if spend_draws is not None else [])]))
    packed = cd.compressed(columns, weights=np.ones(len(cd)))
    rows = packed.rows
    spend_idx = columns.index("monetary_value") if spend_draws is not None else None
    freq_idx = columns.index("frequency")
    n_purchase_cols = len(model.columns)
    from clvkit.models._math.gamma_gamma import expected_spend

    constant = 1.0 if spend_model is None or spend_draws is not None else float(spend_model)
    step = max(1, _CHUNK_CELLS // max(1, n_draws))
    lower = np.empty(len(rows))
    upper = np.empty(len(rows))
    tail = (1.0 - level) / 2.0
    for start in range(0, len(rows), step):
        chunk = rows[start:start + step]
        values = np.empty((n_draws, len(chunk)))
        for i in range(n_draws):
            purchases = model._discounted_purchases_rows(purchase_draws[i], chunk[:, :n_purchase_cols],
                                                         horizon, delta)
            if spend_draws is not None:
                spend = expected_spend(spend_draws[i], chunk[:, freq_idx], chunk[:, spend_idx])
            else:
                spend = constant
            values[i] = margin * spend * purchases
        lower[start:start + step] = np.quantile(values, tail, axis=0)
        upper[start:start + step] = np.quantile(values, 1.0 - tail, axis=0)
    return lower[packed.inverse], upper[packed.inverse]
