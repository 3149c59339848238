"""Shifted-beta-geometric (sBG) maths for contract renewals.

Fader & Hardie (2007), "How to project customer retention", Journal of Interactive Marketing
21(1), 76-90: each customer renews at the end of every period with a constant probability
``1 - theta``; ``theta`` varies across customers as beta(alpha, beta). The period in which a
customer leaves, ``T`` in 1, 2, ..., has

- ``P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)``  (FH 2007, the sBG churn probability),
- ``S(t) = P(T > t) = B(alpha, beta + t) / B(alpha, beta)``  (its survivor function),
- ``r(t) = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)``  (the retention rate, rising with t).

Discounted expected lifetimes are from Fader & Hardie (2010), "Customer-base valuation in a
contractual setting: the perils of ignoring heterogeneity", Marketing Science 29(1), 85-93
(the DEL and DERL expressions). Pure numpy / scipy: no pandas, no state.
Checked by tests/published/test_shifted_beta_geo.py and tests/unit/test_sbg_math.py.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, hyp2f1


def loglik_and_grad(params: np.ndarray, t: np.ndarray,
                    churned: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row sBG log-likelihood and its gradient in (alpha, beta).

    A row is a customer who left in period ``t`` (``churned == 1``: log P(T = t), FH 2007
    the sBG churn probability) or who was still active after period ``t`` (``churned == 0``, right-censored:
    log S(t)), as in FH (2007)'s likelihood. Both are ratios of beta functions, so the gradient is a difference of
    digammas.
    """
    alpha, beta = params
    t = np.asarray(t, dtype=float)
    churn = np.asarray(churned, dtype=float) > 0.5
    # numerator beta function B(a1, b1): (alpha + 1, beta + t - 1) for churners, (alpha, beta + t) else
    a1 = np.where(churn, alpha + 1.0, alpha)
    b1 = np.where(churn, beta + t - 1.0, beta + t)
    ll = betaln(a1, b1) - betaln(alpha, beta)
    psi_num = digamma(a1 + b1)
    psi_den = digamma(alpha + beta)
    grad = np.empty((len(t), 2))
    grad[:, 0] = digamma(a1) - psi_num - digamma(alpha) + psi_den
    grad[:, 1] = digamma(b1) - psi_num - digamma(beta) + psi_den
    return ll, grad


def survival(params: np.ndarray, t: np.ndarray) -> np.ndarray:
    """S(t) = B(alpha, beta + t) / B(alpha, beta), FH (2007); S(0) = 1."""
    alpha, beta = params
    t = np.asarray(t, dtype=float)
    # log S(t) <= 0 exactly; rounding of the two betaln can leave it a hair above 0
    return np.exp(np.minimum(betaln(alpha, beta + t) - betaln(alpha, beta), 0.0))


def churn_probability(params: np.ndarray, t: np.ndarray) -> np.ndarray:
    """P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta) for t >= 1, FH (2007)."""
    alpha, beta = params
    t = np.asarray(t, dtype=float)
    return np.exp(betaln(alpha + 1.0, beta + t - 1.0) - betaln(alpha, beta))


def retention(params: np.ndarray, t: np.ndarray) -> np.ndarray:
    """r(t) = (beta + t - 1) / (alpha + beta + t - 1) for t >= 1, FH (2007)."""
    alpha, beta = params
    t = np.asarray(t, dtype=float)
    return (beta + t - 1.0) / (alpha + beta + t - 1.0)


def discounted_lifetime(params: np.ndarray, d: float) -> float:
    """DEL(d) = 2F1(1, beta; alpha + beta; 1 / (1 + d)), Fader & Hardie (2010).

    Equals ``sum_{t>=0} S(t) / (1 + d)^t``: the payment at acquisition (t = 0) counts in full,
    the one after the first renewal is discounted one period, and so on. ``d`` is the
    discount rate *per period*. Infinite when ``d == 0`` and ``alpha <= 1``.
    """
    alpha, beta = params
    return float(hyp2f1(1.0, beta, alpha + beta, 1.0 / (1.0 + d)))


def discounted_residual_lifetime(params: np.ndarray, d: float, renewals: np.ndarray) -> np.ndarray:
    """DERL for a customer who has made ``renewals`` (= n - 1) renewals, FH (2010).

    ``DERL = (beta + n - 1) / (alpha + beta + n - 1) * 2F1(1, beta + n; alpha + beta + n; 1/(1+d))``
    with ``n = renewals + 1``. It equals ``sum_{t>=n} S(t | T > n - 1) / (1 + d)^(t - n)``: the
    customer is at the end of period n - 1, just before the next renewal decision, and that
    renewal's payment (if she renews) is counted undiscounted.
    """
    alpha, beta = params
    n = np.asarray(renewals, dtype=float) + 1.0
    return (beta + n - 1.0) / (alpha + beta + n - 1.0) * hyp2f1(1.0, beta + n, alpha + beta + n,
                                                                  1.0 / (1.0 + d))
