"""Argument checks shared by the Dwyer models (discount rates, horizons, money amounts)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

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
