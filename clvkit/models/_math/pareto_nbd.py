"""Pareto/NBD maths: Schmittlein, Morrison & Colombo (1987), Management Science 33(1), 1-24,
in the form of Fader & Hardie (2005), "A note on deriving the Pareto/NBD model and related
expressions" (FH note), and Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves
for customer base analysis", JMR 42(4), 415-430 (FHL RFM).

Parameters ``(r, alpha, s, beta)``: purchase rates lambda ~ gamma(r, alpha), drop-out rates
mu ~ gamma(s, beta), both rates per unit of time.

Stable likelihood
-----------------
The FH note (Section 3) writes the likelihood with a Gauss hypergeometric term ``A_0`` whose two
branches (alpha >= beta, alpha < beta) are differences of 2F1 values. We use the equivalent
integral form (the note's derivation before integrating over tau)::

    L = G(r+x)/G(r) alpha^r beta^s [ (alpha+T)^-(r+x) (beta+T)^-s + s (Phi(t_x) - Phi(T)) ],
    Phi(y) = integral_y^inf (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau.

With ``p = r+x``, ``q = s+1``, ``a = p+q-1``, ``A = alpha+y``, ``B = beta+y``, ``m = min(A, B)``,
``M = max(A, B)`` and ``e = p`` if ``A >= B`` else ``q``, a change of variable and Pfaff's
transformation give ``Phi(y) = m^(e-a) M^-e H / a`` with ``H = 2F1(1, e; a+1; 1 - m/M)``. This
2F1 has positive terms whose ratio ``(e+k)/(a+1+k) (1-m/M)`` is below ``1 - m/M < 1`` in both
branches, so its series is summed term by term in log-free form (H >= 1 never overflows) and
differentiated term by term for the gradient. It is the note's ``A_0`` on the branch with
|z| < 1, after Euler's transformation. Phi depends on (x, y) only, so it is evaluated once per
distinct (frequency, recency) and (frequency, T) pair, in a numba-compiled pass.

Checked by tests/published/test_pareto_nbd.py, tests/oracle/test_pareto_nbd_lifetimes.py,
tests/oracle/test_pareto_nbd_simulation.py, tests/unit/test_pareto_nbd_math.py and
tests/unit/test_discounted_closed_forms.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numba import njit
from scipy import integrate
from scipy.special import digamma, gammaln

#: hard cap on series terms; beyond it the geometric tail bound is added (w -> 1 only).
_MAX_TERMS = 200_000


@njit(cache=True, error_model="numpy")
def _log_phi(p: float, q: float, A: float, B: float) -> tuple[float, float, float, float, float]:
    """log Phi and its derivatives in (p, q, A, B); see the module docstring."""
    a = p + q - 1.0
    if A >= B:
        m, M, e = B, A, p
    else:
        m, M, e = A, B, q
    w = (M - m) / M
    H = 1.0
    D = 0.0     # sum k h_k
    He = 0.0    # dH/de
    Ha = 0.0    # -dH/da
    h = 1.0
    se = 0.0
    sa = 0.0
    k = 0
    if w > 0.0:
        tail_factor = w / (1.0 - w)
        while True:
            se += 1.0 / (e + k)
            sa += 1.0 / (a + 1.0 + k)
            h *= (e + k) / (a + 1.0 + k) * w
            k += 1
            H += h
            D += k * h
            He += h * se
            Ha += h * sa
            if h * (k + 1.0 / (1.0 - w)) * tail_factor < 1e-17 * H:
                break
            if k >= _MAX_TERMS:
                H += h * tail_factor
                break
    dH_dw = D / w if w > 0.0 else e / (a + 1.0)
    log_phi = -math.log(a) + (e - a) * math.log(m) - e * math.log(M) + math.log(H)
    g = dH_dw / H
    if A >= B:
        d_p = -1.0 / a - math.log(A) + (He - Ha) / H
        d_q = -1.0 / a - math.log(B) - Ha / H
        d_A = -e / A + g * B / (A * A)
        d_B = (e - a) / B - g / A
    else:
        d_p = -1.0 / a - math.log(A) - Ha / H
        d_q = -1.0 / a - math.log(B) + (He - Ha) / H
        d_A = (e - a) / A - g / B
        d_B = -e / B + g * A / (B * B)
    return log_phi, d_p, d_q, d_A, d_B


@njit(cache=True, error_model="numpy")
def _phi_pairs(r: float, alpha: float, s: float, beta: float, px: np.ndarray,
               py: np.ndarray) -> np.ndarray:
    """log Phi(y), its gradient in (r, alpha, s, beta), log(alpha+y) and log(beta+y) for each
    (x, y) pair: (n, 7)."""
    out = np.empty((px.shape[0], 7))
    for i in range(px.shape[0]):
        lp, dp, dq, dA, dB = _log_phi(r + px[i], s + 1.0, alpha + py[i], beta + py[i])
        out[i, 0] = lp
        out[i, 1] = dp
        out[i, 2] = dA
        out[i, 3] = dq
        out[i, 4] = dB
        out[i, 5] = math.log(alpha + py[i])
        out[i, 6] = math.log(beta + py[i])
    return out


@njit(cache=True, error_model="numpy")
def _combine(r: float, alpha: float, s: float, beta: float, x: np.ndarray, t_x: np.ndarray,
             T: np.ndarray, phi: np.ndarray, i_rec: np.ndarray, i_age: np.ndarray,
             x_inv: np.ndarray, lg_u: np.ndarray, dg_u: np.ndarray, weights: np.ndarray,
             summed: bool, out_ll: np.ndarray, out_grad: np.ndarray, out_alive: np.ndarray) -> None:
    """Per row: log-likelihood ``log C + log bracket`` with ``C = G(r+x)/G(r) alpha^r beta^s``
    (``lg_u``, ``dg_u``: its log-gamma and digamma parts per distinct x) and the bracket
    ``(alpha+T)^-p (beta+T)^-s + s (Phi(t_x) - Phi(T))``; its gradient; P(alive) = first
    term / bracket. With ``summed``, only the ``weights``-weighted sums of the log-likelihood
    and gradient are written (to ``out_ll[0]``, ``out_grad[0]``), which is all a fit needs."""
    log_s = math.log(s)
    log_c0 = r * math.log(alpha) + s * math.log(beta)
    dc_r = math.log(alpha)
    dc_a = r / alpha
    dc_s = math.log(beta)
    dc_b = s / beta
    acc = np.zeros(5)   # weighted sums (ll, 4 gradients), Neumaier-compensated: the optimiser
    comp = np.zeros(5)  # runs to tolerances near 1e-15, so summation noise would cost it steps
    vals = np.zeros(5)
    for i in range(x.shape[0]):
        p = r + x[i]
        lat = phi[i_age[i], 5]
        lbt = phi[i_age[i], 6]
        l1 = -p * lat - s * lbt
        g1_r = -lat
        g1_a = -p / (alpha + T[i])
        g1_s = -lbt
        g1_b = -s / (beta + T[i])
        l2 = -np.inf
        g2_r = 0.0
        g2_a = 0.0
        g2_s = 0.0
        g2_b = 0.0
        if t_x[i] < T[i]:
            j1 = i_rec[i]
            j2 = i_age[i]
            rho = math.exp(phi[j2, 0] - phi[j1, 0])
            if rho < 1.0:
                l2 = log_s + phi[j1, 0] + math.log1p(-rho)
                c = 1.0 / (1.0 - rho)
                g2_r = (phi[j1, 1] - rho * phi[j2, 1]) * c
                g2_a = (phi[j1, 2] - rho * phi[j2, 2]) * c
                g2_s = 1.0 / s + (phi[j1, 3] - rho * phi[j2, 3]) * c
                g2_b = (phi[j1, 4] - rho * phi[j2, 4]) * c
        if l2 == -np.inf:
            w1 = 1.0
            w2 = 0.0
            ll = l1
        elif l1 >= l2:
            ratio = math.exp(l2 - l1)
            w1 = 1.0 / (1.0 + ratio)
            w2 = ratio / (1.0 + ratio)
            ll = l1 + math.log1p(ratio)
        else:
            ratio = math.exp(l1 - l2)
            w1 = ratio / (1.0 + ratio)
            w2 = 1.0 / (1.0 + ratio)
            ll = l2 + math.log1p(ratio)
        ll += lg_u[x_inv[i]] + log_c0
        d_r = w1 * g1_r + w2 * g2_r + dg_u[x_inv[i]] + dc_r
        d_a = w1 * g1_a + w2 * g2_a + dc_a
        d_s = w1 * g1_s + w2 * g2_s + dc_s
        d_b = w1 * g1_b + w2 * g2_b + dc_b
        if summed:
            wi = weights[i]
            vals[0] += wi * ll
            vals[1] += wi * d_r
            vals[2] += wi * d_a
            vals[3] += wi * d_s
            vals[4] += wi * d_b
            if (i + 1) % 256 == 0 or i + 1 == x.shape[0]:   # blocks of 256 rows, then compensated
                for k in range(5):
                    total = acc[k] + vals[k]
                    if abs(acc[k]) >= abs(vals[k]):
                        comp[k] += (acc[k] - total) + vals[k]
                    else:
                        comp[k] += (vals[k] - total) + acc[k]
                    acc[k] = total
                    vals[k] = 0.0
        else:
            out_ll[i] = ll
            out_alive[i] = w1
            out_grad[i, 0] = d_r
            out_grad[i, 1] = d_a
            out_grad[i, 2] = d_s
            out_grad[i, 3] = d_b
    if summed:
        out_ll[0] = acc[0] + comp[0]
        for k in range(4):
            out_grad[0, k] = acc[k + 1] + comp[k + 1]


@dataclass(frozen=True)
class Prepared:
    """Rows of (x, t_x, T) with the index of their distinct (x, y) pairs, built once per fit."""

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    pair_x: np.ndarray
    pair_y: np.ndarray
    i_rec: np.ndarray
    i_age: np.ndarray
    x_unique: np.ndarray
    x_inverse: np.ndarray


def prepare(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> Prepared:
    """Index the distinct (frequency, recency) and (frequency, T) pairs of the rows."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    t_x = np.ascontiguousarray(t_x, dtype=np.float64)
    T = np.ascontiguousarray(T, dtype=np.float64)
    n = len(x)
    # x + i*y as one hashable key: pandas factorizes complex numbers fast (20x a MultiIndex)
    inverse, uniques = pd.factorize(np.concatenate([x, x]) + 1j * np.concatenate([t_x, T]), sort=False)
    x_inverse, x_unique = pd.factorize(x, sort=False)
    x_unique = np.ascontiguousarray(x_unique, dtype=np.float64)
    x_inverse = np.ascontiguousarray(x_inverse, dtype=np.int64)
    return Prepared(x, t_x, T,
                    np.ascontiguousarray(uniques.real, dtype=np.float64),
                    np.ascontiguousarray(uniques.imag, dtype=np.float64),
                    np.ascontiguousarray(inverse[:n], dtype=np.int64),
                    np.ascontiguousarray(inverse[n:], dtype=np.int64), x_unique, x_inverse)


def _evaluate(params: np.ndarray, prep: Prepared,
              weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log-likelihood, gradient and P(alive) of every row in one compiled pass (with
    ``weights``: only the weighted sums, shapes (1,) and (1, 4))."""
    r, alpha, s, beta = (float(v) for v in params)
    phi = _phi_pairs(r, alpha, s, beta, prep.pair_x, prep.pair_y)
    xu = prep.x_unique
    lg_u = gammaln(r + xu) - gammaln(r)
    dg_u = digamma(r + xu) - digamma(r)
    summed = weights is not None
    n = 1 if summed else len(prep.x)
    ll = np.zeros(n)
    grad = np.zeros((n, 4))
    alive = np.zeros(n)
    w = np.ascontiguousarray(weights, dtype=np.float64) if summed else np.zeros(0)
    _combine(r, alpha, s, beta, prep.x, prep.t_x, prep.T, phi, prep.i_rec, prep.i_age,
             prep.x_inverse, lg_u, dg_u, w, summed, ll, grad, alive)
    return ll, grad, alive


def weighted_loglik_and_grad(params: np.ndarray, prep: Prepared,
                             weights: np.ndarray) -> tuple[float, np.ndarray]:
    """``sum_i w_i log L_i`` and its gradient, without per-row arrays (the fit's hot path)."""
    ll, grad, _ = _evaluate(params, prep, weights)
    return float(ll[0]), grad[0]


def loglik_and_grad(params: np.ndarray, prep: Prepared) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer log-likelihood (FH note, Section 3, in the stable form of the module
    docstring) and its gradient in (r, alpha, s, beta)."""
    ll, grad, _ = _evaluate(params, prep)
    return ll, grad


def p_alive(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(alive | x, t_x, T): FH note, Section 5, the first term of the likelihood over the whole."""
    return _evaluate(params, prepare(x, t_x, T))[2]


def _one_minus_power_over(c: float, log_ratio: np.ndarray) -> np.ndarray:
    """``(1 - exp(-c L)) / c``, with its limit ``L`` at c = 0."""
    if abs(c) < 1e-12:
        return log_ratio * (1.0 - 0.5 * c * log_ratio)
    return -np.expm1(-c * log_ratio) / c


def expected_purchases(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray,
                       t: float) -> np.ndarray:
    """E[X(T, T+t) | x, t_x, T], FH note, Section 6 (Schmittlein et al. 1987)::

        (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)] P(alive)

    written with ``expm1`` so that s = 1 (its limit, a logarithm) and huge T stay finite.
    """
    r, alpha, s, beta = params
    if t == 0:
        return np.zeros(np.shape(x))
    log_ratio = np.log1p(t / (beta + T))
    rate = (r + x) / (alpha + T) * (beta + T)
    return rate * _one_minus_power_over(s - 1.0, log_ratio) * p_alive(params, x, t_x, T)


def expected_purchases_new(params: np.ndarray, t: np.ndarray) -> np.ndarray:
    """E[X(t)] for a just-acquired customer, FH note, Section 4:
    ``r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)]``."""
    r, alpha, s, beta = params
    t = np.asarray(t, dtype=float)
    return r * beta / alpha * _one_minus_power_over(s - 1.0, np.log1p(t / beta))


def purchase_pmf(params: np.ndarray, n: np.ndarray, t: float) -> np.ndarray:
    """P(X(t) = n) for a just-acquired customer.

    Fader & Hardie (2006), "Deriving an expression for P(X(t)=x) under the Pareto/NBD
    model", in its integral form (before the 2F1 evaluation): alive at t with n
    purchases, or dead at tau < t after n purchases::

        NB(n; r, alpha/(alpha+t)) (beta/(beta+t))^s
          + integral_0^t s beta^s (beta+tau)^-(s+1) NB(n; r, alpha/(alpha+tau)) dtau

    with NB the negative binomial pmf (the gamma mixture of Poisson counts). The integral is
    done by adaptive quadrature (scipy ``quad``), which avoids the alternating 2F1 sums of the
    closed form; checked against lifetimes and simulation.
    """
    r, alpha, s, beta = (float(v) for v in params)
    counts = np.atleast_1d(np.asarray(n, dtype=float))

    def log_nb(k: float, tau: float) -> float:
        if tau == 0.0:
            return 0.0 if k == 0 else -np.inf
        return (math.lgamma(r + k) - math.lgamma(r) - math.lgamma(k + 1.0)
                + r * (math.log(alpha) - math.log(alpha + tau))
                + k * (math.log(tau) - math.log(alpha + tau)))

    out = np.empty(len(counts))
    for i, k in enumerate(counts):
        if t == 0:
            out[i] = 1.0 if k == 0 else 0.0
            continue
        alive = math.exp(log_nb(k, t) + s * (math.log(beta) - math.log(beta + t)))

        def integrand(tau: float, k: float = k) -> float:
            return math.exp(math.log(s) + s * math.log(beta) - (s + 1.0) * math.log(beta + tau)
                            + log_nb(k, tau))

        dead, _ = integrate.quad(integrand, 0.0, t, epsabs=0.0, epsrel=1e-11, limit=200)
        out[i] = alive + dead
    return out if np.ndim(n) else out[0]


def _tricomi_integral(z: np.ndarray, s: float, u_end: np.ndarray) -> np.ndarray:
    """``integral_0^u_end exp(-z expm1(u) - (s-1) u) du``; with ``u_end = inf`` this is Tricomi's
    ``U(1, 2-s; z)`` (DLMF 13.4.4 with t = expm1(u)).

    scipy's ``hyperu`` returns NaN or wrong values for s >= 2 at small z, so the integral is
    evaluated directly: the integrand is smooth in u and negligible (below exp(-45) of its
    peak) past a cut-off found from its log, so composite Gauss-Legendre (48 panels of 16
    nodes) on [0, min(u_end, cut-off)] is accurate to about 1e-13.
    """
    z = np.asarray(z, dtype=float)
    # peak of the log-integrand (at u = 0 unless s < 1), then the cut-off 45 below it
    u_peak = np.where(s < 1.0, np.log(np.maximum((1.0 - s) / z, 1.0)), 0.0)
    log_peak = -z * np.expm1(u_peak) - (s - 1.0) * u_peak
    width = 1.0 / (1.0 + z + abs(s - 1.0))
    for _ in range(80):
        cut = u_peak + width
        gap = log_peak - (-z * np.expm1(cut) - (s - 1.0) * cut)
        grow = gap < 45.0
        if not grow.any():
            break
        width = np.where(grow, width * 1.5, width)
    upper = np.minimum(cut, u_end)
    u = upper[:, None] * _PANEL_NODES[None, :]
    values = np.exp(-z[:, None] * np.expm1(u) - (s - 1.0) * u)
    return upper * (values @ _PANEL_WEIGHTS)


def _panel_rule(panels: int = 48, order: int = 16) -> tuple[np.ndarray, np.ndarray]:
    nodes, weights = np.polynomial.legendre.leggauss(order)
    edges = np.arange(panels) / panels
    all_nodes = (edges[:, None] + (nodes[None, :] + 1.0) / (2.0 * panels)).ravel()
    all_weights = np.tile(weights / (2.0 * panels), panels)
    return all_nodes, all_weights


_PANEL_NODES, _PANEL_WEIGHTS = _panel_rule()


def discounted_expected_purchases(params: np.ndarray, x: np.ndarray, t_x: np.ndarray,
                                  T: np.ndarray, horizon: float, delta: float) -> np.ndarray:
    """Discounted expected purchases in (T, T+horizon], continuous discounting at force delta.

    FHL RFM (2005): continuous discounting of the purchase stream, with the Pareto/NBD's
    DET expression::

        DET = alpha^r beta^s delta^(s-1) G(r+x+1) U(s, s; delta(beta+T))
              / (G(r) (alpha+T)^(r+x+1) L)
            = P(alive) (r+x)/(alpha+T) b U(1, 2-s; delta b),   b = beta+T,

    (U is Tricomi's confluent hypergeometric function; the two forms agree by Kummer's
    relation ``U(s, s; z) = z^(1-s) U(1, 2-s; z)``). The derivation (alive customers keep
    buying at rate E[lambda] = (r+x)/(alpha+T) and survive to T+v with probability
    ``(b/(b+v))^s``) also gives the finite horizon H: U's integral representation cut at
    ``v = H``. ``horizon = inf`` gives DET. See :func:`_tricomi_integral` for the evaluation of U;
    checked against scipy's ``hyperu`` where that is accurate and against Gauss-Legendre
    integration of E[X(t)] in tests/unit/test_discounted_closed_forms.py.
    """
    r, alpha, s, beta = params
    if delta <= 0.0:
        if np.isinf(horizon):
            return np.full(np.shape(x), np.inf)
        return expected_purchases(params, x, t_x, T, horizon)
    T_unique, T_inverse = np.unique(np.asarray(T, dtype=float), return_inverse=True)
    b = beta + T_unique
    u_end = np.log1p(horizon / b) if np.isfinite(horizon) else np.full(len(b), np.inf)
    survival_integral = (b * _tricomi_integral(delta * b, float(s), u_end))[T_inverse]
    return p_alive(params, x, t_x, T) * (r + x) / (alpha + T) * survival_integral
