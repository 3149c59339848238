"""Pure maths of the recency-state Markov chain (Pfeifer & Carraway 2000): the transition matrix,
state values over finite and infinite horizons, the optimal contact policy. No pandas, no state.

Bounded work whatever the horizon H (Pfeifer & Carraway give the sums; the bounds are ours):

- with discounting (``x < 1``) and ``x**H <= 1e-12``, the H-period value equals the infinite
  one to 1e-12 of ``max|V|`` (``V - V_H = (xP)^H V`` and ``P`` is stochastic), so the
  infinite-horizon solution is returned; the same bound holds for value iteration
  (``|V*_H - V*| <= x**H max|V*|``), so the optimal policy is then the infinite-horizon one;
- otherwise ``sum_{t<H} (xP)^t R`` is summed by doubling, ``O(K^3 log H)``;
- backward induction (the optimal policy over a finite horizon) takes one step per period and
  is refused above :data:`MAX_POLICY_STEPS` periods;
- values that overflow (a negative rate over a long horizon) are refused.

Checked by tests/unit/test_dwyer_always_a_share.py, tests/robustness/test_dwyer_bounds.py and
tests/oracle/test_always_a_share_simulation.py.
"""

from __future__ import annotations

import numpy as np

from clvkit.dwyer._checks import converged_horizon, finite_values
from clvkit.errors import DataError

#: Longest finite horizon, in periods, for which the optimal policy is found by backward
#: induction (one step per period, about 15 microseconds each for 5 states) when the infinite
#: horizon does not stand in for it (a rate <= 0, or a rate so small that ``x**H > 1e-12``).
MAX_POLICY_STEPS = 100_000


def transition_matrix(p: np.ndarray, contact: np.ndarray) -> np.ndarray:
    """One-period transition matrix on recency states 1..K (rows: from, columns: to).

    From state k a marketed customer buys with probability p_k (to state 1) or moves to
    ``min(k + 1, K)``; an unmarketed one moves to ``min(k + 1, K)``.
    """
    K = len(p)
    buy = np.where(contact, p, 0.0)
    P = np.zeros((K, K))
    P[:, 0] += buy
    nxt = np.minimum(np.arange(1, K + 1), K - 1)
    P[np.arange(K), nxt] += 1.0 - buy
    return P


def state_values(p: np.ndarray, margin: float, cost: float, x: float, contact: np.ndarray,
                 horizon: int | None) -> np.ndarray:
    """V = (I - xP)^-1 R (horizon None) or sum_{t<H} (xP)^t R, Pfeifer & Carraway (2000).

    A finite horizon past :func:`~clvkit.dwyer._checks.converged_horizon` gives the infinite
    value (equal to 1e-12 of ``max|V|``); a long one is summed by doubling (:func:`power_sum`).
    """
    P = transition_matrix(p, contact)
    return chain_values(P, np.where(contact, p * margin - cost, 0.0), x, horizon)


def arrival_rewards(p: np.ndarray, margin: float, cost: float, contact: np.ndarray) -> np.ndarray:
    """Pfeifer & Carraway (2000)'s reward by state: the margin of the purchase that put the
    customer in state 1 is counted in state 1 (``R_1 = M - c``); every marketed state pays ``c``."""
    R = -np.where(contact, cost, 0.0)
    R[0] += margin
    return R


def chain_values(P: np.ndarray, R: np.ndarray, x: float, horizon: int | None) -> np.ndarray:
    """``sum_{t<H} (xP)^t R``, or ``(I - xP)^-1 R`` for an infinite (or converged) horizon."""
    if horizon is None or horizon >= converged_horizon(x):
        return _finite(np.linalg.solve(np.eye(len(R)) - x * P, R))
    return _finite(power_sum(x * P, R, horizon))


def power_sum(A: np.ndarray, R: np.ndarray, horizon: int) -> np.ndarray:
    """``sum_{t=0}^{H-1} A^t R`` for ``A`` of shape ``(..., K, K)`` and ``R`` of ``(..., K)``.

    Direct recursion ``v <- R + A v`` up to 64 periods; beyond, binary doubling on
    ``(A^n, sum_{t<n} A^t)``: ``O(K^3 log H)`` work, whatever H.
    """
    if horizon <= 64:
        v = np.zeros(R.shape)
        for _ in range(horizon):
            v = R + (A @ v[..., None])[..., 0]
        return v
    K = A.shape[-1]
    block_pow = A.copy()                                   # A^n, n = 2^k
    block_sum = np.broadcast_to(np.eye(K), A.shape).copy()  # sum_{t<n} A^t
    offset = np.broadcast_to(np.eye(K), A.shape).copy()     # A^(periods summed so far)
    total = np.zeros(R.shape)
    h = horizon
    with np.errstate(over="ignore", invalid="ignore"):     # overflow is refused by _finite
        while h:
            if h & 1:
                total = total + (offset @ (block_sum @ R[..., None]))[..., 0]
                offset = offset @ block_pow
            h >>= 1
            if h:
                block_sum = block_sum + block_pow @ block_sum
                block_pow = block_pow @ block_pow
    return total


def _finite(v: np.ndarray) -> np.ndarray:
    return finite_values(v)


def optimal_policy(p: np.ndarray, margin: float, cost: float, x: float,
                   horizon: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Optimal contact flags and values: policy iteration (infinite) or backward induction.

    A finite horizon past :func:`~clvkit.dwyer._checks.converged_horizon` is solved as the
    infinite one (same value to 1e-12 of ``max|V|``); one longer than
    :data:`MAX_POLICY_STEPS` otherwise is a DataError.
    """
    K = len(p)
    nxt = np.minimum(np.arange(1, K + 1), K - 1)

    def q_values(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        q_on = p * margin - cost + x * (p * v[0] + (1.0 - p) * v[nxt])
        q_off = x * v[nxt]
        return q_on, q_off

    if horizon is not None and horizon < converged_horizon(x):
        if horizon > MAX_POLICY_STEPS:
            raise DataError(
                f"horizon={horizon:,} periods is too long for the optimal policy over a finite "
                f"horizon (backward induction, one step per period; at most {MAX_POLICY_STEPS:,}) "
                "at this discount rate; give horizon <= "
                f"{MAX_POLICY_STEPS:,}, or horizon=None with a discount_rate > 0.")
        v = np.zeros(K)
        contact = np.ones(K, dtype=bool)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is refused by _finite
            for _ in range(horizon):
                q_on, q_off = q_values(v)
                contact = q_on >= q_off
                v = np.where(contact, q_on, q_off)
        return contact, _finite(v)
    contact = np.ones(K, dtype=bool)
    for _ in range(10 * K + 10):
        v = state_values(p, margin, cost, x, contact, None)
        q_on, q_off = q_values(v)
        tol = 1e-12 * max(1.0, float(np.max(np.abs(v))))
        better = np.where(contact, q_off > q_on + tol, q_on > q_off + tol)
        if not better.any():
            return contact, v
        contact = np.where(better, ~contact, contact)
    return contact, state_values(p, margin, cost, x, contact, None)  # pragma: no cover


def batch_state_values(p: np.ndarray, margin: float, cost: float, x: float,
                       horizon: int | None) -> np.ndarray:
    """:func:`state_values` marketing to every state, for many probability vectors at once.

    ``p`` has shape ``(n, K)``; returns ``(n, K)``. Same formulas (Pfeifer & Carraway 2000).
    """
    p = np.asarray(p, dtype=float)
    n, K = p.shape
    P = np.zeros((n, K, K))
    P[:, :, 0] += p
    nxt = np.minimum(np.arange(1, K + 1), K - 1)
    P[:, np.arange(K), nxt] += 1.0 - p
    R = p * margin - cost
    if horizon is None or horizon >= converged_horizon(x):
        return np.linalg.solve(np.eye(K)[None] - x * P, R[..., None])[..., 0]
    return _finite(power_sum(x * P, R, horizon))
