"""Argument checks and helpers shared by the Dwyer models.

Discount rates, horizons, money amounts, customer counts and shares; binomial standard errors and draws of
observed rates; interval bounds over draws; JSON forms of per-customer series.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np
import pandas as pd

from clvkit._contract import _plain, summary_frame
from clvkit.data.units import check_discount_rate, check_unit, periods_per_year
from clvkit.errors import DataError, fail_rows

#: A finite horizon whose discounted tail is below this share of the value is computed as the
#: infinite-horizon value (to this relative accuracy), so that a huge horizon costs no more.
CONVERGED_RTOL = 1e-12
#: Largest money amount (margin, cost) per customer and period accepted: 1e15.
MAX_AMOUNT = 1e15


def _number(name: str, value: Any, need: str) -> float:
    """``value`` as a float if it is a real number (not a string, a bool or None), else a DataError."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise DataError(f"{name} must be {need}, got {value!r} (a {type(value).__name__}).")
    return float(value)


def period_discount(discount_rate: Any, unit: str, *, infinite_horizon: bool = False) -> float:
    """One-period discount multiplier ``x = 1 / (1 + d_period)`` for an ANNUAL effective rate.

    The rate is checked by :func:`clvkit.data.units.check_discount_rate` (a number, finite,
    > -1; a warning above 100% a year, an error above 500%); ``infinite_horizon=True`` also
    needs a rate > 0, since with ``x >= 1`` an infinite discounted sum does not converge.
    A rate in (-1, 0] is allowed for a finite horizon (then ``x >= 1``).
    """
    rate = check_discount_rate(discount_rate, infinite_horizon=infinite_horizon)
    x = math.exp(-math.log1p(rate) / periods_per_year(check_unit(unit)))
    if infinite_horizon and x >= 1.0:
        raise DataError(f"discount_rate={_plain(discount_rate)!r} is too small to value an infinite "
                        f"horizon: per {check_unit(unit)!r} period it discounts by less than the "
                        "precision of a float; give a finite horizon or a larger rate.")
    return x


def converged_horizon(x: float, factor: float = 1.0) -> float:
    """Periods H beyond which ``factor * x**H <= 1e-12``: a finite horizon that long equals the
    infinite one to 1e-12 relative (``inf`` when ``x >= 1``: no discounting, no convergence).

    With ``V_H`` the value over H periods and ``V`` the infinite-horizon one, the tail
    ``V - V_H`` is at most ``x**H * max|V|`` (Markov chain: ``V - V_H = (xP)^H V``) or
    ``x**H / (1 - x) * S(start)`` (a survival curve, S <= S(start)); ``factor`` is the part
    other than ``x**H`` relative to the value.
    """
    if x >= 1.0:
        return math.inf
    return math.ceil((math.log(CONVERGED_RTOL) - math.log(factor)) / math.log(x))


def check_horizon(horizon: Any) -> int | None:
    """``None`` (infinite) or a whole number of periods >= 0 (``1e6`` is fine, ``"5"`` is not)."""
    if horizon is None:
        return None
    h = _number("horizon", horizon, "a whole number of periods >= 0 or None (infinite)")
    if not math.isfinite(h) or h < 0 or h != round(h):
        raise DataError(f"horizon must be a whole number of periods >= 0 or None (infinite), "
                        f"got {_plain(horizon)!r}.")
    return int(h)


def check_amount(name: str, value: Any, *, nonnegative: bool = False) -> float:
    """A finite money amount (optionally >= 0) of at most :data:`MAX_AMOUNT` in size.

    A string such as ``"5"`` is refused, not converted.
    """
    need = "a finite number >= 0" if nonnegative else "a finite number"
    v = _number(name, value, need)
    if not np.isfinite(v) or (nonnegative and v < 0):
        raise DataError(f"{name} must be {need}, got {_plain(value)!r}.")
    if abs(v) > MAX_AMOUNT:
        raise DataError(f"{name}={_plain(value)!r} is above {MAX_AMOUNT:.0e} per customer and "
                        "period, which no margin or cost is; check the units of the amount.")
    return v


def finite_values(values: Any, what: str = "the value") -> Any:
    """``values`` if all finite, else a DataError (an overflow: a rate <= 0 over a long horizon)."""
    if not np.all(np.isfinite(values)):
        raise DataError(f"{what} overflows: with a discount_rate <= 0 values grow without bound as "
                        "the horizon lengthens; give a shorter horizon or a rate > 0.")
    return values


def check_count(name: str, value: Any) -> float:
    """A whole number of customers > 0 (``1000`` or ``1000.0``; not ``10.5``, not ``"10"``)."""
    need = "> 0, a whole number of customers"
    v = _number(name, value, need)
    if not math.isfinite(v) or v <= 0 or v != round(v):
        raise DataError(f"{name} must be {need}, got {_plain(value)!r}.")
    return v


def check_share(name: str, value: Any) -> float:
    """A share in [0, 1] (e.g. ``margin_rate``: the part of spend that is margin)."""
    v = _number(name, value, "a share in [0, 1]")
    if not (np.isfinite(v) and 0.0 <= v <= 1.0):
        raise DataError(f"{name} must be a share in [0, 1] (e.g. 0.3 for a 30% margin on spend), "
                        f"got {_plain(value)!r}.")
    return v


def check_n_draws(n_draws: Any) -> int:
    """A whole number of parameter draws >= 2 (a string such as ``"100"`` is refused)."""
    n = _number("n_draws", n_draws, "a whole number >= 2")
    if not math.isfinite(n) or n < 2 or n != round(n):
        raise DataError(f"n_draws must be a whole number >= 2, got {_plain(n_draws)!r}.")
    return int(n)


def check_whole_alive(table: pd.DataFrame) -> None:
    """Refuse a survival table whose ``alive`` counts are not whole numbers of customers.

    ``alive`` counts customers; 10.5 customers is a typo or a share (survival rates are
    ``alive / alive at period 0``: give the counts).
    """
    if not isinstance(table, pd.DataFrame) or "alive" not in table.columns:
        return   # validate_survival names what is missing
    alive = pd.to_numeric(table["alive"], errors="coerce").astype(float)
    finite = np.isfinite(alive.to_numpy())
    fail_rows(table, finite & (alive.to_numpy() != np.round(alive.to_numpy())), "alive",
              "is not a whole number of customers",
              "alive counts the customers of a cohort still active; give counts, not shares "
              "(a share times the cohort size).")


def binomial_draws(rate: np.ndarray, std_error: np.ndarray, n_draws: int,
                   random_seed: Any) -> np.ndarray:
    """``n_draws`` normal draws of probabilities around ``rate`` with sd ``std_error``, clipped to [0, 1].

    The normal approximation to the binomial sampling distribution of an observed rate
    (purchases / opportunities, renewals / customers at risk). A NaN standard error (no
    opportunity observed) counts as 0. Returns shape ``(n_draws, len(rate))``.
    """
    rate = np.asarray(rate, dtype=float)
    se = np.nan_to_num(np.asarray(std_error, dtype=float), nan=0.0)
    rng = np.random.default_rng(random_seed)
    return np.clip(rate + se * rng.standard_normal((n_draws, rate.size)), 0.0, 1.0)


def draw_bounds(draws: np.ndarray, point: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed ``level`` interval over the draws (axis 0), widened to contain ``point``.

    Where clipping at 0 or 1 binds, or the quantity is a non-linear function of the draws, the
    draws' quantiles can miss the point estimate; the interval is then extended to it so that
    ``lower <= point <= upper`` always holds. NaN points (undefined quantities) give NaN bounds.
    """
    tail = (1.0 - level) / 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # all-NaN columns: NaN bounds
        lower = np.nanquantile(draws, tail, axis=0)
        upper = np.nanquantile(draws, 1.0 - tail, axis=0)
    point = np.asarray(point, dtype=float)
    lower = np.where(np.isnan(point), np.nan, np.fmin(lower, point))
    upper = np.where(np.isnan(point), np.nan, np.fmax(upper, point))
    return lower, upper


def binomial_summary(rate: np.ndarray, trials: np.ndarray | None, index: Any,
                     interval: float) -> pd.DataFrame:
    """``estimate, std_error, lower, upper`` of observed rates with binomial standard errors.

    ``std_error = sqrt(r (1 - r) / n)`` with ``n`` the trials (customers at risk, purchase
    opportunities); NaN when ``trials`` is None (a model stated by hand) or 0. The Wald
    interval is on the natural scale and clipped to [0, 1].
    """
    rate = np.asarray(rate, dtype=float)
    if trials is None:
        se = np.full(rate.shape, np.nan)
    else:
        n = np.asarray(trials, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            se = np.where(n > 0, np.sqrt(rate * (1.0 - rate) / np.where(n > 0, n, 1.0)), np.nan)
    frame = summary_frame(rate, se, index, interval, log_scale=False)
    frame[["lower", "upper"]] = frame[["lower", "upper"]].clip(0.0, 1.0)
    return frame


def series_to_json(series: pd.Series) -> dict[str, Any]:
    """A per-customer Series as JSON lists; ids keep their type (int ids stay ints, str stay str)."""
    return {"index_name": None if series.index.name is None else str(series.index.name),
            "index": [_plain(v) for v in series.index.tolist()],
            "values": [_plain(v) for v in series.tolist()]}


def series_from_json(state: Any, name: str, what: str) -> pd.Series:
    """Inverse of :func:`series_to_json`, with a DataError naming ``what`` if malformed."""
    if not isinstance(state, dict) or not {"index", "values"} <= set(state) \
            or len(state["index"]) != len(state["values"]):
        raise DataError(f"the model file's {what} must be {{'index': [...], 'values': [...]}} of "
                        "equal length; it was not written by model.save() or was edited by hand.")
    return pd.Series(state["values"], index=pd.Index(state["index"], name=state.get("index_name")),
                     name=name)


def frame_to_json(frame: pd.DataFrame) -> dict[str, Any]:
    """A per-customer DataFrame as JSON lists: the ids once, then one list per column."""
    return {"index_name": None if frame.index.name is None else str(frame.index.name),
            "index": [_plain(v) for v in frame.index.tolist()],
            "columns": {str(c): [_plain(v) for v in frame[c].tolist()] for c in frame.columns}}


def frame_from_json(state: Any, columns: tuple[str, ...], what: str) -> pd.DataFrame:
    """Inverse of :func:`frame_to_json`, with a DataError naming ``what`` if malformed."""
    ok = isinstance(state, dict) and "index" in state and isinstance(state.get("columns"), dict) \
        and all(len(state["columns"].get(c, ())) == len(state["index"]) for c in columns)
    if not ok:
        raise DataError(f"the model file's {what} must hold 'index' and the columns {list(columns)} "
                        "as lists of equal length; it was not written by model.save() or was "
                        "edited by hand.")
    return pd.DataFrame({c: state["columns"][c] for c in columns},
                        index=pd.Index(state["index"], name=state.get("index_name")))


def require_keys(cls_name: str, state: Any, keys: tuple[str, ...]) -> None:
    """A DataError naming the missing keys of a saved model state."""
    if not isinstance(state, dict):
        raise DataError(f"{cls_name}: a model state must be a dict, got {type(state).__name__}.")
    missing = [k for k in keys if k not in state]
    if missing:
        raise DataError(f"{cls_name}: the model file lacks {missing}; it was not written by "
                        "model.save() or was edited by hand.")
