"""MBG/NBD maths: Batislam, Denizel & Filiztekin (2007), "Empirical validation and comparison
of models for customer base analysis", IJRM 24(3), 201-209 (the model of BTYDplus' ``mbgcnbd``
with k = 1).

Parameters ``(r, alpha, a, b)``: purchase rates are gamma(r, alpha); a customer drops out with
probability p ~ beta(a, b) right after each purchase *including the first one* (time 0), which
is what distinguishes it from the BG/NBD. Given (lambda, p)::

    L = (1-p)^(x+1) lambda^x exp(-lambda T) + p (1-p)^x lambda^x exp(-lambda t_x)

(for x = 0 the second term is p: the customer left right after the first purchase).
Checked by tests/published/test_modified_beta_geo.py, tests/oracle/test_modified_beta_geo_*.py
and tests/unit/test_mbg_math.py.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.special import betaln, digamma, expit, gammaln

from clvkit.models._math.beta_geo import _near_a_one, _scaled_bracket, conditional_bracket, mix_two_branches


def loglik_and_grad(params: np.ndarray, x: np.ndarray, t_x: np.ndarray,
                    T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer log-likelihood (Batislam et al. 2007) and its gradient.

    ``log L = A + logaddexp(l1, l2)`` with ``A = lnG(r+x) - lnG(r) + r ln(alpha)``,
    ``l1 = lnB(a, b+x+1) - lnB(a, b) - (r+x) ln(alpha+T)`` and
    ``l2 = lnB(a+1, b+x) - lnB(a, b) - (r+x) ln(alpha+t_x)``, i.e. the mixture of the
    expression in the module docstring over gamma(r, alpha) and beta(a, b).
    """
    r, alpha, a, b = params
    xu, inv = np.unique(x, return_inverse=True)
    lnb_ab = betaln(a, b)
    psi_ab = digamma(a + b)
    psi_abx1 = digamma(a + b + xu + 1.0)
    A_u = gammaln(r + xu) - gammaln(r) + r * np.log(alpha)
    dA_dr_u = digamma(r + xu) - digamma(r) + np.log(alpha)
    l1_u = betaln(a, b + xu + 1.0) - lnb_ab
    d1_da_u = psi_ab - psi_abx1
    d1_db_u = digamma(b + xu + 1.0) - psi_abx1 - digamma(b) + psi_ab
    l2_u = betaln(a + 1.0, b + xu) - lnb_ab
    d2_da_u = digamma(a + 1.0) - psi_abx1 - digamma(a) + psi_ab
    d2_db_u = digamma(b + xu) - psi_abx1 - digamma(b) + psi_ab

    d2_da_u = np.broadcast_to(d2_da_u, xu.shape)
    return mix_two_branches(params, x, t_x, T, inv, A_u, dA_dr_u, (l1_u, d1_da_u, d1_db_u),
                            (l2_u, d2_da_u, d2_db_u))


def p_alive(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(alive | x, t_x, T) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)).

    Batislam et al. (2007), appendix A; unlike the BG/NBD it is below 1 for x = 0 as well.
    """
    r, alpha, a, b = params
    log_odds = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return expit(-log_odds)


def expected_purchases(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray,
                       t: float) -> np.ndarray:
    """E[X(T, T+t) | x, t_x, T], Batislam et al. (2007)::

        (a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; t/(alpha+T+t))]
        * P(alive)

    (alive customers have posterior lambda ~ gamma(r+x, alpha+T), p ~ beta(a, b+x+1)). That is the
    BG/NBD bracket at b+1, evaluated through Euler's transformation
    (:func:`clvkit.models._math.beta_geo.conditional_bracket`), which stays finite for frequencies
    of 1e6 where the direct 2F1 overflows to NaN.
    """
    r, alpha, a, b = params
    if t == 0:
        return np.zeros(np.shape(x))
    shifted = np.array([r, alpha, a, b + 1.0])
    return conditional_bracket(shifted, x, T, t) * p_alive(params, x, t_x, T)


def expected_purchases_new(params: np.ndarray, t: np.ndarray) -> np.ndarray:
    """E[X(t)] for a just-acquired customer, Batislam et al. (2007)::

        b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))]
    """
    r, alpha, a, b = params
    t = np.asarray(t, dtype=float)
    # b/(a+b) times the BG/NBD bracket at b+1 and x = 0 (Euler-transformed, as above)
    z = t / (alpha + t)
    return b / (a + b) * _near_a_one(lambda a_: _scaled_bracket(a_, b + 1.0, r, a_ + b, z) / (a_ - 1.0), a)


def purchase_pmf(params: np.ndarray, n: np.ndarray, t: float) -> np.ndarray:
    """P(X(t) = n) for a just-acquired customer.

    Mixing ``P(X(t)=n | lambda, p) = (1-p)^(n+1) Poisson(n; lambda t) + p (1-p)^n P(N(t) >= n)``
    (alive after n purchases, or left right after the n-th) over the gammas and betas::

        B(a, b+n+1)/B(a, b) NB(n) + B(a+1, b+n)/B(a, b) NB_sf(n-1)

    with NB the negative binomial of size r and success probability alpha/(alpha+t) (Batislam
    et al. 2007, with the finite sum written as a negative-binomial tail).
    """
    r, alpha, a, b = params
    n = np.asarray(n, dtype=float)
    lnb_ab = betaln(a, b)
    success = alpha / (alpha + t)
    first = np.exp(betaln(a, b + n + 1.0) - lnb_ab) * stats.nbinom.pmf(n, r, success)
    tail = np.where(n > 0, stats.nbinom.sf(n - 1.0, r, success), 1.0)
    return first + np.exp(betaln(a + 1.0, b + n) - lnb_ab) * tail
