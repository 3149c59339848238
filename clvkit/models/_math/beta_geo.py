"""BG/NBD maths: Fader, Hardie & Lee (2005), "Counting your customers the easy way",
Marketing Science 24(2), 275-284.

Parameters ``(r, alpha, a, b)``: purchase rates are gamma(r, alpha) across customers, and after
each purchase a customer drops out with probability p ~ beta(a, b).
Checked by tests/published/test_beta_geo.py, tests/oracle/test_beta_geo_lifetimes.py,
tests/oracle/test_beta_geo_simulation.py and tests/unit/test_beta_geo_math.py.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.special import betaln, digamma, expit, gammaln

from clvkit.models._math.hypergeometric import hyp2f1


def loglik_and_grad(params: np.ndarray, x: np.ndarray, t_x: np.ndarray,
                    T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer log-likelihood, FHL (2005) eq. (6), and its gradient in (r, alpha, a, b).

    ``log L = A + logaddexp(l1, l2)`` with ``A = lnG(r+x) - lnG(r) + r ln(alpha)``,
    ``l1 = lnB(a, b+x) - lnB(a, b) - (r+x) ln(alpha+T)`` and, for x > 0,
    ``l2 = lnB(a+1, b+x-1) - lnB(a, b) - (r+x) ln(alpha+t_x)``. Special functions depend on
    x only, so they are evaluated once per distinct frequency.
    """
    r, alpha, a, b = params
    xu, inv = np.unique(x, return_inverse=True)
    repeat_u = xu > 0
    xm1 = np.where(repeat_u, xu - 1.0, 0.0)
    lnb_ab = betaln(a, b)
    psi_ab = digamma(a + b)
    psi_abx = digamma(a + b + xu)
    # per distinct x
    A_u = gammaln(r + xu) - gammaln(r) + r * np.log(alpha)
    dA_dr_u = digamma(r + xu) - digamma(r) + np.log(alpha)
    l1_u = betaln(a, b + xu) - lnb_ab
    d1_da_u = psi_ab - psi_abx
    d1_db_u = digamma(b + xu) - psi_abx - digamma(b) + psi_ab
    l2_u = np.where(repeat_u, betaln(a + 1.0, b + xm1) - lnb_ab, -np.inf)
    d2_da_u = np.where(repeat_u, digamma(a + 1.0) - psi_abx - digamma(a) + psi_ab, 0.0)
    d2_db_u = np.where(repeat_u, digamma(b + xm1) - psi_abx - digamma(b) + psi_ab, 0.0)

    return mix_two_branches(params, x, t_x, T, inv, A_u, dA_dr_u, (l1_u, d1_da_u, d1_db_u),
                            (l2_u, d2_da_u, d2_db_u))


def mix_two_branches(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, inv: np.ndarray,
                     A_u: np.ndarray, dA_dr_u: np.ndarray, branch_T: tuple, branch_t_x: tuple,
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Per-row ``log L = A + logaddexp(l1 - (r+x) ln(alpha+T), l2 - (r+x) ln(alpha+t_x))`` and gradient.

    The likelihood of BG/NBD (FHL 2005, eq. 6) and MBG/NBD (Batislam et al. 2007) alike: only the
    per-frequency tables differ. ``branch_T`` and ``branch_t_x`` are ``(l_u, dl/da_u, dl/db_u)``
    indexed by distinct frequency (``inv`` maps rows to them); ``l_u = -inf`` switches a branch off.
    """
    r, alpha = params[0], params[1]
    (l1_u, d1_da_u, d1_db_u), (l2_u, d2_da_u, d2_db_u) = branch_T, branch_t_x
    rx = r + x
    log_aT = np.log(alpha + T)
    log_at = np.log(alpha + t_x)
    l1 = l1_u[inv] - rx * log_aT
    l2 = l2_u[inv] - rx * log_at
    top = np.maximum(l1, l2)
    e1 = np.exp(l1 - top)
    e2 = np.exp(l2 - top)
    s = e1 + e2
    w1 = e1 / s
    w2 = e2 / s
    ll = A_u[inv] + top + np.log(s)
    grad = np.empty((len(x), 4))
    grad[:, 0] = dA_dr_u[inv] - w1 * log_aT - w2 * log_at
    grad[:, 1] = r / alpha - rx * (w1 / (alpha + T) + w2 / (alpha + t_x))
    grad[:, 2] = w1 * d1_da_u[inv] + w2 * d2_da_u[inv]
    grad[:, 3] = w1 * d1_db_u[inv] + w2 * d2_db_u[inv]
    return ll, grad


def log_death_odds(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """``log[ a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x) ]`` for x > 0, ``-inf`` for x = 0."""
    r, alpha, a, b = params
    repeat = x > 0
    odds = np.full(np.shape(x), -np.inf)
    xr = x[repeat]
    odds[repeat] = (np.log(a) - np.log(b + xr - 1.0)
                    + (r + xr) * (np.log(alpha + T[repeat]) - np.log(alpha + t_x[repeat])))
    return odds


def p_alive(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(alive | x, t_x, T), FHL (2005) eq. (11); 1 for customers with no repeat purchase."""
    return expit(-log_death_odds(params, x, t_x, T))


def _scaled_bracket(a: float, b: float, r: float, c: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``c [1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z)]``, stable for large c, a near 1 and c = 0.

    This is ``c`` times Euler's transformation of ``1 - (1-z)^(r+x) 2F1(r+x, b+x; c; z)`` with
    ``c = a+b+x-1``: the original series has huge terms for large x and z near 1 (and overflows);
    the transformed one has parameters independent of x and converges fast. At ``c = 0``
    (a + b = 1, x = 0) the limit ``-(1-z)^(a-1) A B z 2F1(A+1, B+1; 2; z)`` is used.
    """
    c = np.asarray(c, dtype=float)
    z = np.asarray(z, dtype=float)
    A, B = a + b - 1.0 - r, a - 1.0
    pole = np.abs(c) < 1e-12
    safe_c = np.where(pole, 1.0, c)
    F = hyp2f1(A, B, safe_c, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        power = np.exp(B * np.log1p(-z))
        # expm1 keeps precision when a is near 1; F can be negative when c < 0 (a + b < 1, x = 0)
        bracket = np.where(F > 0, -np.expm1(B * np.log1p(-z) + np.log(F)), 1.0 - power * F)
    value = c * bracket
    if np.any(pole):
        limit = -power * A * B * z * hyp2f1(A + 1.0, B + 1.0, 2.0, z)
        value = np.where(pole, limit, value)
    return value


def expected_purchases(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray,
                       t: float) -> np.ndarray:
    """E[X(T, T+t) | x, t_x, T], FHL (2005) eq. (10).

    ``(a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
    * P(alive)``, with the bracket evaluated through Euler's transformation
    (:func:`_scaled_bracket`) so that customers with thousands of purchases do not overflow.
    """
    if t == 0:
        return np.zeros(np.shape(x))
    return conditional_bracket(params, x, T, t) * p_alive(params, x, t_x, T)


def conditional_bracket(params: np.ndarray, x: np.ndarray, T: np.ndarray, t: np.ndarray) -> np.ndarray:
    """E[X(T, T+t) | x, t_x, T] / P(alive): a function of (x, T, t) only (broadcast)."""
    r, alpha, a, b = params
    z = t / (alpha + T + t)
    return _near_a_one(lambda a_: _scaled_bracket(a_, b, r, a_ + b + x - 1.0, z) / (a_ - 1.0), a)


def _near_a_one(fn, a: float) -> np.ndarray:
    """``fn(a)``, a ratio ``bracket / (a - 1)`` that is 0/0 at a = 1 (a removable singularity):
    within 1e-6 of 1 it is interpolated linearly between a = 1 -/+ 1e-4 (error ~1e-8 relative)."""
    if abs(a - 1.0) >= 1e-6:
        return fn(a)
    h = 1e-4
    below, above = fn(1.0 - h), fn(1.0 + h)
    return below + (a - (1.0 - h)) / (2.0 * h) * (above - below)


def expected_purchases_new(params: np.ndarray, t: np.ndarray) -> np.ndarray:
    """E[X(t)] for a just-acquired customer, FHL (2005) eq. (9) (Euler-transformed 2F1)."""
    r, alpha, a, b = params
    t = np.asarray(t, dtype=float)
    z = t / (alpha + t)
    return _near_a_one(lambda a_: _scaled_bracket(a_, b, r, a_ + b - 1.0, z) / (a_ - 1.0), a)


def purchase_pmf(params: np.ndarray, n: np.ndarray, t: float) -> np.ndarray:
    """P(X(t) = n) for a just-acquired customer, FHL (2005) eq. (8).

    The finite sum of eq. (8) is the survival function of a negative binomial with size r and
    success probability alpha / (alpha + t), evaluated with scipy's stable ``nbinom.sf``.
    """
    r, alpha, a, b = params
    n = np.asarray(n, dtype=float)
    lnb_ab = betaln(a, b)
    log_p = np.log(alpha) - np.log(alpha + t)
    log_q = np.log(t) - np.log(alpha + t) if t > 0 else -np.inf
    with np.errstate(invalid="ignore"):
        nbd_term = gammaln(r + n) - gammaln(r) - gammaln(n + 1.0) + r * log_p + np.where(n > 0, n * log_q, 0.0)
    first = np.exp(betaln(a, b + n) - lnb_ab + nbd_term)
    nm1 = np.maximum(n - 1.0, 0.0)
    second = np.where(n > 0,
                      np.exp(betaln(a + 1.0, b + nm1) - lnb_ab) * stats.nbinom.sf(nm1, r, np.exp(log_p)),
                      0.0)
    return first + second
