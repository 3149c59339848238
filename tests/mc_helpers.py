"""Shared checks for the simulation oracles (tests/oracle/test_*_simulation.py)."""

import numpy as np


def within_mc_error(actual: np.ndarray, predicted: np.ndarray, k: float = 4.0) -> None:
    """Mean of ``actual - predicted`` is zero within ``k`` Monte-Carlo standard errors."""
    diff = np.asarray(actual, dtype=float) - np.asarray(predicted, dtype=float)
    se = diff.std(ddof=1) / np.sqrt(len(diff))
    assert abs(diff.mean()) < k * se + 1e-12, (diff.mean(), se)
