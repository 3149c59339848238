"""Invariants that hold for any data (hypothesis)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvkit as ck
from clvkit.models._math import beta_geo as bg
from clvkit.models._math import gamma_gamma as gg

positive = st.floats(min_value=0.05, max_value=20.0)
params = st.tuples(positive, positive, positive, positive)


@st.composite
def customer(draw):
    T = draw(st.floats(min_value=0.1, max_value=200.0))
    x = draw(st.integers(min_value=0, max_value=300))
    t_x = draw(st.floats(min_value=0.0, max_value=1.0)) * T if x > 0 else 0.0
    return float(x), t_x, T


@settings(max_examples=300, deadline=None)
@given(params, customer())
def test_p_alive_is_a_probability(p, c):
    x, t_x, T = (np.array([v]) for v in c)
    value = bg.p_alive(np.array(p), x, t_x, T)[0]
    assert 0.0 <= value <= 1.0


@settings(max_examples=200, deadline=None)
@given(params, customer(), st.floats(min_value=0.01, max_value=100.0), st.floats(min_value=0.01, max_value=100.0))
def test_expected_purchases_grow_with_horizon(p, c, t1, t2):
    if abs(p[2] - 1.0) < 1e-3:  # the closed form has a removable singularity at a = 1
        p = (p[0], p[1], p[2] + 0.01, p[3])
    x, t_x, T = (np.array([v]) for v in c)
    lo, hi = sorted((t1, t2))
    e_lo = bg.expected_purchases(np.array(p), x, t_x, T, lo)[0]
    e_hi = bg.expected_purchases(np.array(p), x, t_x, T, hi)[0]
    assert np.isfinite(e_lo) and np.isfinite(e_hi)
    assert e_lo >= -1e-9
    assert e_hi >= e_lo - 1e-7 * max(1.0, abs(e_hi))


@settings(max_examples=100, deadline=None)
@given(st.floats(min_value=0.1, max_value=100.0),
       st.lists(st.tuples(st.integers(1, 20), st.floats(min_value=1.0, max_value=500.0)), min_size=1, max_size=20))
def test_gamma_gamma_scales_with_currency(c, rows):
    """Rescaling every amount by c rescales gamma by c, the likelihood by a constant, spend by c."""
    x = np.array([r[0] for r in rows], dtype=float)
    z = np.array([r[1] for r in rows])
    p = np.array([3.0, 4.0, 20.0])
    ll1 = gg.loglik_and_grad(p, x, z)[0]
    ll2 = gg.loglik_and_grad(p * np.array([1.0, 1.0, c]), x, z * c)[0]
    np.testing.assert_allclose(ll2, ll1 - np.log(c), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(gg.expected_spend(p * np.array([1, 1, c]), x, z * c), c * gg.expected_spend(p, x, z),
                               rtol=1e-12)


@pytest.mark.parametrize("k", [7.0, 1 / 4.345])
def test_rescaling_time_scales_only_alpha(cdnow_published_summary, k):
    frame = cdnow_published_summary.frame[["frequency", "recency", "T"]]
    base = ck.BetaGeo().fit(frame)
    scaled = ck.BetaGeo().fit(frame.assign(recency=frame["recency"] * k, T=frame["T"] * k))
    assert scaled.params_["alpha"] == pytest.approx(k * base.params_["alpha"], rel=1e-5)
    for name in ("r", "a", "b"):
        assert scaled.params_[name] == pytest.approx(base.params_[name], rel=1e-5)


def test_currency_rescaling_in_a_fit(cdnow_published_summary):
    frame = cdnow_published_summary.frame
    base = ck.GammaGamma().fit(frame)
    scaled = ck.GammaGamma().fit(frame.assign(monetary_value=frame["monetary_value"] * 100))
    assert scaled.params_["gamma"] == pytest.approx(100 * base.params_["gamma"], rel=1e-5)
    assert scaled.params_["p"] == pytest.approx(base.params_["p"], rel=1e-5)
    pd.testing.assert_series_equal(scaled.expected_spend(frame.assign(monetary_value=frame["monetary_value"] * 100)),
                                   100 * base.expected_spend(frame), rtol=1e-5)
