"""Quadrature rule for discounted expected purchases at any horizon, infinite included.

Discounted expected purchases in (0, H] (Fader, Hardie & Lee 2005, "RFM and CLV", eq. 2 truncated
at H) are, by parts,

    D(H) = integral_0^H exp(-delta t) dE(t) = exp(-delta H) E(H) + delta integral_0^H exp(-delta t) E(t) dt,

where ``E(t) = E[X(T, T+t) | x, t_x, T]``. :func:`discount_rule` returns an end point, its weight and
quadrature nodes/weights such that ``D(H) ~ end_weight * E(end) + sum_k weights[k] * E(nodes[k])``
with an error bounded independently of the horizon and a bounded number of nodes. The callers
evaluate ``E`` (per row, or per distinct (x, T) pair for the BG/NBD).
"""

from __future__ import annotations

import functools
import math

import numpy as np

#: Gauss-Legendre points per panel.
NODES_PER_PANEL = 8
#: longest panel, in units of 1/delta: exp(-delta t) changes by at most exp(-KAPPA) over a panel.
KAPPA = 4.0
#: relative bound on the part of D beyond the truncation point.
TAIL_TOL = 1e-13

_GL_X, _GL_W = np.polynomial.legendre.leggauss(NODES_PER_PANEL)


def truncation_point(delta: float, tol: float = TAIL_TOL) -> float:
    """Smallest ``t_K`` (in the data's unit) with ``exp(1 - delta t_K) (1 + delta t_K) <= tol``.

    With ``E`` non-decreasing and concave, ``E(0) = 0``, the part of ``D(inf)`` beyond ``t_K`` is at
    most ``tol * D(inf)`` (see :func:`discount_rule`).
    """
    y = 1.0 + math.log(1.0 / tol)
    for _ in range(50):  # fixed point of y = 1 + log(1/tol) + log(1 + y); converges in a few steps
        y_next = 1.0 + math.log(1.0 / tol) + math.log1p(y)
        if abs(y_next - y) < 1e-12:
            break
        y = y_next
    return y_next / delta


@functools.lru_cache(maxsize=256)
def _panels(end: float, delta: float, scale: float) -> tuple[np.ndarray, np.ndarray]:
    cap = KAPPA / delta if delta > 0 else np.inf
    edges = [0.0]
    while edges[-1] < end:
        left = edges[-1]
        step = min(max(left, scale), cap)
        edges.append(min(left + step, end))
    edges_arr = np.asarray(edges)
    return edges_arr[:-1], edges_arr[1:]


def discount_rule(horizon: float, delta: float, scale: float) -> tuple[float, float, np.ndarray, np.ndarray]:
    """``(end, end_weight, nodes, weights)`` with ``D(horizon) ~ end_weight E(end) + weights @ E(nodes)``.

    Parameters
    ----------
    horizon : float
        ``H >= 0`` in the data's unit, or ``numpy.inf`` (then ``delta`` must be > 0).
    delta : float
        Continuous discount rate per unit of time (``< 0`` only with a finite horizon).
    scale : float
        A lower bound on the distance from 0 to the nearest singularity of ``E`` in the complex
        t-plane; for the BG/NBD, MBG/NBD and Pareto/NBD ``E`` is analytic except on
        ``t <= -(alpha + T)`` (and ``-(beta + T)``), so ``min(alpha[, beta]) + min(T)`` will do.

    Method
    ------
    The by-parts form ``exp(-delta H) E(H) + delta integral_0^H exp(-delta t) E(t) dt`` with a
    composite Gauss-Legendre rule (``NODES_PER_PANEL`` points per panel) on the mesh
    ``t_0 = 0, t_{j+1} = t_j + min(max(t_j, scale), KAPPA / delta)``: panels grow geometrically
    (doubling) from ``scale`` up to ``KAPPA / delta``, then have that constant length, and the mesh
    stops at ``end = min(H, t_K)`` (:func:`truncation_point`). ``delta = 0`` (finite H) is just
    ``E(H)``: ``end = H``, weight 1 and no nodes.

    Error bound
    -----------
    *Truncation.* The conditional purchase rate ``E'(t) = E[lambda 1{alive at T+t} | data]``
    decreases in t, so ``E`` is non-decreasing and concave with ``E(0) = 0``, hence ``E(t)/t`` is
    non-increasing. For ``H > t_K`` the rule returns ``D(t_K)`` (with its own end term), and
    ``0 <= D(H) - D(t_K) <= integral_{t_K}^inf exp(-delta t) dE(t) <= delta integral_{t_K}^inf
    exp(-delta t) E(t) dt``. With ``u = 1/delta``, ``E(t) <= E(u) t / u`` for ``t >= u`` gives
    the bound ``E(u) exp(-delta t_K) (t_K + 1/delta) delta``, while ``D(inf) >= exp(-delta u)
    E(u) = E(u)/e`` (E is non-decreasing). Their ratio is ``exp(1 - delta t_K)(1 + delta t_K)
    <= TAIL_TOL``, whatever the model, the row and the horizon: the truncated part is at most
    ``TAIL_TOL`` (1e-13) relative, and the rule approaches ``D(inf)`` from below. ``t_K`` is
    ``~ 34.5 / delta`` (e.g. 18,900 weeks at 10% a year).

    *Quadrature.* On a panel ``[t_j, t_j + L]`` the integrand ``exp(-delta t) E(t)`` is analytic
    except where ``E`` is, at ``t <= -c`` with ``c >= scale``. Because ``L <= max(t_j, scale) <=
    t_j + c``, the singularity is at least ``1 + 2 (t_j + c) / L >= 3`` half-lengths from the panel's
    centre, so the integrand is analytic inside every Bernstein ellipse of parameter
    ``rho < 3 + sqrt(8) = 5.83`` around the panel; and ``delta L <= KAPPA`` keeps
    ``|exp(-delta t)|`` on such an ellipse within a factor ``exp(KAPPA (rho + 1/rho) / 4) / exp(-delta
    t_j)`` of its size on the panel. The n-point Gauss-Legendre error on a panel is then at most
    ``(64/15) M (L/2) rho^(-2n) / (rho^2 - 1)`` (Trefethen, *Approximation Theory and Approximation
    Practice*, Thm 19.3) with ``M`` the maximum of the integrand on the ellipse: the same geometric
    rate ``rho^(-2n)`` on every panel, relative to the panel's share of ``D`` (``rho^(-16) ~ 2e-10``
    for ``rho = 4``, n = 8, a pessimistic bound). Measured against adaptive quadrature (relative
    tolerance 2e-14) the relative error of ``D`` is below 2e-13 for the BG/NBD and MBG/NBD on
    CDNOW-like and extreme rows (T = 0.5 to 500, x = 0 to 500) at horizons from 1 week to infinity
    (n = 6: 4e-10; n = 10: 4e-15).

    *Work.* ``log2(min(H, KAPPA/delta) / scale) + 1`` doubling panels plus at most
    ``(delta t_K - KAPPA) / KAPPA ~ 8`` panels of constant length: a 52-week horizon on weekly data
    needs 2-6 panels, the infinite horizon at 10% a year 15-20 (120-160 evaluations of E).
    """
    if horizon < 0 or not np.isfinite(delta) or not (delta > 0 or np.isfinite(horizon)):
        raise ValueError(f"need horizon >= 0 (finite unless delta > 0) and a finite delta, got {horizon!r}, {delta!r}")
    if delta == 0.0 or horizon == 0.0:
        return float(horizon), 1.0, np.empty(0), np.empty(0)
    # a negative delta (a negative annual rate, finite horizons only) uses the same by-parts rule up to H
    end = float(min(horizon, truncation_point(delta))) if delta > 0 else float(horizon)
    scale = float(scale) if np.isfinite(scale) and scale > 0 else end
    left, right = _panels(end, abs(float(delta)), scale)
    half = 0.5 * (right - left)
    nodes = (0.5 * (left + right))[:, None] + half[:, None] * _GL_X[None, :]
    weights = delta * np.exp(-delta * nodes) * half[:, None] * _GL_W[None, :]
    return end, math.exp(-delta * end), nodes.ravel(), weights.ravel()


def singularity_scale(param_names: tuple[str, ...], time_scale_params: tuple[str, ...], params: np.ndarray,
                      T: np.ndarray) -> float:
    """``min(time-scale parameters) + min(T)``: where ``E(t)`` of the gamma-mixture models stops being
    analytic is ``t = -(alpha + T)`` (and ``-(beta + T)`` for the Pareto/NBD). Falls back to ``min(T)``."""
    t_min = float(np.min(T)) if len(T) else 1.0
    scales = [float(params[param_names.index(name)]) for name in time_scale_params]
    return (min(scales) if scales else 0.0) + t_min


def discounted_pair_values(bracket, x: np.ndarray, T: np.ndarray, horizon: float, delta: float,
                           time_scale: float, chunk_cells: int = 2_000_000) -> np.ndarray:
    """``end_weight B(end) + weights @ B(nodes)`` of :func:`discount_rule` for ``B = bracket(x, T, t)``
    (broadcast over ``x[:, None], T[:, None], t[None, :]``), per distinct (x, T) pair.

    Pairs are processed in order of T, in chunks of at most ``chunk_cells`` (pair x node) values;
    each chunk uses the mesh for its own smallest ``time_scale + T``, so customers observed for
    long need fewer doubling panels.
    """
    out = np.zeros(len(x))
    if len(x) == 0 or horizon == 0.0:
        return out
    order = np.argsort(T, kind="stable")
    n_times = 1 + len(discount_rule(horizon, delta, time_scale + T[order[0]])[2])
    step = max(1, chunk_cells // n_times)
    for start in range(0, len(x), step):
        idx = order[start:start + step]
        end, end_weight, nodes, weights = discount_rule(horizon, delta, time_scale + T[idx[0]])
        times = np.concatenate([[end], nodes])
        values = bracket(x[idx, None], T[idx, None], times[None, :])
        out[idx] = end_weight * values[:, 0] + values[:, 1:] @ weights
    return out
