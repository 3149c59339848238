"""BG/BB maths one formula at a time: gradient (scipy check_grad), the likelihood as a
probability over every possible history, the pmf against the mean, closed forms against
direct sums, and whole-number horizons."""

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import check_grad
from scipy.special import betaln

from clvkit.errors import DataError
from clvkit.models._math import beta_geo_beta_binom as bgbb
from clvkit.models.beta_geo_beta_binom import BetaGeoBetaBinom

PARAMS = np.array([1.204, 0.750, 0.657, 2.783])


def _histories(max_n=10):
    rows = [(0, 0, n) for n in range(1, max_n + 1)]
    rows += [(x, t, n) for n in range(1, max_n + 1) for t in range(1, n + 1) for x in range(1, t + 1)]
    return (np.array(r, dtype=float) for r in zip(*rows, strict=True))


@pytest.mark.parametrize("params", [PARAMS, np.array([0.4, 3.0, 2.5, 6.0]), np.array([2.0, 2.0, 1.0, 1.0])])
def test_gradient_passes_check_grad(params):
    x, t_x, n = _histories()

    def f(theta):
        return bgbb.loglik_and_grad(np.exp(theta), x, t_x, n)[0].sum()

    def g(theta):
        return bgbb.loglik_and_grad(np.exp(theta), x, t_x, n)[1].sum(axis=0) * np.exp(theta)

    theta = np.log(params)
    assert check_grad(f, g, theta, epsilon=1e-7) < 1e-5 * (1.0 + np.linalg.norm(g(theta)))


def test_likelihood_is_a_probability_over_all_histories():
    # every 0/1 sequence of n opportunities has probability L(x, t_x, n); they sum to 1
    for n in (1, 4, 7):
        seqs = np.array(list(itertools.product([0, 1], repeat=n)), dtype=float)
        x = seqs.sum(axis=1)
        t_x = np.array([np.flatnonzero(s).max() + 1 if s.any() else 0 for s in seqs], dtype=float)
        total = np.exp(bgbb.loglik(PARAMS, x, t_x, np.full(len(x), float(n)))).sum()
        assert total == pytest.approx(1.0, abs=1e-12)


def test_pmf_sums_to_one_and_matches_the_mean():
    for n in (1, 6, 15):
        pmf = bgbb.purchase_pmf(PARAMS, np.arange(n + 1), n)
        assert pmf.sum() == pytest.approx(1.0, abs=1e-12)
        assert (np.arange(n + 1) * pmf).sum() == pytest.approx(float(bgbb.expected_purchases_new(PARAMS, n)),
                                                               rel=1e-10)


def test_closed_form_expectation_equals_direct_sum():
    x, t_x, n = _histories(8)
    alpha, beta, gamma, delta = PARAMS
    ll = bgbb.loglik(PARAMS, x, t_x, n)
    direct = sum(np.exp(betaln(alpha + x + 1, beta + n - x) - betaln(alpha, beta)
                        + betaln(gamma, delta + n + k) - betaln(gamma, delta) - ll) for k in range(1, 8))
    np.testing.assert_allclose(bgbb.expected_purchases(PARAMS, x, t_x, n, 7), direct, rtol=1e-11)


def test_gamma_near_one_uses_the_direct_sum_continuously():
    x, t_x, n = _histories(6)
    at_one = bgbb.expected_purchases(np.array([1.2, 0.8, 1.0, 3.0]), x, t_x, n, 10)
    close = bgbb.expected_purchases(np.array([1.2, 0.8, 1.0 + 1e-4, 3.0]), x, t_x, n, 10)
    np.testing.assert_allclose(at_one, close, rtol=1e-3)
    assert np.all(np.isfinite(at_one))


def test_horizons_are_whole_opportunities():
    model = BetaGeoBetaBinom()
    model.params_ = pd.Series(PARAMS, index=list(model.param_names))
    model.unit_ = "Y"
    data = pd.DataFrame({"frequency": [1], "recency": [2], "n_periods": [6]})
    with pytest.raises(DataError, match="whole number"):
        model.expected_purchases(data, 2.5)
    with pytest.raises(DataError, match="frequency"):
        BetaGeoBetaBinom().fit(pd.DataFrame({"frequency": [3], "recency": [2], "n_periods": [6]}))


def test_weighted_fit_equals_expanded_fit():
    from clvkit.data.datasets import load_donations

    donations = load_donations()
    expanded = donations.loc[donations.index.repeat(donations["weight"])].drop(columns="weight")
    expanded = expanded.reset_index(drop=True)
    weighted = BetaGeoBetaBinom().fit(donations)
    plain = BetaGeoBetaBinom().fit(expanded)
    assert len(expanded) == 11_104
    np.testing.assert_allclose(plain.params_.to_numpy(), weighted.params_.to_numpy(), rtol=1e-6)
    assert plain.loglik_ == pytest.approx(weighted.loglik_, rel=1e-10)
