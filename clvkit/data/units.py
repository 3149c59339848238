"""Time units: the ruler on which recency, T and horizons are measured.

A unit is one of ``D`` (day), ``W`` (week), ``M`` (month), ``Q`` (quarter) or ``Y`` (year).
Durations are whole days between dates divided by the unit's length in days, so a week is
exactly 7 days (as in Fader, Hardie & Lee 2005 on CDNOW) and a month is 365.25 / 12 days.
"""

from __future__ import annotations

import math

from clvkit.errors import DataError

DAYS_PER_UNIT: dict[str, float] = {
    "D": 1.0,
    "W": 7.0,
    "M": 365.25 / 12.0,
    "Q": 365.25 / 4.0,
    "Y": 365.25,
}


def check_unit(unit: str) -> str:
    """Return ``unit`` upper-cased, or raise a :class:`DataError` naming the valid ones."""
    if not isinstance(unit, str) or unit.upper() not in DAYS_PER_UNIT:
        raise DataError(f"unit must be one of {sorted(DAYS_PER_UNIT)}, got {unit!r}.")
    return unit.upper()


def periods_per_year(unit: str) -> float:
    """How many units make one year of 365.25 days (52.18 weeks, 12 months, ...)."""
    return DAYS_PER_UNIT["Y"] / DAYS_PER_UNIT[check_unit(unit)]


def continuous_discount_rate(discount_rate: float, unit: str) -> float:
    """Force of interest per ``unit`` for an *annual effective* ``discount_rate``.

    A cash flow at time t (in units) is worth ``exp(-delta * t)`` today, with
    ``delta = log(1 + discount_rate) / periods_per_year(unit)``; one year later is then worth
    exactly ``1 / (1 + discount_rate)``.
    """
    if not math.isfinite(discount_rate) or discount_rate <= -1.0:
        raise DataError(f"discount_rate must be a finite annual rate > -1, got {discount_rate!r}.")
    return math.log1p(discount_rate) / periods_per_year(unit)


def per_period_rate(discount_rate: float, unit: str) -> float:
    """Effective discount rate per ``unit`` for an annual effective ``discount_rate``.

    ``(1 + d_year) ** (1 / periods_per_year) - 1``: 10% a year is 2.41% a quarter.
    """
    return math.expm1(continuous_discount_rate(discount_rate, unit))
