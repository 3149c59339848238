"""One customer-lifetime-value computation for every purchase model, MLE or Bayesian.

``CLV_i = margin_rate * E[spend_i] * integral_0^H exp(-delta t) dE[X_i(t)]``, with ``delta`` the
continuous rate equivalent to an annual effective ``discount_rate`` in the data's unit and
``H`` the horizon (``None`` / ``inf``: no end).

Everything is computed on unique rows of the columns a model reads, through the purchase-model
protocol of :class:`clvkit.models._event.EventModel` (``_expected_purchases_rows``,
``_p_alive_rows``, ``_discounted_purchases_rows``, ``_point_params``, ``_parameter_draws``,
``point_is_posterior_mean``), so one code path serves BG/NBD, Pareto/NBD, MBG/NBD, BG/BB and
the Bayesian BG/NBD. Checked by tests/unit/test_clv.py and tests/contract/test_models.py.
"""

from __future__ import annotations

import inspect
import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clvkit._contract import _plain, is_purchase_model, is_spend_model, renamed
from clvkit.data.customer_data import CustomerData
from clvkit.data.units import check_discount_rate, periods_per_year
from clvkit.errors import DataError
from clvkit.models._event import _CHUNK_CELLS, check_finite_rows, check_horizon, check_level

__all__ = ["clv"]

#: value-settings keywords shared by :func:`clv`, :func:`clvkit.score` and the Spark engine.
VALUE_KEYWORDS = ("spend", "discount_rate", "margin_rate", "interval", "n_draws", "random_seed")


# ---------------------------------------------------------------------------------- argument checks
def describe(obj: Any) -> str:
    """Name an object by its class's module and qualified name, and say what it is.

    ``clvkit.models.gamma_gamma.GammaGamma (a spend model)``, ``the class
    clvkit.models.beta_geo.BetaGeo (not a fitted instance)``, ``an object of type
    lifetimes.fitters.beta_geo_fitter.BetaGeoFitter``.
    """
    if isinstance(obj, type):
        kind = getattr(obj, "kind", "")
        what = f"a {kind} model class" if kind else "a class"
        return (f"the class {obj.__module__}.{obj.__qualname__} ({what}, not a fitted instance: "
                f"use {obj.__qualname__}().fit(data))")
    cls = type(obj)
    name = f"{cls.__module__}.{cls.__qualname__}"
    kind = getattr(cls, "kind", "")
    if kind:
        return f"{name} (a {kind} model)"
    return f"an object of type {name} (not a clvkit model)"


def check_purchase_model(model: Any) -> Any:
    """``model`` if it is a registered purchase model instance, else a :class:`DataError`."""
    if not is_purchase_model(model):
        raise DataError("model must be a fitted clvkit purchase model (BetaGeo, ParetoNBD, ModifiedBetaGeo, "
                        f"BetaGeoBetaBinom or bayes.BetaGeo); got {describe(model)}.")
    return model


def check_margin_rate(margin_rate: Any, name: str = "margin_rate") -> float:
    """A finite share of spend >= 0 (1.0 values revenue)."""
    try:
        value = float(margin_rate)
    except (TypeError, ValueError):
        raise DataError(f"{name} must be a share of spend such as 0.3, got {margin_rate!r}.") from None
    if isinstance(margin_rate, bool) or not np.isfinite(value) or value < 0:
        raise DataError(f"{name} must be a finite share of spend >= 0 (1.0 values revenue), got {margin_rate!r}.")
    return value


def check_n_draws(n_draws: Any) -> int:
    """A whole number of draws >= 1."""
    if isinstance(n_draws, bool) or not isinstance(n_draws, numbers.Integral) or n_draws < 1:
        raise DataError(f"n_draws must be a whole number >= 1, got {n_draws!r}.")
    return int(n_draws)


def _is_data(obj: Any) -> bool:
    return isinstance(obj, CustomerData | pd.DataFrame)


def _is_spend_like(obj: Any) -> bool:
    """What the old second positional argument ``spend_model`` could be."""
    return obj is None or is_spend_model(obj) or (isinstance(obj, numbers.Real) and not isinstance(obj, bool))


def translate_legacy(fname: str, args: tuple[Any, ...], kwargs: dict[str, Any],
                     *, stacklevel: int = 4) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Map the deprecated spellings of :func:`clv` / :func:`clvkit.score` onto the new ones.

    ``args`` are the positional arguments after ``model``. Deprecated, each with a
    ``FutureWarning`` naming the new spelling: the positional form ``(spend_model, data,
    horizon, discount_rate, margin)``, the keyword ``spend_model=`` (now ``spend=``) and the
    keyword ``margin=`` (a share; now ``margin_rate=``).
    """
    kwargs = dict(kwargs)
    if args and _is_spend_like(args[0]) and ((len(args) > 1 and _is_data(args[1])) or "data" in kwargs):
        renamed(f"{fname}(model, spend_model, data, horizon, discount_rate, margin)",
                f"{fname}(model, data, horizon, spend=..., discount_rate=..., margin_rate=...)",
                stacklevel=stacklevel)
        if len(args) > 5:
            raise TypeError(f"{fname}() takes at most 6 positional arguments in its old form, got {len(args) + 1}.")
        names = ("spend", "data", "horizon", "discount_rate", "margin_rate")
        for name, value in zip(names, args, strict=False):
            if name in kwargs or (name == "margin_rate" and "margin" in kwargs):
                raise TypeError(f"{fname}() got multiple values for argument {name!r}.")
            kwargs[name] = value
        args = ()
    if "spend_model" in kwargs:
        renamed(f"{fname}(spend_model=...)", f"{fname}(spend=...)", stacklevel=stacklevel)
        if "spend" in kwargs:
            raise TypeError(f"{fname}() got both spend= and its deprecated spelling spend_model=; use spend=.")
        kwargs["spend"] = kwargs.pop("spend_model")
    if "margin" in kwargs:
        renamed(f"{fname}(margin=...)", f"{fname}(margin_rate=...) (the same share of spend)",
                stacklevel=stacklevel)
        if "margin_rate" in kwargs:
            raise TypeError(f"{fname}() got both margin_rate= and its deprecated spelling margin=; use margin_rate=.")
        kwargs["margin_rate"] = kwargs.pop("margin")
    return args, kwargs


# ---------------------------------------------------------------------------------- the valuation plan
@dataclass
class ValuePlan:
    """Checked settings of one valuation, and the parameter draws every chunk of customers shares."""

    model: Any
    horizon: float                 # in the model's unit; inf = no end
    delta: float                   # continuous discount rate per unit
    discount_rate: float
    margin_rate: float
    spend_kind: str                # "model", "constant", "series" or "none"
    spend: Any
    level: float | None
    n_draws: int
    random_seed: int | None
    draws: np.ndarray | None = None        # purchase-model parameter draws (Bayes always, MLE with interval)
    spend_draws: np.ndarray | None = None  # spend-model draws paired with them (interval only)

    @property
    def finite(self) -> bool:
        return bool(np.isfinite(self.horizon))

    @property
    def has_spend(self) -> bool:
        return self.spend_kind != "none"

    def settings(self) -> dict[str, Any]:
        """What was used, for ``frame.attrs["clvkit"]`` and file metadata (JSON-ready)."""
        from clvkit import __version__

        spend = {"model": lambda: getattr(self.spend, "qualified_name", type(self.spend).__name__),
                 "constant": lambda: float(self.spend), "series": lambda: "per-customer values",
                 "none": lambda: None}[self.spend_kind]()
        return {"model": getattr(self.model, "qualified_name", type(self.model).__name__),
                "horizon": float(self.horizon) if self.finite else "inf",
                "unit": self.model.unit_, "discount_rate": self.discount_rate, "margin_rate": self.margin_rate,
                "spend": spend, "value_in": "money" if self.has_spend else "purchases",
                "interval": self.level, "clvkit_version": __version__}


def plan_value(model: Any, horizon: Any = None, *, spend: Any = None, discount_rate: float = 0.10,
               margin_rate: float = 1.0, interval: float | None = None, n_draws: int = 1000,
               random_seed: int | None = None) -> ValuePlan:
    """Check every value setting (no data needed) and draw the parameters once."""
    check_purchase_model(model)
    model._check_fitted()
    t = check_horizon(horizon, allow_infinite=True)
    rate = check_discount_rate(discount_rate)  # checked (and warned about) once
    delta = math.log1p(rate) / periods_per_year(model.unit_)
    if np.isinf(t) and delta <= 0:
        raise DataError(f"an infinite horizon (horizon=None or inf) needs discount_rate > 0, got {discount_rate!r}: "
                        "undiscounted purchases over an unbounded future have no finite value.")
    margin = check_margin_rate(margin_rate)
    level = check_level(interval)
    n = check_n_draws(n_draws)
    if spend is None:
        kind = "none"
    elif is_spend_model(spend):
        spend._check_fitted()
        kind = "model"
    elif isinstance(spend, pd.Series):
        kind = "series"
    elif isinstance(spend, numbers.Real) and not isinstance(spend, bool):
        value = float(spend)
        if not np.isfinite(value) or value < 0:
            raise DataError(f"a constant spend per purchase must be finite and >= 0, got {spend!r}.")
        kind, spend = "constant", value
    else:
        raise DataError("spend must be a fitted spend model (GammaGamma), a constant spend per purchase >= 0, "
                        f"a pandas Series of spend per customer, or None (value in purchases); got {describe(spend)}.")
    plan = ValuePlan(model=model, horizon=t, delta=delta, discount_rate=rate, margin_rate=margin, spend_kind=kind,
                     spend=spend, level=level, n_draws=n, random_seed=random_seed)
    if model.point_is_posterior_mean or level is not None:
        rng = np.random.default_rng(random_seed)
        plan.draws = np.asarray(model._parameter_draws(n, int(rng.integers(2**31))), dtype=float)
        if kind == "model" and level is not None:
            plan.spend_draws = np.asarray(spend.param_draws(len(plan.draws), int(rng.integers(2**31))), dtype=float)
    return plan


def _over_draws(fn: Any, n_out: int, draws: np.ndarray, rows: np.ndarray, level: float | None,
                chunk_cells: int = _CHUNK_CELLS) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Mean and equal-tailed ``level`` bounds over ``draws`` of ``fn(params, rows)`` (``n_out`` rows out).

    Unique rows are taken in chunks so that at most ``chunk_cells`` values (draws x rows x
    quantities) exist at once, as :func:`clvkit.models._event.draw_interval` does.
    """
    n_draws = len(draws)
    step = max(1, chunk_cells // max(1, n_draws * n_out))
    mean = np.empty((n_out, len(rows)))
    lower = np.empty((n_out, len(rows))) if level is not None else None
    upper = np.empty((n_out, len(rows))) if level is not None else None
    for start in range(0, len(rows), step):
        chunk = rows[start:start + step]
        values = np.empty((n_draws, n_out, len(chunk)))
        for i, params in enumerate(draws):
            values[i] = fn(params, chunk)
        mean[:, start:start + step] = values.mean(axis=0)
        if level is not None:
            tail = (1.0 - level) / 2.0
            lower[:, start:start + step], upper[:, start:start + step] = np.quantile(values, [tail, 1.0 - tail],
                                                                                    axis=0)
    return mean, lower, upper


def _spend_per_customer(plan: ValuePlan, cd: CustomerData) -> np.ndarray:
    if plan.spend_kind == "none":
        return np.ones(len(cd))
    if plan.spend_kind == "constant":
        return np.full(len(cd), plan.spend)
    if plan.spend_kind == "model":
        return plan.spend.expected_spend(cd).to_numpy(dtype=float)
    series = plan.spend
    if series.index.has_duplicates:
        dup = series.index[series.index.duplicated()]
        raise DataError(f"the spend Series has {len(dup)} duplicated customer ids (first: {_plain(dup[0])!r}); "
                        "give one spend per customer.")
    aligned = series.reindex(cd.index)
    missing = aligned.isna().to_numpy()
    if missing.any():
        first = _plain(cd.index[missing][0])
        in_series = "is NaN" if first in series.index else "is missing"
        raise DataError(f"the spend Series lacks a value for {int(missing.sum())} of {len(cd)} customers of the data "
                        f"(first: {first!r} {in_series}); index it by the data's customer ids.")
    values = pd.to_numeric(aligned, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        raise DataError(f"the spend Series is negative, infinite or not numeric for {int(bad.sum())} of {len(cd)} "
                        f"customers (first: {_plain(cd.index[bad][0])!r}: {_plain(aligned[bad].iloc[0])!r}).")
    return values


def evaluate(plan: ValuePlan, data: CustomerData | pd.DataFrame, *, p_alive: bool = False,
             money: bool = True) -> pd.DataFrame:
    """Per-customer purchases, (P(alive)), discounted purchases, spend and CLV under ``plan``.

    ``money=False`` leaves out ``expected_spend`` and ``clv`` (batch scoring without a spend).
    """
    model = plan.model
    cd = model._data(data)
    if plan.spend_kind == "model":
        missing = [c for c in plan.spend.columns if c not in cd.frame.columns]
        if missing:
            raise DataError(f"{describe(plan.spend)} needs column(s) {missing} (mean spend of the repeat purchases), "
                            f"which the data lacks (it has {list(cd.frame.columns)}); {type(model).__name__}'s data "
                            "may carry no spend at all: pass spend= a constant or a per-customer Series instead.")
    packed = cd.compressed(model.columns, weights=np.ones(len(cd)))
    check_rows = getattr(model, "_check_rows", None)
    if check_rows is not None:
        check_rows(packed.rows)
    t, delta = plan.horizon, plan.delta
    names = [*(["expected_purchases"] if plan.finite else []), *(["p_alive"] if p_alive else []),
             "discounted_purchases"]

    def quantities(params: np.ndarray, rows: np.ndarray) -> np.ndarray:
        out = []
        if plan.finite:
            out.append(model._expected_purchases_rows(params, rows, t))
        if p_alive:
            out.append(model._p_alive_rows(params, rows))
        out.append(model._discounted_purchases_rows(params, rows, t, delta))
        return np.vstack([np.asarray(v, dtype=float).reshape(-1) for v in out])

    lower = upper = None
    if model.point_is_posterior_mean:
        point, lower, upper = _over_draws(quantities, len(names), plan.draws, packed.rows, plan.level)
    else:
        point = quantities(np.asarray(model._point_params(), dtype=float), packed.rows)
        if plan.level is not None:
            _, lower, upper = _over_draws(quantities, len(names), plan.draws, packed.rows, plan.level)
    inv = packed.inverse
    out: dict[str, np.ndarray] = {}
    for i, name in enumerate(names):
        out[name] = point[i][inv]
        if lower is not None:
            out[f"{name}_lower"] = lower[i][inv]
            out[f"{name}_upper"] = upper[i][inv]
    frame = pd.DataFrame(out, index=cd.index)
    if not money:
        return frame
    spend = _spend_per_customer(plan, cd)
    frame["expected_spend"] = spend
    frame["clv"] = plan.margin_rate * spend * frame["discounted_purchases"].to_numpy()
    if plan.level is not None:
        if plan.spend_kind == "model":
            lo, up = _joint_clv_bounds(plan, cd)
        else:  # a fixed spend >= 0 and margin >= 0 scale the quantiles
            scale = plan.margin_rate * spend
            lo = scale * frame["discounted_purchases_lower"].to_numpy()
            up = scale * frame["discounted_purchases_upper"].to_numpy()
        frame["clv_lower"], frame["clv_upper"] = lo, up
    return _check_finite_frame(frame, cd, model)


def _check_finite_frame(frame: pd.DataFrame, cd: CustomerData, model: Any) -> pd.DataFrame:
    """``frame`` if every value is finite; else a DataError naming how many customers, one example and the
    likely cause (no valuation ever returns NaN or inf)."""
    values = frame.to_numpy(dtype=float)
    bad = ~np.isfinite(values).all(axis=1)
    if bad.any():
        columns = [c for c, b in zip(frame.columns, (~np.isfinite(values)).any(axis=0), strict=True) if b]
        rows = cd.frame[list(model.columns)].to_numpy(dtype=float)
        try:
            check_finite_rows(np.where(bad, np.nan, 0.0), rows, model.columns, f"{columns}",
                              type(model).__name__, getattr(model, "converged_", True))
        except DataError as err:
            first = _plain(cd.index[np.flatnonzero(bad)[0]])
            raise DataError(f"{err} Not finite for {int(bad.sum())} of {len(frame)} customers (first: customer "
                            f"{first!r}).") from None
    return frame


def _joint_clv_bounds(plan: ValuePlan, cd: CustomerData) -> tuple[np.ndarray, np.ndarray]:
    """CLV bounds over joint draws: purchase-model draw i with spend-model draw i."""
    model, spend = plan.model, plan.spend
    columns = [*model.columns, *(c for c in spend.columns if c not in model.columns)]
    k = len(model.columns)
    spend_index = [columns.index(c) for c in spend.columns]
    n_purchase = plan.draws.shape[1]
    draws = np.hstack([plan.draws, plan.spend_draws])

    def clv_rows(params: np.ndarray, rows: np.ndarray) -> np.ndarray:
        purchases = model._discounted_purchases_rows(params[:n_purchase], rows[:, :k], plan.horizon, plan.delta)
        per_purchase = spend._spend_rows(params[n_purchase:], rows[:, spend_index])
        return (plan.margin_rate * per_purchase * purchases)[None, :]

    packed = cd.compressed(columns, weights=np.ones(len(cd)))
    _, lower, upper = _over_draws(clv_rows, 1, draws, packed.rows, plan.level)
    return lower[0][packed.inverse], upper[0][packed.inverse]


# ---------------------------------------------------------------------------------- public entry point
def _clv(model: Any, data: CustomerData | pd.DataFrame, horizon: float | None = None, *, spend: Any = None,
         discount_rate: float = 0.10, margin_rate: float = 1.0, interval: float | None = None,
         n_draws: int = 1000, random_seed: int | None = None) -> pd.DataFrame:
    plan = plan_value(model, horizon, spend=spend, discount_rate=discount_rate, margin_rate=margin_rate,
                      interval=interval, n_draws=n_draws, random_seed=random_seed)
    out = evaluate(plan, data)
    out.attrs["clvkit"] = plan.settings()
    return out


def clv(model: Any, *args: Any, **kwargs: Any) -> pd.DataFrame:
    """Discounted customer lifetime value per customer, for any purchase model (MLE or Bayesian).

    Signature: ``clv(model, data, horizon=None, *, spend=None, discount_rate=0.10,
    margin_rate=1.0, interval=None, n_draws=1000, random_seed=None)``.

    Parameters
    ----------
    model
        A fitted purchase model: ``BetaGeo``, ``ParetoNBD``, ``ModifiedBetaGeo``,
        ``BetaGeoBetaBinom`` or ``bayes.BetaGeo``.
    data
        Customer summary in the unit the purchase model was fitted on.
    horizon
        How far ahead to value, **in the data's time unit** (52 = one year in weeks).
        ``None`` (or ``inf``) values the whole future, which needs ``discount_rate > 0``;
        then the undiscounted ``expected_purchases`` column is left out (it is not finite).
    spend
        Spend per purchase: a fitted spend model (:class:`~clvkit.GammaGamma`), a constant
        >= 0, a pandas Series per customer indexed by the data's customer ids, or ``None``:
        then ``clv`` is **in purchases** (each purchase worth 1, ``expected_spend`` = 1), not
        in money.
    discount_rate
        **Annual effective** discount rate (0.10 = 10% a year), converted to a continuous
        force of interest per unit: ``delta = log(1 + discount_rate) / periods_per_year``.
    margin_rate
        Share of spend that is profit, >= 0 (1.0 values revenue).
    interval
        If given (e.g. 0.9), add ``<q>_lower`` / ``<q>_upper`` for ``expected_purchases``,
        ``discounted_purchases`` and ``clv``: equal-tailed over ``n_draws`` parameter draws
        (MLE: the asymptotic normal on the log scale; Bayes: posterior draws), joint with the
        spend model's draws when one is given.
    n_draws
        Parameter draws for the interval (and, for a Bayesian model, for the point value).
    random_seed
        Seed of the draws; the same seed gives the same frame, ``None`` fresh randomness.

    Returns
    -------
    DataFrame indexed by customer with ``expected_purchases`` (undiscounted, over the horizon;
    finite horizons only), ``discounted_purchases``, ``expected_spend`` and ``clv``.
    ``attrs["clvkit"]`` records the settings used (model, horizon, unit, rates, spend).

    Notes
    -----
    Purchases arrive continuously, so each is discounted at the moment it is expected:
    ``integral_0^H exp(-delta t) dE[X(t)]`` (Fader, Hardie & Lee 2005, "RFM and CLV: using
    iso-value curves for customer base analysis", JMR 42(4), eq. 2, truncated at H). A model
    evaluates it in closed form where the literature has one, and otherwise by parts with
    Gauss-Legendre quadrature of E[X(t)].

    An MLE model's point values plug in the estimate. A Bayesian model's point value is the
    posterior mean of the per-draw value over ``n_draws`` posterior draws (the spend model at
    its estimate), its bounds quantiles over the same draws; draws x unique rows are processed
    in chunks of at most 2M values.

    Deprecated spellings (one minor release, with a ``FutureWarning``): the positional form
    ``clv(model, spend_model, data, horizon, discount_rate, margin)``, ``spend_model=`` (now
    ``spend=``) and ``margin=`` (now ``margin_rate=``).

    Examples
    --------
    >>> import clvkit as ck
    >>> data = ck.datasets.load_cdnow_summary()
    >>> m = ck.BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> g = ck.GammaGamma.from_params({"p": 6.25, "q": 3.74, "gamma": 15.44})
    >>> value = ck.clv(m, data, horizon=52, spend=g, discount_rate=0.10, margin_rate=0.3)
    >>> list(value.columns)
    ['expected_purchases', 'discounted_purchases', 'expected_spend', 'clv']
    >>> lifetime = ck.clv(m, data, horizon=None, spend=25.0)
    >>> bool((lifetime["discounted_purchases"] >= value["discounted_purchases"]).all())
    True
    """
    args, kwargs = translate_legacy("clv", args, kwargs)
    return _clv(model, *args, **kwargs)


clv.__signature__ = inspect.signature(_clv)  # type: ignore[attr-defined]
