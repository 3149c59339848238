"""Retention economics and the customer value triangle, built on the fitted models' values.

- :func:`retention_elasticity`: how much the discounted expected lifetime of the sBG grows for
  a 1% proportional rise in retention (closed form, hypergeometric).
- :func:`purchase_retention_elasticity`: the analogue for the event models, by central finite
  difference in the drop-out parameter.
- :func:`retention_what_if`: the value of the base if retention rises by 1, 5 and 10 points,
  for ShiftedBetaGeo, LostForGood and AlwaysAShare.
- :func:`value_triangle`: historical, current and potential value per customer.
- :func:`lifecycle_stage`: exploration / formation / stability / decline.

Checked by tests/unit/test_crm_value.py.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import hyp2f1

from clvkit.data.customer_data import CustomerData
from clvkit.data.units import per_period_rate
from clvkit.dwyer._checks import period_discount
from clvkit.dwyer.always_a_share import AlwaysAShare
from clvkit.dwyer.lost_for_good import LostForGood
from clvkit.errors import DataError
from clvkit.models._math import shifted_beta_geo as sbg
from clvkit.models.shifted_beta_geo import ShiftedBetaGeo
from clvkit.value import check_margin_rate, check_purchase_model, clv

__all__ = ["lifecycle_stage", "purchase_retention_elasticity", "retention_elasticity",
           "retention_what_if", "value_triangle"]

#: The drop-out parameter scaled by :func:`purchase_retention_elasticity`, per model class.
#: Raising it lowers the mean drop-out: BG/NBD and MBG/NBD ``p ~ beta(a, b)``, Pareto/NBD
#: ``mu ~ gamma(s, beta)`` (``E[mu] = s / beta``), BG/BB ``theta ~ beta(gamma, delta)``.
DROPOUT_PARAMETER = {"BetaGeo": "b", "ModifiedBetaGeo": "b", "ParetoNBD": "beta", "BetaGeoBetaBinom": "delta"}
#: Relative (log-scale) step of the central finite difference of
#: :func:`purchase_retention_elasticity`: the parameter is multiplied by ``exp(+-h)``.
ELASTICITY_STEP = 1e-4
#: Most periods summed directly by :func:`retention_what_if` (a rate <= 0 over a long horizon).
MAX_WHAT_IF_PERIODS = 5_000_000
STAGES = ("exploration", "formation", "stability", "decline")


# ---------------------------------------------------------------------------------- elasticities
def _sbg_params(model: Any) -> tuple[np.ndarray, str]:
    if isinstance(model, LostForGood):
        model._check_fitted()
        if model.sbg_ is None:
            raise DataError("retention_elasticity needs sBG retention; this LostForGood was fitted with "
                            f"retention={model._kind()!r}. Use retention_what_if for other retention kinds.")
        model = model.sbg_
    if not isinstance(model, ShiftedBetaGeo):
        raise DataError(f"retention_elasticity needs a fitted ShiftedBetaGeo, got {type(model).__name__}; "
                        "for the event models use purchase_retention_elasticity.")
    model._check_fitted()
    return model.params_.to_numpy(dtype=float), model.unit_


def retention_elasticity(model: ShiftedBetaGeo, discount_rate: float, renewals: int | None = None) -> float:
    """Retention elasticity of the sBG: % change in DEL (or DERL) per 1% more retention.

    Definition (stated here because we did not verify Fader & Hardie's printed closed form): every
    customer's renewal probability ``1 - theta`` is multiplied by ``c``. Then the survival curve
    becomes ``c^t S(t)`` and every period's aggregate retention rate ``r(t)`` is multiplied by
    ``c`` too, so this is also "a uniform proportional increase in every period's retention
    rate". The elasticity is the point derivative ``d log DEL(c) / d log c`` at ``c = 1``.

    With ``x = 1 / (1 + d)`` (``d`` the per-period rate) ``DEL(c) = 2F1(1, beta; alpha + beta; c x)``
    (Fader & Hardie 2010, Marketing Science 29(1), the DEL expression, with ``x`` replaced by
    ``c x``), hence

    ``e_DEL = x * beta / (alpha + beta) * 2F1(2, beta + 1; alpha + beta + 1; x) / 2F1(1, beta; alpha + beta; x)``.

    For a customer who has made ``renewals = n - 1`` renewals,
    ``DERL(c) = c (beta + n - 1) / (alpha + beta + n - 1) * F(c x)`` with
    ``F = 2F1(1, beta + n; alpha + beta + n; .)``, so ``e_DERL = 1 + x F'(x) / F(x)`` with
    ``F'(x) = (beta + n) / (alpha + beta + n) * 2F1(2, beta + n + 1; alpha + beta + n + 1; x)``
    (the ``1`` is the next renewal itself, which is also ``c`` times more likely).
    The elasticity is the sum over t of t times the share of discounted value received at t:
    a tenure-weighted mean. Checked against central finite differences of the hypergeometric
    values and direct sums in tests/unit/test_crm_value.py.

    Parameters
    ----------
    model
        A fitted :class:`~clvkit.ShiftedBetaGeo` (or a :class:`~clvkit.LostForGood` with sBG
        retention).
    discount_rate
        ANNUAL effective rate (> 0), converted to the model's period.
    renewals
        None: the elasticity of DEL (a just-acquired customer). A whole number >= 0: of DERL for a
        customer who has made that many renewals.

    Examples
    --------
    >>> import clvkit as ck
    >>> m = ck.ShiftedBetaGeo.from_params({"alpha": 1.0, "beta": 1.0}, unit="Y")
    >>> round(retention_elasticity(m, 0.10), 4)
    3.1703
    """
    (alpha, beta), unit = _sbg_params(model)
    d = per_period_rate(discount_rate, unit, infinite_horizon=True)
    x = 1.0 / (1.0 + d)
    if renewals is None:
        return float(x * beta / (alpha + beta) * hyp2f1(2.0, beta + 1.0, alpha + beta + 1.0, x)
                     / hyp2f1(1.0, beta, alpha + beta, x))
    if isinstance(renewals, bool) or not float(renewals).is_integer() or renewals < 0:
        raise DataError(f"renewals must be a whole number >= 0 (or None for DEL), got {renewals!r}.")
    n = float(renewals) + 1.0
    f = hyp2f1(1.0, beta + n, alpha + beta + n, x)
    df = (beta + n) / (alpha + beta + n) * hyp2f1(2.0, beta + n + 1.0, alpha + beta + n + 1.0, x)
    return float(1.0 + x * df / f)


def _with_param(model: Any, name: str, factor: float) -> Any:
    params = model.params_.copy()
    params[name] = params[name] * factor
    return type(model).from_params(params, unit=model.unit_)


def purchase_retention_elasticity(model: Any, data: CustomerData | pd.DataFrame, horizon: float | None,
                                  discount_rate: float) -> float:
    """Elasticity of the base's total discounted expected purchases to the drop-out parameter.

    ``e = d log V / d log k`` with ``V`` the sum over customers of the discounted expected
    purchases of :func:`clvkit.clv` (no spend: value in purchases) and ``k`` the parameter of
    :data:`DROPOUT_PARAMETER`: ``b`` for BG/NBD and MBG/NBD (``p ~ beta(a, b)``), ``beta`` for
    Pareto/NBD (``mu ~ gamma(s, beta)``; scaling ``beta`` by ``c`` divides every drop-out rate by
    ``c``), ``delta`` for BG/BB (``theta ~ beta(gamma, delta)``). Raising ``k`` lowers drop-out,
    so ``e > 0`` in practice. The other parameters are held at their estimates; P(alive) and the
    conditional expectations are recomputed for the changed parameter. Computed by the central
    difference ``(log V(k e^h) - log V(k e^-h)) / (2h)`` with ``h =`` :data:`ELASTICITY_STEP`
    (truncation error O(h^2)).

    Parameters
    ----------
    model
        A fitted MLE purchase model (BetaGeo, ModifiedBetaGeo, ParetoNBD, BetaGeoBetaBinom).
    data
        The customers valued.
    horizon
        In the data's unit; None for no end (then ``discount_rate`` must be > 0).
    discount_rate
        ANNUAL effective rate.
    """
    check_purchase_model(model)
    model._check_fitted()
    name = DROPOUT_PARAMETER.get(type(model).__name__)
    if name is None or getattr(model, "point_is_posterior_mean", False):
        raise DataError(f"purchase_retention_elasticity supports {sorted(DROPOUT_PARAMETER)} (MLE), got "
                        f"{type(model).__name__}.")
    h = ELASTICITY_STEP
    totals = [float(clv(_with_param(model, name, math.exp(s * h)), data, horizon,
                        discount_rate=discount_rate)["discounted_purchases"].sum()) for s in (1.0, -1.0)]
    if min(totals) <= 0:
        raise DataError("the base has no discounted expected purchases, so no elasticity exists.")
    return (math.log(totals[0]) - math.log(totals[1])) / (2.0 * h)


# ---------------------------------------------------------------------------------- what-if
def _check_points(points: Any) -> np.ndarray:
    p = np.atleast_1d(np.asarray(points, dtype=float))
    if p.size == 0 or np.any(~np.isfinite(p)) or np.any(p < 0) or np.any(p > 1):
        raise DataError(f"points must be retention increases in [0, 1] (0.05 = 5 points), got {points!r}.")
    return p


def _terms(x: float, horizon: int | None) -> tuple[int, bool]:
    """Periods summed directly, and whether a geometric tail follows them."""
    if x < 1.0:
        # x^T / (1 - x) <= 1e-17: the tail is below float precision of a value >= S(0) = 1
        converged = math.ceil(math.log(1e-17 * (1.0 - x)) / math.log(x))
        if horizon is None or horizon > converged:
            return converged, True
    if horizon is None:
        raise DataError("an infinite horizon needs a discount rate > 0.")
    if horizon > MAX_WHAT_IF_PERIODS:
        raise DataError(f"horizon={horizon:,} periods at a discount rate <= 0 would sum more than "
                        f"{MAX_WHAT_IF_PERIODS:,} periods; give a shorter horizon or a rate > 0.")
    return horizon, False


def _survival_value(rates: np.ndarray, x: float, horizon: int | None, tail: bool) -> float:
    """``sum_t S(t) x^t`` with ``S(0) = 1``, ``S(t) = prod_{s<=t} rates[s-1]``.

    ``rates`` covers t = 1..T-1 plus the rate held beyond (its last entry): the sum runs over
    t = 0..T-1 and, with ``tail``, adds ``S(T) x^T sum_{j<H-T} (r x)^j`` (H = horizon or infinity).
    """
    n = len(rates)
    s = np.concatenate([[1.0], np.cumprod(rates[:-1])])
    t = np.arange(n)
    total = float(np.sum(s * x ** t))
    if tail:
        q = rates[-1] * x
        s_next = s[-1] * rates[-1]
        if horizon is None:
            geo = 1.0 / (1.0 - q)
        elif q == 0.0:
            geo = 1.0
        else:  # sum_{j < H - n} q^j, with q < 1 here since x < 1
            geo = -math.expm1((horizon - n) * math.log(q)) / (1.0 - q)
        total += s_next * x ** n * geo
    return total


def retention_what_if(model: Any, discount_rate: float, points: Sequence[float] = (0.01, 0.05, 0.10), *,
                      horizon: int | None = None, margin: float | None = None) -> pd.DataFrame:
    """Value of the customer base if retention rises by ``points`` (0.01 = one percentage point).

    - :class:`~clvkit.ShiftedBetaGeo` and :class:`~clvkit.LostForGood`: every period's retention
      rate ``r_t = S(t) / S(t - 1)`` becomes ``min(r_t + points, 1)``, the survival curve is
      rebuilt from the raised rates and the value of a just-acquired customer is
      ``margin * sum_{t=0}^{H-1} S(t) / (1 + d)^t`` (LostForGood's timing: the acquisition
      period undiscounted). Terms are summed until ``x^T / (1 - x) <= 1e-17`` (``x = 1/(1+d)``),
      then a geometric tail holds the last rate (exact for constant and empirical retention,
      below float precision for the sBG). ``margin`` defaults to LostForGood's ``margin_`` and
      to 1 for ShiftedBetaGeo (value in payments: DEL at 0 points).
    - :class:`~clvkit.AlwaysAShare`: every state's purchase probability ``p_k`` becomes
      ``min(p_k + points, 1)`` and the model's own :meth:`~clvkit.AlwaysAShare.value` is used.
      ``value`` is the total over the customers of the fitted log (each at their state at its
      end) when the model has ``states_``, else the value of a customer in state 1; columns
      ``value_state_1..K`` give the value per state.

    Parameters
    ----------
    model
        A fitted ShiftedBetaGeo, LostForGood or AlwaysAShare.
    discount_rate
        ANNUAL effective rate, converted to the model's period.
    points
        Increases of retention (of ``p_k`` for AlwaysAShare) in [0, 1].
    horizon
        Periods counted (including the acquisition period); None for all (rate > 0 then).
    margin
        Margin per period for ShiftedBetaGeo / LostForGood (default as above).

    Returns
    -------
    pandas.DataFrame
        One row per point: ``points, value, change, change_pct`` (change against the model as
        fitted; ``change_pct`` in percent).

    Examples
    --------
    >>> import clvkit as ck
    >>> m = ck.AlwaysAShare.from_params(p=[0.5, 0.2], margin=10, unit="Y")
    >>> retention_what_if(m, 0.10, points=[0.0, 0.1])["value"].round(4).tolist()
    [34.375, 49.5]
    """
    p = _check_points(points)
    if isinstance(model, AlwaysAShare):
        model._check_fitted()
        values = []
        for add in np.concatenate([[0.0], p]):
            raised = np.minimum(model.p_.to_numpy() + add, 1.0)
            alt = AlwaysAShare.from_params(p=raised, margin=model.margin_, cost=model.cost, unit=model.unit_)
            values.append(alt.value(discount_rate, horizon=horizon).to_numpy())
        by_state = np.array(values)
        if model.states_ is not None:
            counts = np.bincount(model.states_.to_numpy() - 1, minlength=len(model.p_))
            totals = by_state @ counts
        else:
            totals = by_state[:, 0]
        extra = {f"value_state_{k}": by_state[1:, k - 1] for k in range(1, by_state.shape[1] + 1)}
    elif isinstance(model, ShiftedBetaGeo | LostForGood):
        model._check_fitted()
        if margin is None:
            m = 1.0 if isinstance(model, ShiftedBetaGeo) else model._margin(None)
        else:
            m = float(margin)
            if not np.isfinite(m) or m < 0:
                raise DataError(f"margin must be money >= 0 per period, got {margin!r}.")
        if horizon is not None and (isinstance(horizon, bool) or not float(horizon).is_integer() or horizon < 1):
            raise DataError(f"horizon must be a whole number of periods >= 1 or None, got {horizon!r}.")
        h = None if horizon is None else int(horizon)
        x = period_discount(discount_rate, model.unit_, infinite_horizon=h is None)
        n, tail = _terms(x, h)
        t = np.arange(1, n + 1)
        if isinstance(model, ShiftedBetaGeo):
            base = sbg.retention(model.params_.to_numpy(dtype=float), t)
        else:
            surv = model.survival(np.arange(n + 1)).to_numpy(dtype=float)
            with np.errstate(invalid="ignore", divide="ignore"):
                base = np.where(surv[:-1] > 0, surv[1:] / np.where(surv[:-1] > 0, surv[:-1], 1.0), 0.0)
        totals = np.array([m * _survival_value(np.minimum(base + add, 1.0), x, h, tail)
                           for add in np.concatenate([[0.0], p])])
        extra = {}
    else:
        raise DataError("retention_what_if needs a fitted ShiftedBetaGeo, LostForGood or AlwaysAShare, "
                        f"got {type(model).__name__}.")
    base_value, value = float(totals[0]), np.asarray(totals[1:], dtype=float)
    change = value - base_value
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = 100.0 * change / base_value if base_value != 0 else np.full(len(p), np.nan)
    return pd.DataFrame({"points": p, "value": value, "change": change, "change_pct": pct, **extra})


# ---------------------------------------------------------------------------------- value triangle
def _frame(data: CustomerData | pd.DataFrame) -> pd.DataFrame:
    return data.frame if isinstance(data, CustomerData) else data


def frequency_band(frequency: pd.Series, bands: int = 5) -> pd.Series:
    """Quantile band 1..``bands`` of ``frequency`` with ties kept together.

    ``band = floor((rank_min - 1) * bands / n) + 1`` with ``rank_min`` the rank giving tied
    values their lowest rank: equal frequencies always share a band, so a heavily tied value
    (CDNOW's 0 repeat purchases) makes one large band and some bands may be empty.
    """
    n = len(frequency)
    rank = frequency.rank(method="min").to_numpy()
    return pd.Series(np.floor((rank - 1.0) * bands / max(n, 1)).astype(np.int64) + 1, index=frequency.index,
                     name="peer_group")


def _first_purchase_spend(spend: Any, frame: pd.DataFrame) -> np.ndarray:
    if isinstance(spend, pd.Series):
        return spend.reindex(frame.index).to_numpy(dtype=float)
    if hasattr(spend, "expected_spend"):
        return spend.expected_spend(frame).to_numpy(dtype=float)
    return np.full(len(frame), float(spend))


def value_triangle(data: CustomerData | pd.DataFrame, purchase_model: Any, spend: Any, *,
                   horizon: float | None, discount_rate: float = 0.10, margin_rate: float = 1.0,
                   top_share: float = 0.1, peer_key: pd.Series | str | None = None,
                   historical: pd.Series | None = None) -> pd.DataFrame:
    """Historical, current and potential value per customer (the CRM value triangle).

    - ``historical_value``: margin realised to date. With ``historical`` given, that Series
      (indexed by customer). Otherwise ``margin_rate * (frequency + 1) * monetary_value``: the
      first purchase's value is approximated by the mean of the repeat purchases, since a
      summary does not carry it; for customers without a repeat purchase (no
      ``monetary_value``) it is the expected spend per purchase from ``spend`` (a constant, a
      per-customer Series, or the spend model's ``expected_spend``).
    - ``current_value``: expected residual CLV if behaviour stays as it is, the ``clv`` column
      of :func:`clvkit.clv` with the given horizon, spend, discount and margin rates.
    - ``potential_value``: the gap to comparable customers in the top tier. Peers are the
      customers of the same ``peer_group``: by default the frequency quintile
      (:func:`frequency_band`, ties together), or ``peer_key`` (a column name of the data or a
      Series). The top tier of a peer group is its ``max(1, ceil(top_share * n))`` customers of
      highest current value; ``potential_value = max(0, mean current value of that top tier -
      own current value)``. Our definition: the literature names the notion without fixing a
      rule.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer: ``historical_value, current_value, potential_value, peer_group,
        top_tier`` (bool).
    """
    if not 0.0 < float(top_share) <= 1.0:
        raise DataError(f"top_share must be in (0, 1], got {top_share!r}.")
    margin = check_margin_rate(margin_rate)
    if spend is None:
        raise DataError("value_triangle needs spend= (a fitted GammaGamma, a constant spend per purchase or a "
                        "per-customer Series): historical, current and potential value are money.")
    frame = _frame(data)
    current = clv(purchase_model, data, horizon, spend=spend, discount_rate=discount_rate,
                  margin_rate=margin)["clv"].reindex(frame.index)
    if historical is not None:
        hist = historical.reindex(frame.index).astype(float)
        if hist.isna().any():
            raise DataError(f"historical lacks a value for {int(hist.isna().sum())} of {len(hist)} customers.")
    else:
        if "monetary_value" not in frame.columns:
            raise DataError("the data has no monetary_value column; give historical= (realised margin per customer).")
        freq = frame["frequency"].to_numpy(dtype=float)
        mv = frame["monetary_value"].to_numpy(dtype=float)
        first = np.where((freq > 0) & np.isfinite(mv), mv, _first_purchase_spend(spend, frame))
        hist = pd.Series(margin * (freq * np.nan_to_num(mv) + first), index=frame.index)
    if peer_key is None:
        group = frequency_band(frame["frequency"])
    elif isinstance(peer_key, str):
        group = frame[peer_key].rename("peer_group")
    else:
        group = peer_key.reindex(frame.index).rename("peer_group")
    out = pd.DataFrame({"historical_value": hist.to_numpy(dtype=float), "current_value": current.to_numpy(),
                        "peer_group": group.to_numpy()}, index=frame.index)
    order = out.sort_values(["peer_group", "current_value"], ascending=[True, False], kind="stable")
    size = order.groupby("peer_group")["current_value"].transform("size")
    position = order.groupby("peer_group").cumcount()
    top = position < np.maximum(1, np.ceil(top_share * size - 1e-12))
    out["top_tier"] = top.reindex(out.index).to_numpy()
    top_mean = out[out["top_tier"]].groupby("peer_group")["current_value"].mean()
    out["potential_value"] = np.maximum(0.0, out["peer_group"].map(top_mean).to_numpy() - out["current_value"])
    return out[["historical_value", "current_value", "potential_value", "peer_group", "top_tier"]]


# ---------------------------------------------------------------------------------- lifecycle
def lifecycle_stage(data: CustomerData | pd.DataFrame, purchase_model: Any, *, p_alive_threshold: float = 0.5,
                    formation_below: float | None = None) -> pd.DataFrame:
    """Relationship phase of every customer: exploration, formation, stability or decline.

    After the phases of buyer-seller relationships of Dwyer, Schurr & Oh (1987), "Developing
    buyer-seller relationships", Journal of Marketing 51(2) (awareness, exploration, expansion,
    commitment, dissolution), mapped onto the fitted model's quantities; the rule is ours:

    1. ``decline`` when ``P(alive) < p_alive_threshold`` (default 0.5);
    2. otherwise ``exploration`` when ``frequency == 0`` (no repeat purchase yet);
    3. ``formation`` when ``frequency < formation_below`` (default: the median frequency of
       the repeat buyers, those with ``frequency > 0``);
    4. ``stability`` otherwise.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer: ``frequency, p_alive, stage`` (an ordered categorical).
    """
    if not 0.0 <= float(p_alive_threshold) <= 1.0:
        raise DataError(f"p_alive_threshold must be in [0, 1], got {p_alive_threshold!r}.")
    frame = _frame(data)
    alive = purchase_model.p_alive(data).reindex(frame.index).to_numpy(dtype=float)
    freq = frame["frequency"].to_numpy(dtype=float)
    if formation_below is None:
        repeat = freq[freq > 0]
        formation_below = float(np.median(repeat)) if repeat.size else 1.0
    stage = np.select([alive < p_alive_threshold, freq == 0, freq < formation_below],
                      ["decline", "exploration", "formation"], "stability")
    return pd.DataFrame({"frequency": freq, "p_alive": alive,
                         "stage": pd.Categorical(stage, categories=list(STAGES), ordered=True)}, index=frame.index)
