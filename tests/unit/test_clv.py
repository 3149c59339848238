"""ck.clv against independent computations: quadrature of the purchase rate, limits, units."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

import clvkit as ck
from clvkit.data.units import continuous_discount_rate


@pytest.fixture(scope="module")
def fitted(cdnow_published_summary):
    return ck.BetaGeo().fit(cdnow_published_summary), ck.GammaGamma().fit(cdnow_published_summary)


def _rate(model, row, t, h=1e-4):
    """Purchase rate d/dt E[X(T, T+t)] by central differences."""
    lo = max(t - h, 0.0)
    return (model.expected_purchases(row, t + h).iloc[0] - model.expected_purchases(row, lo).iloc[0]) / (t + h - lo)


@pytest.mark.parametrize("customer", [(0, 0.0, 38.86), (2, 30.43, 38.86), (12, 35.0, 38.0), (1, 2.0, 33.0)])
def test_discounted_purchases_equal_quadrature_of_the_rate(fitted, customer):
    model, _ = fitted
    row = pd.DataFrame([customer], columns=["frequency", "recency", "T"])
    horizon, rate = 52.0, 0.15
    delta = math.log1p(rate) / (365.25 / 7)
    expected, _ = integrate.quad(lambda t: math.exp(-delta * t) * _rate(model, row, t), 0, horizon,
                                 epsabs=1e-12, epsrel=1e-9, limit=200)
    ours = model.discounted_expected_purchases(row, horizon, rate).iloc[0]
    assert ours == pytest.approx(expected, rel=2e-6)


def test_clv_table_columns_and_arithmetic(fitted, cdnow_published_summary):
    model, spend = fitted
    out = ck.clv(model, spend, cdnow_published_summary, horizon=52, discount_rate=0.10, margin=0.3)
    assert list(out.columns) == ["expected_purchases", "discounted_purchases", "expected_spend", "clv"]
    assert out.index.equals(cdnow_published_summary.index)
    np.testing.assert_allclose(out["clv"], 0.3 * out["expected_spend"] * out["discounted_purchases"])
    assert (out["discounted_purchases"] <= out["expected_purchases"] + 1e-12).all()
    assert (out["discounted_purchases"] > 0.9 * out["expected_purchases"]).all()  # one year at 10%


def test_zero_discount_rate_gives_undiscounted_purchases(fitted, cdnow_published_summary):
    model, _ = fitted
    out = ck.clv(model, None, cdnow_published_summary, horizon=39, discount_rate=0.0)
    np.testing.assert_allclose(out["discounted_purchases"], out["expected_purchases"], rtol=1e-12)
    np.testing.assert_allclose(out["clv"], out["expected_purchases"], rtol=1e-12)


def test_annual_rate_is_converted_to_the_unit():
    # one year later, a payment is worth exactly 1/(1+d), whatever the unit
    for unit, per_year in [("D", 365.25), ("W", 365.25 / 7), ("M", 12), ("Q", 4), ("Y", 1)]:
        delta = continuous_discount_rate(0.10, unit)
        assert math.exp(-delta * per_year) == pytest.approx(1 / 1.10, rel=1e-12)


def test_same_customers_valued_alike_in_weeks_and_days(cdnow_published_summary):
    weeks = cdnow_published_summary.frame[["frequency", "recency", "T"]]
    days = weeks.assign(recency=weeks["recency"] * 7, T=weeks["T"] * 7)
    m_w = ck.BetaGeo().fit(ck.CustomerData.from_frame(weeks, unit="W"))
    m_d = ck.BetaGeo().fit(ck.CustomerData.from_frame(days, unit="D"))
    assert m_d.params_["alpha"] == pytest.approx(7 * m_w.params_["alpha"], rel=1e-5)
    v_w = ck.clv(m_w, None, ck.CustomerData.from_frame(weeks, unit="W"), horizon=52, discount_rate=0.2)
    v_d = ck.clv(m_d, None, ck.CustomerData.from_frame(days, unit="D"), horizon=364, discount_rate=0.2)
    np.testing.assert_allclose(v_w["clv"], v_d["clv"], rtol=1e-4)


def test_model_refuses_data_in_another_unit(fitted, cdnow_published_summary):
    model, _ = fitted
    days = ck.CustomerData.from_frame(cdnow_published_summary.frame, unit="D")
    with pytest.raises(ck.DataError, match="unit 'W'.*'D'"):
        ck.clv(model, None, days, horizon=10)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_bad_horizon_is_refused(fitted, cdnow_published_summary, bad):
    model, _ = fitted
    with pytest.raises(ck.DataError, match="horizon"):
        ck.clv(model, None, cdnow_published_summary, horizon=bad)
    with pytest.raises(ValueError, match="horizon"):
        model.expected_purchases(cdnow_published_summary, bad)


def test_discount_rate_at_or_below_minus_one_is_refused(fitted, cdnow_published_summary):
    model, _ = fitted
    with pytest.raises(ck.DataError, match="discount_rate"):
        ck.clv(model, None, cdnow_published_summary, horizon=10, discount_rate=-1.0)


def test_clv_interval_brackets_the_point_estimate(fitted, cdnow_published_summary):
    model, spend = fitted
    small = cdnow_published_summary.with_frame(cdnow_published_summary.frame.iloc[:300])
    out = ck.clv(model, spend, small, horizon=52, interval=0.9, n_draws=200, random_seed=5)
    assert (out["clv_lower"] <= out["clv"] * (1 + 1e-9)).mean() > 0.95
    assert (out["clv_upper"] >= out["clv"] * (1 - 1e-9)).mean() > 0.95
    again = ck.clv(model, spend, small, horizon=52, interval=0.9, n_draws=200, random_seed=5)
    pd.testing.assert_frame_equal(out, again)


def test_bgnbd_fast_discounting_equals_the_generic_quadrature(fitted, cdnow_published_summary):
    """BetaGeo evaluates the discounted sum on distinct (x, T) pairs; the base class per row."""
    from clvkit.models._event import EventModel

    model, _ = fitted
    rows = cdnow_published_summary.compressed(("frequency", "recency", "T")).rows
    p = model.params_.to_numpy()
    for horizon, delta in [(52.0, 0.002), (300.0, 0.01), (5.0, 0.0)]:
        fast = model._discounted_purchases_rows(p, rows, horizon, delta)
        generic = EventModel._discounted_purchases_rows(model, p, rows, horizon, delta)
        np.testing.assert_allclose(fast, generic, rtol=1e-12, atol=1e-15)
