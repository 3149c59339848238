"""Bounded work in the Dwyer models whatever the horizon (issue 9, item 8).

``AlwaysAShare.policy(horizon=1e6)`` took 33 s and ``LostForGood`` with ``horizon=1e9`` died
allocating 7.5 GiB. Now: a finite horizon past the point where the discounted tail is below
1e-12 of the value returns the infinite-horizon value; other long horizons use closed forms,
doubling or chunked sums, or are refused above a documented ceiling with a DataError. Every
case runs under a wall-clock limit; reference values are direct sums written out here.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

import clvkit.dwyer as dw
from clvkit.data.datasets import load_retention_example
from clvkit.dwyer._markov import MAX_POLICY_STEPS, transition_matrix
from clvkit.dwyer.lost_for_good import MAX_SUM_TERMS, MAX_TABLE_PERIODS
from clvkit.errors import DataError

REGULAR = load_retention_example("regular")
P = [0.3, 0.2, 0.15, 0.05, 0.02]
LIMIT = 1.0    # seconds; each call below took 33 s or ran out of memory before


def timed(f, *args, **kwargs):
    start = time.perf_counter()
    out = f(*args, **kwargs)
    elapsed = time.perf_counter() - start
    assert elapsed < LIMIT, f"{f.__qualname__} took {elapsed:.2f} s"
    return out


def refused(pattern, f, *args, **kwargs):
    start = time.perf_counter()
    with pytest.raises(DataError, match=pattern):
        f(*args, **kwargs)
    assert time.perf_counter() - start < LIMIT


def direct_values(p, margin, cost, x, horizon):
    """sum_{t<H} (xP)^t R by the recursion of Pfeifer & Carraway (2000), marketing to all."""
    P_ = transition_matrix(np.asarray(p), np.ones(len(p), dtype=bool))
    R = np.asarray(p) * margin - cost
    v = np.zeros(len(p))
    for _ in range(horizon):
        v = R + x * (P_ @ v)
    return v


# ---------------------------------------------------------------------- AlwaysAShare
def test_always_a_share_policy_with_a_huge_horizon_is_the_infinite_policy():
    m = dw.AlwaysAShare.from_params(p=P, margin=40, cost=2)
    long = timed(m.policy, 0.1, horizon=1e6)
    inf = m.policy(0.1)
    assert long["contact"].tolist() == inf["contact"].tolist()
    np.testing.assert_allclose(long["value_policy"], inf["value_policy"], rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(long["value_all"], inf["value_all"], rtol=1e-11, atol=1e-11)
    # and agrees with the exact backward induction over a horizon where both are computable
    exact = m.policy(0.1, horizon=3000)
    np.testing.assert_allclose(long["value_policy"], exact["value_policy"], rtol=1e-10)
    np.testing.assert_allclose(timed(m.value, 0.1, horizon=1e9), m.value(0.1), rtol=1e-11)


@pytest.mark.parametrize(("rate", "horizon"), [(0.0, 777), (-0.02, 500), (1e-6, 2049), (0.1, 300)])
def test_always_a_share_long_finite_sums_equal_the_direct_recursion(rate, horizon):
    m = dw.AlwaysAShare.from_params(p=P, margin=40, cost=2, unit="M")
    x = 1.0 / (1.0 + rate) ** (1.0 / 12.0)
    np.testing.assert_allclose(timed(m.value, rate, horizon=horizon),
                               direct_values(P, 40.0, 2.0, x, horizon), rtol=1e-11)


def test_always_a_share_rate_zero_huge_horizon_is_bounded():
    m = dw.AlwaysAShare.from_params(p=P, margin=40, cost=2)
    v = timed(m.value, 0.0, horizon=10**9)           # summed by doubling, O(K^3 log H)
    per_period = timed(m.value, 0.0, horizon=10**9 + 1) - v
    # at rate 0 the value grows by the stationary reward each period
    P_ = transition_matrix(np.asarray(P), np.ones(5, dtype=bool))
    w, vec = np.linalg.eig(P_.T)
    pi = np.real(vec[:, np.argmin(np.abs(w - 1))])
    pi /= pi.sum()
    np.testing.assert_allclose(per_period, pi @ (np.asarray(P) * 40 - 2), rtol=1e-6)
    refused(rf"horizon=1,000,000,000 periods is too long .* at most {MAX_POLICY_STEPS:,}",
            m.policy, 0.0, horizon=10**9)


# ---------------------------------------------------------------------- LostForGood
@pytest.fixture(scope="module", params=["sbg", "constant", "empirical"])
def lfg(request):
    return dw.LostForGood(retention=request.param, unit="Y", margin=100.0).fit(REGULAR, periods=7)


def test_lost_for_good_huge_horizon_is_the_infinite_value(lfg):
    for h in (10**9, 10**6, 5000):
        assert timed(lfg.value, 0.1, horizon=h) == pytest.approx(lfg.value(0.1), rel=1e-11)
        np.testing.assert_allclose(timed(lfg.residual_value, 0.1, [0, 3, 9], horizon=h),
                                   lfg.residual_value(0.1, [0, 3, 9]), rtol=1e-11)
    # an exact, smaller horizon: the direct sum of S(t) / 1.1^t
    s = lfg.survival(np.arange(400)).to_numpy()
    assert lfg.value(0.1, horizon=400) == pytest.approx(100 * np.sum(s / 1.1 ** np.arange(400)), rel=1e-12)


@pytest.mark.parametrize("rate", [0.0, -0.03, 1e-9])
def test_lost_for_good_long_horizon_without_discounting_matches_direct_sums(lfg, rate):
    h = 3000
    x = 1.0 / (1.0 + rate)
    s = lfg.survival(np.arange(h + 12)).to_numpy()
    with np.errstate(over="ignore"):
        expected = 100 * np.sum(s[:h] * x ** np.arange(h))
        res = [100 * np.sum(s[k + 1:k + 1 + h] * x ** np.arange(h)) / s[k] for k in (0, 4)]
    assert timed(lfg.value, rate, horizon=h) == pytest.approx(expected, rel=1e-10)
    np.testing.assert_allclose(timed(lfg.residual_value, rate, [0, 4], horizon=h), res, rtol=1e-10)


def test_constant_retention_rate_zero_uses_the_geometric_closed_form():
    m = dw.LostForGood(retention="constant", unit="Y", margin=1.0).fit(REGULAR, periods=7)
    r = m.retention_.iloc[0]
    for h in (10, 10**9):
        assert timed(m.value, 0.0, horizon=h) == pytest.approx((1 - r**h) / (1 - r), rel=1e-12)
    # a negative rate whose discounted retention r / (1 + d) stays below 1 converges too
    q = r / (1 - 0.05)
    assert timed(m.value, -0.05, horizon=10**9) == pytest.approx(1 / (1 - q), rel=1e-12)


def test_sbg_rate_zero_is_summed_in_bounded_memory_or_refused():
    m = dw.LostForGood(retention="sbg", unit="Y", margin=1.0).fit(REGULAR, periods=7)
    alpha, beta = m.params_.to_numpy()
    assert alpha < 1     # sum S(t) diverges like H^(1 - alpha): no closed form at rate 0
    h = 10**6
    # S(t) = prod_{k<t} (beta + k) / (alpha + beta + k) in log space (FH 2007 eq. 8)
    t = np.arange(h - 1, dtype=float)
    s = np.exp(np.concatenate([[0.0], np.cumsum(np.log1p(-alpha / (alpha + beta + t)))]))
    assert timed(m.value, 0.0, horizon=h) == pytest.approx(np.sum(s), rel=1e-9)
    refused(rf"horizon=1,000,000,000 periods needs a direct sum of 1,000,000,000 sBG terms .*"
            rf"more than {MAX_SUM_TERMS:,}", m.value, 0.0, horizon=1e9)
    refused(r"the value overflows", m.value, -0.5, horizon=10**6)


def test_sbg_alpha_above_one_rate_zero_closed_form():
    # a cohort of a million whose counts follow sBG(alpha=3, beta=5): the fit has alpha > 1
    k = np.arange(10, dtype=float)
    surv = np.concatenate([[1.0], np.cumprod((5.0 + k) / (8.0 + k))])
    table = pd.DataFrame({"period": np.arange(11), "alive": np.round(1e6 * surv)})
    m = dw.LostForGood(retention="sbg", unit="Y", margin=1.0).fit(table)
    alpha, beta = m.params_.to_numpy()
    assert alpha > 1
    # sum_{t>=0} S(t) = (alpha + beta - 1) / (alpha - 1)
    assert timed(m.value, 0.0, horizon=10**9) == pytest.approx((alpha + beta - 1) / (alpha - 1), rel=1e-9)
    t = np.arange(5010, dtype=float)
    s = np.exp(np.concatenate([[0.0], np.cumsum(np.log1p(-alpha / (alpha + beta + t)))]))
    assert m.value(0.0, horizon=5000) == pytest.approx(np.sum(s[:5000]), rel=1e-10)
    np.testing.assert_allclose(m.residual_value(0.0, [0, 3], horizon=5000),
                               [np.sum(s[1:5001]) / s[0], np.sum(s[4:5004]) / s[3]], rtol=1e-10)


def test_lost_for_good_tables_have_a_row_ceiling(lfg):
    refused(rf"horizon=1,000,000,000 periods would make a table of 1,000,000,000 rows .* at most "
            rf"{MAX_TABLE_PERIODS:,}", lfg.predict, horizon=10**9)
    refused(r"would make a table of 1,000,000,000 rows", lfg.projection, 0.1, horizon=10**9)
    assert len(timed(lfg.projection, 0.1, horizon=10**5)) == 10**5
