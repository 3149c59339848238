"""Compiled BG/NBD log-likelihood and gradient, summed with weights in one pass.

Same formulas as :func:`clvkit.models._math.beta_geo.loglik_and_grad` (FHL 2005, eq. 6), which stays
the readable reference; tests/unit/test_beta_geo_math.py checks the two agree. Special functions
depend on the frequency only and are computed per distinct frequency in numpy; the per-row work
(two logs, two exps) runs here.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from scipy.special import betaln, digamma, gammaln


@njit(cache=True)
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


def weighted_loglik_and_grad(params: np.ndarray, xs: np.ndarray, code: np.ndarray, t_x: np.ndarray,
                             T: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """``sum_i w_i log L_i`` and its gradient in (r, alpha, a, b)."""
    r, alpha, a, b = (float(v) for v in params)
    repeat = xs > 0
    xm1 = np.where(repeat, xs - 1.0, 0.0)
    lnb_ab = betaln(a, b)
    psi_ab = digamma(a + b)
    psi_abx = digamma(a + b + xs)
    A = gammaln(r + xs) - gammaln(r) + r * np.log(alpha)
    dA = digamma(r + xs) - digamma(r) + np.log(alpha)
    l1u = betaln(a, b + xs) - lnb_ab
    d1a = psi_ab - psi_abx
    d1b = digamma(b + xs) - psi_abx - digamma(b) + psi_ab
    l2u = np.where(repeat, betaln(a + 1.0, b + xm1) - lnb_ab, -np.inf)
    d2a = np.where(repeat, digamma(a + 1.0) - psi_abx - digamma(a) + psi_ab, 0.0)
    d2b = np.where(repeat, digamma(b + xm1) - psi_abx - digamma(b) + psi_ab, 0.0)
    return _weighted_pass(code, xs, t_x, T, w, r, alpha, A, dA, l1u, d1a, d1b, l2u, d2a, d2b)
