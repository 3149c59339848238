"""Pareto/NBD maths one formula at a time: the analytic gradient against finite differences
(scipy check_grad), the series form of the likelihood against quadrature of its integral form,
stability for customers with thousands of purchases and long T, and limits."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from scipy.optimize import approx_fprime, check_grad
from scipy.special import gammaln

import clvkit as ck
from clvkit.models._math import pareto_nbd as pnbd
from clvkit.models.pareto_nbd import ParetoNBD

PARAM_SETS = [
    np.array([0.553, 10.578, 0.606, 11.669]),
    np.array([0.5, 300.0, 2.0, 1.5]),     # alpha >> beta
    np.array([2.0, 1.0, 0.3, 400.0]),     # beta >> alpha
    np.array([1.2, 5.0, 1.0, 5.0]),       # alpha = beta
]


def _rows(n: int = 200, seed: int = 1, max_x: int = 60):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, max_x, n).astype(float)
    T = rng.uniform(0.5, 80.0, n)
    t_x = np.where(x > 0, rng.uniform(0, 1, n) * T, 0.0)
    return x, t_x, T


@pytest.mark.parametrize("params", PARAM_SETS)
def test_gradient_matches_finite_differences(params):
    x, t_x, T = _rows()
    prep = pnbd.prepare(x, t_x, T)

    def total(p):
        return pnbd.loglik_and_grad(p, prep)[0].sum()

    analytic = pnbd.loglik_and_grad(params, prep)[1].sum(axis=0)
    steps = 1e-6 * params
    numeric = np.array([(total(params + np.eye(4)[k] * steps[k]) - total(params - np.eye(4)[k] * steps[k]))
                        / (2 * steps[k]) for k in range(4)])
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-6)
    # scipy's check_grad on the per-row gradient of a few rows, in log-parameters
    for i in range(0, 200, 40):
        sub = pnbd.prepare(x[i:i + 1], t_x[i:i + 1], T[i:i + 1])

        def f(theta, sub=sub):
            return pnbd.loglik_and_grad(np.exp(theta), sub)[0][0]

        def g(theta, sub=sub):
            return pnbd.loglik_and_grad(np.exp(theta), sub)[1][0] * np.exp(theta)

        theta = np.log(params)
        np.testing.assert_allclose(g(theta), approx_fprime(theta, f, 1e-7), rtol=1e-4, atol=1e-5)
        assert check_grad(f, g, theta, epsilon=1e-7) < 1e-4 * (1.0 + np.linalg.norm(g(theta)))


@pytest.mark.parametrize("params", PARAM_SETS)
def test_likelihood_matches_quadrature_of_its_integral_form(params):
    # L = G(r+x)/G(r) alpha^r beta^s [(alpha+T)^-(r+x) (beta+T)^-s
    #       + s int_{t_x}^T (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau]   (FH note, before eq. 22)
    r, alpha, s, beta = params
    x, t_x, T = _rows(n=25, seed=2, max_x=12)
    ours = pnbd.loglik_and_grad(params, pnbd.prepare(x, t_x, T))[0]
    for i in range(len(x)):
        p = r + x[i]
        first = (alpha + T[i]) ** -p * (beta + T[i]) ** -s
        second = integrate.quad(lambda tau, p=p: (alpha + tau) ** -p * (beta + tau) ** -(s + 1.0),
                                t_x[i], T[i], epsabs=0.0, epsrel=1e-12)[0]
        direct = (gammaln(r + x[i]) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
                  + np.log(first + s * second))
        assert ours[i] == pytest.approx(direct, rel=1e-10, abs=1e-10)


def test_huge_frequency_and_long_T_are_finite_and_warning_free():
    x = np.array([0, 1, 10, 500, 2000, 10_000, 10_000, 10_000, 10_000, 9_999], dtype=float)
    T = np.array([10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_500, 10.0, 9_999.0])
    t_x = np.array([0, 3, 9_000, 9_990, 9_999.5, 10_000, 1.0, 10_000, 10.0, 9_998.0])
    frame = ck.CustomerData.from_frame(pd.DataFrame({"frequency": x, "recency": t_x, "T": T}), unit="W")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for params in PARAM_SETS:
            prep = pnbd.prepare(x, t_x, T)
            ll, grad = pnbd.loglik_and_grad(params, prep)
            assert np.all(np.isfinite(ll)) and np.all(np.isfinite(grad))
            model = ParetoNBD()
            model.params_ = pd.Series(params, index=list(model.param_names))
            model.unit_ = "W"
            alive = model.p_alive(frame).to_numpy()
            assert np.all((alive >= 0) & (alive <= 1))
            for values in (model.expected_purchases(frame, 52.0), model.discounted_expected_purchases(frame, 52.0, 0.1),
                           model.discounted_expected_transactions(frame, 0.1)):
                assert np.all(np.isfinite(values.to_numpy())) and np.all(values.to_numpy() >= 0)
    # a buyer with 10,000 purchases up to the end is certainly alive, one silent for 9,999 weeks is not
    assert alive[5] == pytest.approx(1.0) and alive[6] < 1e-12
    # the gradient of a 10,000-purchase row still matches finite differences
    row = pnbd.prepare(x[6:7], t_x[6:7], T[6:7])
    params = PARAM_SETS[0]
    analytic = pnbd.loglik_and_grad(params, row)[1][0]
    h = 1e-4 * params   # central differences: log L is about -1e4 here, forward ones lose digits
    numeric = [(pnbd.loglik_and_grad(params + np.eye(4)[k] * h[k], row)[0][0]
                - pnbd.loglik_and_grad(params - np.eye(4)[k] * h[k], row)[0][0]) / (2 * h[k]) for k in range(4)]
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6)


def test_branches_join_continuously_at_alpha_equal_beta():
    x, t_x, T = _rows(n=50, seed=4)
    prep = pnbd.prepare(x, t_x, T)
    below = pnbd.loglik_and_grad(np.array([0.7, 5.0 - 1e-7, 0.9, 5.0]), prep)
    equal = pnbd.loglik_and_grad(np.array([0.7, 5.0, 0.9, 5.0]), prep)
    above = pnbd.loglik_and_grad(np.array([0.7, 5.0 + 1e-7, 0.9, 5.0]), prep)
    # the alpha >= beta branch on one side, alpha < beta on the other: a smooth function
    np.testing.assert_allclose(0.5 * (below[0] + above[0]), equal[0], rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose((above[0] - below[0]) / 2e-7, equal[1][:, 1], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(below[1], above[1], rtol=1e-5, atol=1e-7)


def test_s_equal_one_is_the_limit_of_the_expectations():
    x, t_x, T = _rows(n=30, seed=5)
    at_one = pnbd.expected_purchases(np.array([0.5, 4.0, 1.0, 6.0]), x, t_x, T, 20.0)
    near = [pnbd.expected_purchases(np.array([0.5, 4.0, 1.0 + e, 6.0]), x, t_x, T, 20.0) for e in (-1e-6, 1e-6)]
    np.testing.assert_allclose(at_one, 0.5 * (near[0] + near[1]), rtol=1e-9)
    new = pnbd.expected_purchases_new(np.array([0.5, 4.0, 1.0, 6.0]), np.array([1.0, 30.0]))
    np.testing.assert_allclose(new, 0.5 / 4.0 * 6.0 * np.log1p(np.array([1.0, 30.0]) / 6.0), rtol=1e-12)


def test_pmf_sums_to_one_and_its_mean_is_expected_purchases_new():
    params = np.array([0.553, 10.578, 0.606, 11.669])
    n = np.arange(200)
    pmf = pnbd.purchase_pmf(params, n, 39.0)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-9)
    assert (n * pmf).sum() == pytest.approx(float(pnbd.expected_purchases_new(params, 39.0)), rel=1e-8)


def test_rescaling_time_scales_alpha_and_beta_only(cdnow_published_summary):
    weeks = ParetoNBD().fit(cdnow_published_summary)
    frame = cdnow_published_summary.frame[["frequency", "recency", "T"]].copy()
    frame[["recency", "T"]] *= 7.0
    days = ParetoNBD().fit(frame)
    for name in ("r", "s"):
        assert days.params_[name] == pytest.approx(weeks.params_[name], rel=1e-4)
    for name in ("alpha", "beta"):
        assert days.params_[name] == pytest.approx(7.0 * weeks.params_[name], rel=1e-4)


def test_weighted_kernel_equals_weighted_sum_of_rows():
    x, t_x, T = _rows(n=500, seed=12)
    prep = pnbd.prepare(x, t_x, T)
    w = np.random.default_rng(13).integers(1, 50, len(x)).astype(float)
    for params in PARAM_SETS:
        ll, grad = pnbd.loglik_and_grad(params, prep)
        total, total_grad = pnbd.weighted_loglik_and_grad(params, prep, w)
        assert total == pytest.approx(w @ ll, rel=1e-12)
        np.testing.assert_allclose(total_grad, w @ grad, rtol=1e-10, atol=1e-8)


def test_weighted_fit_equals_expanded_fit(cdnow_published_summary):
    frame = cdnow_published_summary.frame[["frequency", "recency", "T"]]
    counts = frame.value_counts().rename("weight").reset_index()
    weighted = ParetoNBD().fit(counts)
    plain = ParetoNBD().fit(frame)
    assert counts["weight"].sum() == len(frame) > len(counts)
    np.testing.assert_allclose(weighted.params_.to_numpy(), plain.params_.to_numpy(), rtol=1e-6)
    assert weighted.loglik_ == pytest.approx(plain.loglik_, rel=1e-10)
