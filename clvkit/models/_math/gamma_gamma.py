"""Gamma-Gamma spend maths: Fader & Hardie (2013), "The Gamma-Gamma model of monetary value"
(note on brucehardie.com; the model is that of Colombo & Jiang 1999).

Parameters ``(p, q, gamma)``: each spend is gamma(p, nu); nu is gamma(q, gamma) across
customers. The likelihood is that of the mean ``zbar`` of a customer's ``x`` repeat spends.
Checked by tests/published/test_gamma_gamma.py and tests/oracle/test_gamma_gamma_lifetimes.py.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln


def loglik_and_grad(params: np.ndarray, x: np.ndarray, zbar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer log density of zbar given x, Fader & Hardie (2013) eq. (5), and gradient.

    ``f(zbar | x) = G(px+q) / (G(px) G(q)) gamma^q x^(px) zbar^(px-1) / (gamma + x zbar)^(px+q)``.
    """
    p, q, gamma = params
    px = p * x
    log_x = np.log(x)
    log_z = np.log(zbar)
    log_gz = np.log(gamma + x * zbar)
    ll = (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(gamma)
          + px * log_x + (px - 1.0) * log_z - (px + q) * log_gz)
    psi_pxq = digamma(px + q)
    grad = np.empty((len(x), 3))
    grad[:, 0] = x * (psi_pxq - digamma(px) + log_x + log_z - log_gz)
    grad[:, 1] = psi_pxq - digamma(q) + np.log(gamma) - log_gz
    grad[:, 2] = q / gamma - (px + q) / (gamma + x * zbar)
    return ll, grad


def expected_spend(params: np.ndarray, x: np.ndarray, zbar: np.ndarray) -> np.ndarray:
    """E[Z | x, zbar] = p (gamma + x zbar) / (p x + q - 1), Fader & Hardie (2013) eq. (8).

    For x = 0 it is the population mean ``p gamma / (q - 1)`` (infinite when q <= 1).
    """
    p, q, gamma = params
    x = np.asarray(x, dtype=float)
    zbar = np.where(x > 0, zbar, 0.0)
    denom = p * x + q - 1.0
    with np.errstate(divide="ignore"):
        return np.where(denom > 0, p * (gamma + x * zbar) / np.where(denom > 0, denom, 1.0), np.inf)
