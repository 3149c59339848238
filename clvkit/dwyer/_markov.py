"""Pure maths of the recency-state Markov chain (Pfeifer & Carraway 2000): the transition matrix,
state values over finite and infinite horizons, the optimal contact policy. No pandas, no state.

Checked by tests/unit/test_dwyer_always_a_share.py and tests/oracle/test_always_a_share_simulation.py.
"""

from __future__ import annotations

import numpy as np


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
    """V = (I - xP)^-1 R (horizon None) or sum_{t<H} (xP)^t R, Pfeifer & Carraway (2000)."""
    P = transition_matrix(p, contact)
    R = np.where(contact, p * margin - cost, 0.0)
    if horizon is None:
        return np.linalg.solve(np.eye(len(p)) - x * P, R)
    v = np.zeros(len(p))
    for _ in range(horizon):
        v = R + x * (P @ v)
    return v


def optimal_policy(p: np.ndarray, margin: float, cost: float, x: float,
                   horizon: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Optimal contact flags and values: policy iteration (infinite) or backward induction."""
    K = len(p)
    nxt = np.minimum(np.arange(1, K + 1), K - 1)

    def q_values(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        q_on = p * margin - cost + x * (p * v[0] + (1.0 - p) * v[nxt])
        q_off = x * v[nxt]
        return q_on, q_off

    if horizon is not None:
        v = np.zeros(K)
        contact = np.ones(K, dtype=bool)
        for _ in range(horizon):
            q_on, q_off = q_values(v)
            contact = q_on >= q_off
            v = np.where(contact, q_on, q_off)
        return contact, v
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
    if horizon is None:
        return np.linalg.solve(np.eye(K)[None] - x * P, R[..., None])[..., 0]
    v = np.zeros((n, K))
    for _ in range(horizon):
        v = R + x * np.einsum("nij,nj->ni", P, v)
    return v
