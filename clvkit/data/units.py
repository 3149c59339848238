"""Time units and discount rates: the ruler on which recency, T and horizons are measured.

A unit is one of ``D`` (day), ``W`` (week), ``M`` (month), ``Q`` (quarter) or ``Y`` (year).
Durations are whole days between dates divided by the unit's length in days, so a week is
exactly 7 days (as in Fader, Hardie & Lee 2005 on CDNOW) and a month is 365.25 / 12 days.

Every ``discount_rate`` of the library is an ANNUAL effective rate and is checked here, by
:func:`check_discount_rate`, before it is converted to a unit (:func:`continuous_discount_rate`,
:func:`per_period_rate`): every model, :func:`clvkit.clv` and the Dwyer models go through it.
"""

from __future__ import annotations

import math
import numbers
import os
import sys
import warnings
from typing import Any

import numpy as np

from clvkit.errors import DataError, DataWarning, plain

DAYS_PER_UNIT: dict[str, float] = {
    "D": 1.0,
    "W": 7.0,
    "M": 365.25 / 12.0,
    "Q": 365.25 / 4.0,
    "Y": 365.25,
}

#: Above this annual rate (100% a year) a :class:`~clvkit.errors.DataWarning` asks whether a
#: percent was typed as a number (``discount_rate=10`` for 10%).
RATE_WARN_ABOVE = 1.0
#: Above this annual rate (500% a year) a ``discount_rate`` is refused with a DataError: no
#: business discounts its customers' future at more than 500% a year, while 10 or 50 are
#: common typos for 10% or 50%.
RATE_CEILING = 5.0

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def check_unit(unit: str) -> str:
    """Return ``unit`` upper-cased, or raise a :class:`DataError` naming the valid ones."""
    if not isinstance(unit, str) or unit.upper() not in DAYS_PER_UNIT:
        raise DataError(f"unit must be one of {sorted(DAYS_PER_UNIT)}, got {unit!r}.")
    return unit.upper()


def periods_per_year(unit: str) -> float:
    """How many units make one year of 365.25 days (52.18 weeks, 12 months, ...)."""
    return DAYS_PER_UNIT["Y"] / DAYS_PER_UNIT[check_unit(unit)]


def _percent(rate: float) -> str:
    """``10`` as ``"1,000%"``, ``0.125`` as ``"12.5%"``."""
    pct = 100.0 * rate
    if abs(pct) >= 1e7:
        return f"{pct:.3g}%"
    return f"{pct:,.0f}%" if pct == round(pct) else f"{pct:,.4g}%"


def _typo_hint(rate: float) -> str:
    """``" did you mean 0.10?"`` if ``rate`` (<= 100) reads as a percent typed as a number."""
    if rate > 100.0:
        return ""
    meant = f"{rate / 100.0:.2f}" if rate == round(rate) else f"{rate / 100.0:.4g}"
    return f" did you mean {meant}?"


def _user_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside clvkit."""
    level = 1
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return level


def check_discount_rate(discount_rate: Any, *, infinite_horizon: bool = False,
                        name: str = "discount_rate") -> float:
    """Return an ANNUAL effective discount rate as a float, or raise a :class:`DataError`.

    The one place where every ``discount_rate`` of the library is checked:

    - it must be a real number (``int``, ``float``, a numpy number): a string such as ``"0.1"``,
      a bool or None is refused, never converted;
    - finite and > -1 (at -1 money a year later would be worth nothing... or infinitely much);
    - above 1 (100% a year) a :class:`~clvkit.errors.DataWarning` names the likely percent typo
      (``discount_rate=2 is 200% a year; did you mean 0.02?``);
    - above :data:`RATE_CEILING` (5, i.e. 500% a year) a DataError, with the same hint;
    - ``infinite_horizon=True``: the rate must be > 0, since with a rate <= 0 the discounted
      sum over an unbounded future does not converge to a meaningful value.

    Negative rates in (-1, 0] are accepted for finite horizons (a future worth more than the
    present; e.g. to reproduce a table computed that way).
    """
    value = discount_rate
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        kind = type(discount_rate).__name__
        raise DataError(f"{name} must be a number, an annual effective rate such as 0.10 for 10% a "
                        f"year; got {discount_rate!r} (a {kind}).")
    rate = float(value)
    if not math.isfinite(rate) or rate <= -1.0:
        raise DataError(f"{name} must be > -1 and finite, an annual rate (0.10 for 10% a year); "
                        f"got {plain(value)!r}.")
    if rate > RATE_CEILING:
        raise DataError(f"{name}={rate:g} is {_percent(rate)} a year, above the ceiling of "
                        f"{_percent(RATE_CEILING)} ({RATE_CEILING:g});{_typo_hint(rate)} {name} is "
                        "an annual rate as a fraction (0.10 for 10% a year).")
    if rate > RATE_WARN_ABOVE:
        warnings.warn(f"{name}={rate:g} is {_percent(rate)} a year;{_typo_hint(rate)} {name} "
                      "is an annual rate as a fraction (0.10 for 10% a year).",
                      DataWarning, stacklevel=_user_stacklevel())
    if infinite_horizon and rate <= 0.0:
        raise DataError(f"an infinite-horizon value needs {name} > 0, got {plain(value)!r}: with a rate "
                        "<= 0 the discounted sum over an unbounded future does not converge; give "
                        "a finite horizon for a rate <= 0.")
    return rate


def continuous_discount_rate(discount_rate: float, unit: str, *,
                             infinite_horizon: bool = False) -> float:
    """Force of interest per ``unit`` for an *annual effective* ``discount_rate``.

    A cash flow at time t (in units) is worth ``exp(-delta * t)`` today, with
    ``delta = log(1 + discount_rate) / periods_per_year(unit)``; one year later is then worth
    exactly ``1 / (1 + discount_rate)``. The rate is checked by :func:`check_discount_rate`
    (``infinite_horizon=True``: it must also be > 0).
    """
    rate = check_discount_rate(discount_rate, infinite_horizon=infinite_horizon)
    return math.log1p(rate) / periods_per_year(unit)


def per_period_rate(discount_rate: float, unit: str, *, infinite_horizon: bool = False) -> float:
    """Effective discount rate per ``unit`` for an annual effective ``discount_rate``.

    ``(1 + d_year) ** (1 / periods_per_year) - 1``: 10% a year is 2.41% a quarter. The rate is
    checked by :func:`check_discount_rate` (``infinite_horizon=True``: it must also be > 0).
    """
    return math.expm1(continuous_discount_rate(discount_rate, unit,
                                               infinite_horizon=infinite_horizon))
