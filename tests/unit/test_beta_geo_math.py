"""BG/NBD formulas one at a time: gradient, pmf normalisation, moments, limits."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from scipy.optimize import check_grad

import clvkit as ck
from clvkit.models._math import beta_geo as bg

P = np.array([0.243, 4.414, 0.793, 2.426])


@pytest.fixture(scope="module")
def rows():
    rng = np.random.default_rng(3)
    T = rng.uniform(0.5, 60, 500)
    x = rng.integers(0, 30, 500).astype(float)
    t_x = np.where(x > 0, rng.uniform(0, 1, 500) * T, 0.0)
    return x, t_x, T


@pytest.mark.parametrize("params", [P, np.array([2.0, 0.5, 3.0, 0.6]), np.array([0.05, 40.0, 0.2, 9.0])])
def test_analytic_gradient_matches_finite_differences(params, rows):
    x, t_x, T = rows

    def f(p):
        return bg.loglik_and_grad(p, x, t_x, T)[0].sum()

    def g(p):
        return bg.loglik_and_grad(p, x, t_x, T)[1].sum(axis=0)

    scale = np.abs(g(params)).max() + 1.0
    assert check_grad(f, g, params, epsilon=1e-7) / scale < 1e-5


def test_likelihood_integrates_to_the_count_distribution():
    """Integrating eq. (6) over the last purchase time recovers P(X(T) = x) of eq. (8).

    For x > 0 the x purchase times have density prod(rate) exp(-rate t_x) with the x-1 earlier
    times free in (0, t_x), which contributes t_x^(x-1) / (x-1)!.
    """
    T = 10.0
    for x in range(0, 5):
        def like(t, x=x):
            return np.exp(bg.loglik_and_grad(P, np.array([float(x)]), np.array([t]), np.array([T]))[0][0])
        if x == 0:
            total = like(0.0)
        else:
            total = integrate.quad(lambda t, x=x: like(t) * t ** (x - 1) / math.factorial(x - 1), 0, T,
                                   epsabs=1e-13, epsrel=1e-10)[0]
        assert total == pytest.approx(bg.purchase_pmf(P, np.array([float(x)]), T)[0], rel=1e-7)


@pytest.mark.parametrize("t", [0.1, 5.0, 39.0, 500.0])
def test_pmf_sums_to_one_and_its_mean_is_expected_purchases_new(t):
    n = np.arange(0, 4000, dtype=float)
    pmf = bg.purchase_pmf(P, n, t)
    assert np.all(pmf >= 0)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-6)
    assert (n * pmf).sum() == pytest.approx(bg.expected_purchases_new(P, t), rel=1e-5)


def test_p_alive_limits(rows):
    x, t_x, T = rows
    p = bg.p_alive(P, x, t_x, T)
    assert np.all((p >= 0) & (p <= 1))
    assert np.all(p[x == 0] == 1.0)
    # buying at the very end (t_x = T) beats buying long ago
    x1 = np.array([3.0, 3.0])
    assert bg.p_alive(P, x1, np.array([30.0, 5.0]), np.array([30.0, 30.0]))[0] > \
        bg.p_alive(P, x1, np.array([30.0, 5.0]), np.array([30.0, 30.0]))[1]


def test_expected_purchases_new_is_the_limit_of_the_conditional_one():
    """A customer with x = 0 observed for T -> 0 is a new customer."""
    t = 20.0
    cond = bg.expected_purchases(P, np.array([0.0]), np.array([0.0]), np.array([1e-10]), t)[0]
    assert cond == pytest.approx(bg.expected_purchases_new(P, t), rel=1e-7)


def test_model_methods_wrap_the_maths(cdnow_published_summary):
    m = ck.BetaGeo().fit(cdnow_published_summary)
    f = cdnow_published_summary.frame
    ours = m.expected_purchases(cdnow_published_summary, 10.0)
    direct = bg.expected_purchases(m.params_.to_numpy(), f["frequency"].to_numpy(float),
                                   f["recency"].to_numpy(), f["T"].to_numpy(), 10.0)
    np.testing.assert_allclose(ours.to_numpy(), direct, rtol=1e-12)
    assert ours.name == "expected_purchases"
    assert ours.index.equals(f.index)
    pred = m.predict(cdnow_published_summary, horizon=10.0)
    assert list(pred.columns) == ["expected_purchases", "p_alive"]
    pd.testing.assert_series_equal(pred["expected_purchases"], ours)


@pytest.mark.parametrize("params", [P, np.array([2.0, 0.5, 3.0, 0.6])])
def test_compiled_kernel_equals_the_numpy_reference(params, rows):
    from clvkit.models._math.beta_geo_kernel import split_frequency, weighted_loglik_and_grad

    x, t_x, T = rows
    w = np.random.default_rng(1).uniform(0.5, 3.0, len(x))
    xs, code = split_frequency(x)
    total, grad = weighted_loglik_and_grad(params, xs, code, t_x, T, w)
    ll, g = bg.loglik_and_grad(params, x, t_x, T)
    assert total == pytest.approx(w @ ll, rel=1e-12)
    np.testing.assert_allclose(grad, w @ g, rtol=1e-10)


def test_compiled_digamma_and_lgamma_match_scipy():
    from scipy import special

    from clvkit.models._math.beta_geo_kernel import digamma

    for x in np.concatenate([np.geomspace(1e-3, 1e5, 200), [0.5, 1.0, 9.999, 10.0, 10.001]]):
        assert digamma(x) == pytest.approx(special.digamma(x), rel=1e-13, abs=1e-13)
