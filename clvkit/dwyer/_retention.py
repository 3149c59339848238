"""Helpers of the lost-for-good model: survival from per-period retention rates, pooled transitions,
the quantities of a cohort projection, the margin of an alive customer. No model state.

Checked by tests/unit/test_dwyer_lost_for_good.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clvkit.data.periods import PeriodPanel
from clvkit.data.units import check_unit
from clvkit.errors import DataError


def check_same_unit(unit: str, data_unit: Any, what: str) -> None:
    """Refuse data whose stated unit contradicts the model's (as ShiftedBetaGeo does)."""
    if data_unit is not None and check_unit(data_unit) != check_unit(unit):
        raise DataError(f"LostForGood(unit={unit!r}) got {what} in periods of {data_unit!r}; "
                        f"build the model with unit={data_unit!r} or rebuild the data in {unit!r}.")


def rate_survival(rates: np.ndarray, t: np.ndarray) -> np.ndarray:
    """S(t) from per-period retention rates r_1..r_P, the last held after P.

    ``S(t) = prod_{k<=min(t,P)} r_k * r_P^max(t-P, 0)``. ``rates`` has shape ``(n, P)`` (one
    row per parameter draw); returns ``(n, len(t))``.
    """
    rates = np.asarray(rates, dtype=float)
    t = np.asarray(t, dtype=np.int64)
    P = rates.shape[1]
    cum = np.concatenate([np.ones((rates.shape[0], 1)), np.cumprod(rates, axis=1)], axis=1)
    return cum[:, np.minimum(t, P)] * rates[:, -1:] ** np.maximum(t - P, 0)[None, :]


def cohort_quantities(survival: np.ndarray, customers: float) -> dict[str, np.ndarray]:
    """``survival, retention, expected_alive`` from S(t) rows (t = 0, 1, ...)."""
    prev = survival[:, :-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(prev > 0, survival[:, 1:] / np.where(prev > 0, prev, 1.0), np.nan)
    retention = np.concatenate([np.full((survival.shape[0], 1), np.nan), ratio], axis=1)
    return {"survival": survival, "retention": retention, "expected_alive": customers * survival}


def pooled_transitions(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Customers at risk (alive at t - 1) and renewing (alive at t), pooled over cohorts, t = 1..P."""
    P = int(table["period"].max())
    at_risk = np.zeros(P)
    stayed = np.zeros(P)
    for _, g in table.groupby("cohort", sort=False):
        alive = g["alive"].to_numpy(dtype=float)
        n = len(alive) - 1
        at_risk[:n] += alive[:-1]
        stayed[:n] += alive[1:]
    return at_risk, stayed


def alive_spend(panel: PeriodPanel, status: pd.DataFrame) -> float:
    """Mean spend per period of alive customers: periods 0..tenure after each acquisition."""
    amount = panel.amount.to_numpy()
    first = panel.first_period.to_numpy()
    tenure = status["tenure"].to_numpy()
    cols = np.arange(amount.shape[1])[None, :]
    mask = (cols >= first[:, None]) & (cols <= (first + tenure)[:, None])
    return float(amount[mask].mean())
