"""Argument checks and helpers shared by the Dwyer models.

Discount rates, horizons, money amounts and shares; binomial standard errors and draws of
observed rates; interval bounds over draws; JSON forms of per-customer series.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from clvkit._contract import _plain, summary_frame
from clvkit.data.units import check_unit, per_period_rate
from clvkit.errors import DataError


def period_discount(discount_rate: Any, unit: str) -> float:
    """One-period discount multiplier ``1 / (1 + d_period)`` for an ANNUAL effective rate.

    Raises a DataError for a rate that is not a finite number > -1.
    """
    try:
        rate = float(discount_rate)
    except (TypeError, ValueError):
        raise DataError(f"discount_rate must be a number (annual effective rate), got "
                        f"{discount_rate!r}.") from None
    if not math.isfinite(rate) or rate <= -1.0:
        raise DataError(f"discount_rate must be a finite annual rate > -1, got {discount_rate!r}; "
                        "e.g. 0.10 for 10% a year.")
    return 1.0 / (1.0 + per_period_rate(rate, check_unit(unit)))


def check_horizon(horizon: Any) -> int | None:
    """``None`` (infinite) or a whole number of periods >= 0."""
    if horizon is None:
        return None
    h = float(horizon)
    if not math.isfinite(h) or h < 0 or h != round(h):
        raise DataError(f"horizon must be a whole number of periods >= 0 or None (infinite), "
                        f"got {horizon!r}.")
    return int(h)


def check_amount(name: str, value: Any, *, nonnegative: bool = False) -> float:
    """A finite money amount (optionally >= 0)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise DataError(f"{name} must be a number, got {value!r}.") from None
    if not np.isfinite(v) or (nonnegative and v < 0):
        need = "a finite number >= 0" if nonnegative else "a finite number"
        raise DataError(f"{name} must be {need}, got {value!r}.")
    return v


def check_share(name: str, value: Any) -> float:
    """A share in [0, 1] (e.g. ``margin_rate``: the part of spend that is margin)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise DataError(f"{name} must be a share in [0, 1], got {value!r}.") from None
    if not (np.isfinite(v) and 0.0 <= v <= 1.0):
        raise DataError(f"{name} must be a share in [0, 1] (e.g. 0.3 for a 30% margin on spend), "
                        f"got {value!r}.")
    return v


def check_n_draws(n_draws: Any) -> int:
    """A whole number of parameter draws >= 2."""
    try:
        n = float(n_draws)
    except (TypeError, ValueError):
        raise DataError(f"n_draws must be a whole number >= 2, got {n_draws!r}.") from None
    if not math.isfinite(n) or n < 2 or n != round(n):
        raise DataError(f"n_draws must be a whole number >= 2, got {n_draws!r}.")
    return int(n)


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


def jsonable(obj: Any) -> Any:
    """numpy / pandas scalars, timestamps and periods as JSON-friendly values."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    obj = _plain(obj)
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    return str(obj)
