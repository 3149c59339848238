"""MBG/NBD maths one formula at a time: gradient (scipy check_grad), the pmf against the mean,
and the conditional expectation against numerical integration over the posterior."""

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.optimize import check_grad

from clvkit.models._math import modified_beta_geo as mbg

PARAMS = np.array([0.525, 6.183, 0.891, 1.614])


def _rows(n=300, seed=7):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 50, n).astype(float)
    T = rng.uniform(0.5, 80.0, n)
    t_x = np.where(x > 0, rng.uniform(0, 1, n) * T, 0.0)
    return x, t_x, T


@pytest.mark.parametrize("params", [PARAMS, np.array([2.0, 20.0, 3.0, 8.0])])
def test_gradient_passes_check_grad(params):
    x, t_x, T = _rows()

    def f(theta):
        return mbg.loglik_and_grad(np.exp(theta), x, t_x, T)[0].sum()

    def g(theta):
        return mbg.loglik_and_grad(np.exp(theta), x, t_x, T)[1].sum(axis=0) * np.exp(theta)

    theta = np.log(params)
    assert check_grad(f, g, theta, epsilon=1e-7) < 1e-5 * (1.0 + np.linalg.norm(g(theta)))


def test_pmf_sums_to_one_and_its_mean_is_expected_purchases_new():
    n = np.arange(400)
    pmf = mbg.purchase_pmf(PARAMS, n, 39.0)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-9)
    assert (n * pmf).sum() == pytest.approx(float(mbg.expected_purchases_new(PARAMS, 39.0)), rel=1e-7)


def test_conditional_expectation_matches_posterior_quadrature():
    # alive customers: lambda ~ gamma(r+x, alpha+T), p ~ beta(a, b+x+1); E[(1/p)(1 - exp(-lambda p t))]
    # = E_p[(1/p)(1 - ((alpha+T)/(alpha+T+p t))^(r+x))], integrated over p numerically
    r, alpha, a, b = PARAMS
    x, t_x, T = _rows(n=20, seed=8)
    t = 26.0
    ours = mbg.expected_purchases(PARAMS, x, t_x, T, t) / mbg.p_alive(PARAMS, x, t_x, T)
    for i in range(len(x)):
        def integrand(p, i=i):
            inner = 1.0 - ((alpha + T[i]) / (alpha + T[i] + p * t)) ** (r + x[i])
            return inner / p * stats.beta.pdf(p, a, b + x[i] + 1.0)

        direct = integrate.quad(integrand, 0.0, 1.0, epsabs=0.0, epsrel=1e-11, limit=200)[0]
        assert ours[i] == pytest.approx(direct, rel=1e-8)


def test_p_alive_is_the_posterior_share_of_the_alive_term():
    x, t_x, T = _rows(n=50, seed=9)
    r, alpha, a, b = PARAMS
    ll = mbg.loglik_and_grad(PARAMS, x, t_x, T)[0]
    from scipy.special import betaln, gammaln

    alive_term = (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x + 1.0) - betaln(a, b)
                  - (r + x) * np.log(alpha + T))
    np.testing.assert_allclose(mbg.p_alive(PARAMS, x, t_x, T), np.exp(alive_term - ll), rtol=1e-10)
