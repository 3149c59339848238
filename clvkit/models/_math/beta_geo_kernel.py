"""Compiled BG/NBD log-likelihood and gradient, summed with weights in one pass.

Same formulas as :func:`clvkit.models._math.beta_geo.loglik_and_grad` (FHL 2005, eq. 6), which stays
the readable reference; tests/unit/test_beta_geo_math.py checks the two agree. Special functions
depend on the frequency only and are computed per distinct frequency in numpy; the per-row work
(two logs, two exps) runs here, without the GIL, so that parallel sampler chains (nutpie's
threads in :mod:`clvkit.bayes`) evaluate it at the same time.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, error_model="numpy")
def _weighted_pass(code, xs, t_x, T, w, r, alpha, A, dA, l1u, d1a, d1b, l2u, d2a, d2b):  # pragma: no cover
    total = 0.0
    g = np.zeros(4)
    r_over_alpha = r / alpha
    for i in range(code.shape[0]):
        k = code[i]
        x = xs[k]
        rx = r + x
        log_aT = math.log(alpha + T[i])
        l1 = l1u[k] - rx * log_aT
        if x > 0.0:
            log_at = math.log(alpha + t_x[i])
            l2 = l2u[k] - rx * log_at
            top = max(l1, l2)
            e1 = math.exp(l1 - top)
            e2 = math.exp(l2 - top)
            s = e1 + e2
            lse = top + math.log(s)
            w1 = e1 / s
            w2 = e2 / s
            inv_at = 1.0 / (alpha + t_x[i])
        else:
            log_at = 0.0
            lse = l1
            w1 = 1.0
            w2 = 0.0
            inv_at = 0.0
        wi = w[i]
        total += wi * (A[k] + lse)
        g[0] += wi * (dA[k] - w1 * log_aT - w2 * log_at)
        g[1] += wi * (r_over_alpha - rx * (w1 / (alpha + T[i]) + w2 * inv_at))
        g[2] += wi * (w1 * d1a[k] + w2 * d2a[k])
        g[3] += wi * (w1 * d1b[k] + w2 * d2b[k])
    return total, g


def split_frequency(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct frequencies and each row's index into them (computed once per fit)."""
    xs, code = np.unique(x, return_inverse=True)
    return xs, code.astype(np.int64)


@njit(cache=True, nogil=True, error_model="numpy")
def digamma(x: float) -> float:  # pragma: no cover
    """psi(x) for x > 0: recurrence up to x >= 10, then the asymptotic series (error < 1e-15)."""
    shift = 0.0
    while x < 10.0:
        shift -= 1.0 / x
        x += 1.0
    inv2 = 1.0 / (x * x)
    series = inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * (1.0 / 240 - inv2 / 132))))
    return shift + math.log(x) - 0.5 / x - series


@njit(cache=True, nogil=True, error_model="numpy")
def _betaln(a: float, b: float) -> float:  # pragma: no cover
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


@njit(cache=True, nogil=True, error_model="numpy")
def _frequency_terms(xs, r, alpha, a, b):  # pragma: no cover
    """The special-function terms of eq. (6) for each distinct frequency (see loglik_and_grad)."""
    k = xs.shape[0]
    out = np.empty((8, k))
    lnb_ab = _betaln(a, b)
    psi_ab = digamma(a + b)
    psi_a, psi_b, psi_a1, psi_r = digamma(a), digamma(b), digamma(a + 1.0), digamma(r)
    lg_r = math.lgamma(r)
    log_alpha = math.log(alpha)
    for j in range(k):
        x = xs[j]
        psi_abx = digamma(a + b + x)
        out[0, j] = math.lgamma(r + x) - lg_r + r * log_alpha
        out[1, j] = digamma(r + x) - psi_r + log_alpha
        out[2, j] = _betaln(a, b + x) - lnb_ab
        out[3, j] = psi_ab - psi_abx
        out[4, j] = digamma(b + x) - psi_abx - psi_b + psi_ab
        if x > 0.0:
            out[5, j] = _betaln(a + 1.0, b + x - 1.0) - lnb_ab
            out[6, j] = psi_a1 - psi_abx - psi_a + psi_ab
            out[7, j] = digamma(b + x - 1.0) - psi_abx - psi_b + psi_ab
        else:
            out[5, j] = -np.inf
            out[6, j] = 0.0
            out[7, j] = 0.0
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def _weighted_total(params, xs, code, t_x, T, w):  # pragma: no cover
    r, alpha, a, b = params[0], params[1], params[2], params[3]
    f = _frequency_terms(xs, r, alpha, a, b)
    return _weighted_pass(code, xs, t_x, T, w, r, alpha, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7])


def weighted_loglik_and_grad(params: np.ndarray, xs: np.ndarray, code: np.ndarray, t_x: np.ndarray,
                             T: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """``sum_i w_i log L_i`` and its gradient in (r, alpha, a, b), in one compiled call.

    Log-gamma is ``math.lgamma`` and digamma :func:`digamma`; both are checked against scipy in
    tests/unit/test_beta_geo_math.py.
    """
    return _weighted_total(np.asarray(params, dtype=np.float64), xs, code, t_x, T, w)
