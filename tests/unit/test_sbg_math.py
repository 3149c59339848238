"""sBG closed forms against direct sums, recursions, simulation, and a numerical gradient.

DEL / DERL: Fader & Hardie (2010); the test sums S(t) / (1 + d)^t directly."""

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import check_grad
from scipy.special import betaln

from clvkit.errors import DataError, NotFittedError
from clvkit.models._math import shifted_beta_geo as sbg
from clvkit.models.shifted_beta_geo import ShiftedBetaGeo

CASES = [(0.704, 1.182, 0.10), (0.668, 3.806, 0.05), (2.5, 0.8, 0.3), (0.3, 6.0, 0.02)]


def _s_direct(alpha, beta, t):
    """S(t) as a product of retention rates r(i) = (beta+i-1)/(alpha+beta+i-1), in logs."""
    i = np.arange(1, t.max() + 1)
    log_r = np.log(beta + i - 1) - np.log(alpha + beta + i - 1)
    return np.exp(np.concatenate([[0.0], np.cumsum(log_r)]))[t]


def _model(alpha, beta, unit="Y"):
    return ShiftedBetaGeo.from_params({"alpha": alpha, "beta": beta}, unit=unit)


@pytest.mark.parametrize(("alpha", "beta", "d"), CASES)
def test_del_equals_direct_sum(alpha, beta, d):
    t = np.arange(0, 60_000)
    direct = float(np.sum(_s_direct(alpha, beta, t) * (1 + d) ** -t.astype(float)))
    assert sbg.discounted_lifetime(np.array([alpha, beta]), d) == pytest.approx(direct, rel=1e-9)


@pytest.mark.parametrize(("alpha", "beta", "d"), CASES)
@pytest.mark.parametrize("renewals", [0, 1, 4, 12])
def test_derl_equals_direct_sum(alpha, beta, d, renewals):
    n = renewals + 1
    t = np.arange(n, n + 60_000)
    s = _s_direct(alpha, beta, np.arange(0, n + 60_000))
    direct = float(np.sum(s[t] / s[n - 1] * (1 + d) ** -(t - n).astype(float)))
    got = sbg.discounted_residual_lifetime(np.array([alpha, beta]), d, renewals)
    assert float(got) == pytest.approx(direct, rel=1e-9)


def test_model_converts_the_annual_rate_to_its_period():
    alpha, beta = 0.704, 1.182
    quarterly = _model(alpha, beta, unit="Q")
    d_q = 1.10 ** 0.25 - 1  # 10% a year as a quarterly rate, by hand
    t = np.arange(0, 200_000)
    s = _s_direct(alpha, beta, t)
    direct = float(np.sum(s * (1 + d_q) ** -t.astype(float)))
    assert quarterly.discounted_lifetime(0.10) == pytest.approx(direct, rel=1e-9)
    derl = float(np.sum(s[3:] / s[2] * (1 + d_q) ** -(t[3:] - 3).astype(float)))
    assert quarterly.discounted_residual_lifetime(0.10, renewals=2) == pytest.approx(derl, rel=1e-9)
    yearly = _model(alpha, beta)
    # DEL = 1 + DERL(0) / (1 + d): the first payment, then the residual one period later
    assert yearly.discounted_lifetime(0.10) == pytest.approx(
        1 + yearly.discounted_residual_lifetime(0.10, 0) / 1.10, rel=1e-12)
    np.testing.assert_allclose(yearly.discounted_residual_lifetime(0.10, [0, 3]),
                               [yearly.discounted_residual_lifetime(0.10, 0),
                                yearly.discounted_residual_lifetime(0.10, 3)], rtol=1e-14)


def test_survival_churn_and_retention_identities():
    p = np.array([0.668, 3.806])
    t = np.arange(0, 40)
    s = sbg.survival(p, t)
    np.testing.assert_allclose(s, _s_direct(*p, t), rtol=1e-12)
    churn = sbg.churn_probability(p, t[1:])
    np.testing.assert_allclose(np.cumsum(churn) + s[1:], 1.0, rtol=1e-12)
    np.testing.assert_allclose(sbg.retention(p, t[1:]), s[1:] / s[:-1], rtol=1e-12)


def test_survival_matches_simulation_of_the_beta_geometric():
    rng = np.random.default_rng(7)
    alpha, beta, n = 0.9, 2.5, 200_000
    theta = rng.beta(alpha, beta, n)
    lifetime = rng.geometric(theta)  # period of churn, 1, 2, ...
    t = np.array([1, 2, 5, 10])
    sim = np.array([(lifetime > k).mean() for k in t])
    exact = sbg.survival(np.array([alpha, beta]), t)
    se = np.sqrt(exact * (1 - exact) / n)
    assert np.all(np.abs(sim - exact) < 4 * se)


def test_gradient_matches_finite_differences():
    t = np.array([1.0, 2.0, 3.0, 7.0, 7.0, 12.0])
    churned = np.array([1.0, 1.0, 0.0, 1.0, 0.0, 0.0])
    w = np.array([3.0, 1.0, 2.0, 5.0, 4.0, 1.0])
    for point in ([0.7, 1.2], [2.0, 0.4], [0.3, 5.0]):
        def f(p):
            return float(w @ sbg.loglik_and_grad(p, t, churned)[0])

        def g(p):
            return w @ sbg.loglik_and_grad(p, t, churned)[1]

        assert check_grad(f, g, np.array(point)) < 1e-5
    ll, _ = sbg.loglik_and_grad(np.array([0.7, 1.2]), t[:1], churned[:1])
    assert ll[0] == pytest.approx(np.log(0.7 / 1.9))
    ll, _ = sbg.loglik_and_grad(np.array([0.7, 1.2]), t[2:3], churned[2:3])
    assert ll[0] == pytest.approx(betaln(0.7, 4.2) - betaln(0.7, 1.2))


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(NotFittedError, match="ShiftedBetaGeo is not fitted yet"):
        ShiftedBetaGeo().survival([1, 2])
    m = _model(0.7, 1.2)
    with pytest.raises(DataError, match="discount_rate"):
        m.discounted_lifetime(-1.0)
    with pytest.raises(DataError, match="discount_rate"):
        m.discounted_residual_lifetime(-1.5, 2)
    with pytest.raises(DataError, match="renewals"):
        m.discounted_residual_lifetime(0.1, -1)
    with pytest.raises(DataError, match="periods"):
        m.survival([-1, 2])
    with pytest.raises(DataError, match="periods"):
        m.retention([0])
    with pytest.raises(DataError, match="unit"):
        ShiftedBetaGeo(unit="fortnight").fit(pd.DataFrame({"period": [0, 1], "alive": [10, 5]}))
    table = pd.DataFrame({"period": [0, 1], "alive": [10, 5]})
    table.attrs["unit"] = "Q"
    with pytest.raises(DataError, match="unit='Q'"):
        ShiftedBetaGeo(unit="Y").fit(table)


@pytest.mark.parametrize(("table", "message"), [
    ({"period": [0, 1, 2], "alive": [100, 60, 70]}, "increases in 1 of 2 steps"),
    ({"period": [0, 1, 2], "alive": [100, -5, -6]}, "'alive' is negative in 2 of 3 rows"),
    ({"period": [0, 1, 2], "alive": [100, np.nan, 40]}, "NaN"),
    ({"period": [1, 2], "alive": [100, 60]}, "no period 0"),
    ({"period": [0, 2], "alive": [100, 60]}, "gaps"),
    ({"period": [0], "alive": [100]}, "too few periods"),
    ({"period": [0, 0, 1], "alive": [100, 100, 60]}, "duplicated"),
    ({"period": [0, 1], "alive": [0, 0]}, "at least one customer"),
    ({"period": [0, 1], "count": [100, 60]}, "lacks column"),
])
def test_bad_survival_tables(table, message):
    with pytest.raises(DataError, match=message):
        ShiftedBetaGeo().fit(pd.DataFrame(table))


def test_periods_argument_is_checked():
    counts = pd.DataFrame({"period": [0, 1, 2], "alive": [100, 60, 50]})
    with pytest.raises(DataError, match="periods must be"):
        ShiftedBetaGeo().fit(counts, periods=0)


def test_from_params_discounts_in_the_unit_it_is_given():
    from clvkit.data.units import per_period_rate

    quarterly = ShiftedBetaGeo.from_params({"alpha": 0.7, "beta": 1.2}, unit="Q")
    assert quarterly.unit_ == "Q" and quarterly.get_params()["unit"] == "Q"
    expected = sbg.discounted_lifetime(np.array([0.7, 1.2]), per_period_rate(0.10, "Q"))
    assert quarterly.discounted_lifetime(0.10) == pytest.approx(expected, rel=1e-12)
    yearly = ShiftedBetaGeo.from_params({"alpha": 0.7, "beta": 1.2}, unit="Y")
    assert yearly.discounted_lifetime(0.10) < quarterly.discounted_lifetime(0.10)
