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
from clvkit.models._event import EventModel, check_horizon, check_interval, draw_interval
from clvkit.models._math.gamma_gamma import expected_spend
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
    """Equal-tailed interval of CLV over joint draws of both models' parameters.

    Each joint draw is the purchase model's parameters followed by Gamma-Gamma's (when a fitted
    spend model is given); :func:`~clvkit.models._event.draw_interval` does the chunking.
    """
    rng = np.random.default_rng(random_seed)
    draws = model.param_draws(n_draws, int(rng.integers(2**31)))
    with_spend = isinstance(spend_model, GammaGamma)
    if with_spend:
        draws = np.hstack([draws, spend_model.param_draws(n_draws, int(rng.integers(2**31)))])
    constant = 1.0 if spend_model is None or with_spend else float(spend_model)
    delta = continuous_discount_rate(discount_rate, model.unit_)
    columns = [*model.columns, *(["monetary_value"] if with_spend else [])]
    n_purchase = len(model.param_names)
    frequency = model.columns.index("frequency")

    def clv_rows(params: np.ndarray, rows: np.ndarray) -> np.ndarray:
        purchases = model._discounted_purchases_rows(params[:n_purchase], rows[:, :len(model.columns)],
                                                     horizon, delta)
        spend = expected_spend(params[n_purchase:], rows[:, frequency], rows[:, -1]) if with_spend else constant
        return margin * spend * purchases

    packed = cd.compressed(columns, weights=np.ones(len(cd)))
    lower, upper = draw_interval(clv_rows, draws, packed.rows, level)
    return lower[packed.inverse], upper[packed.inverse]
