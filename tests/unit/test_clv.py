"""ck.clv against independent computations: quadrature of the purchase rate, limits, units."""

import math
import warnings

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
    row = ck.CustomerData.from_frame(pd.DataFrame([customer], columns=["frequency", "recency", "T"]), unit="W")
    horizon, rate = 52.0, 0.15
    delta = math.log1p(rate) / (365.25 / 7)
    expected, _ = integrate.quad(lambda t: math.exp(-delta * t) * _rate(model, row, t), 0, horizon,
                                 epsabs=1e-12, epsrel=1e-9, limit=200)
    ours = model.discounted_expected_purchases(row, horizon, rate).iloc[0]
    assert ours == pytest.approx(expected, rel=2e-6)


def test_clv_table_columns_and_arithmetic(fitted, cdnow_published_summary):
    model, spend = fitted
    out = ck.clv(model, cdnow_published_summary, horizon=52, spend=spend, discount_rate=0.10, margin_rate=0.3)
    assert list(out.columns) == ["expected_purchases", "discounted_purchases", "expected_spend", "clv"]
    assert out.index.equals(cdnow_published_summary.index)
    np.testing.assert_allclose(out["clv"], 0.3 * out["expected_spend"] * out["discounted_purchases"])
    assert (out["discounted_purchases"] <= out["expected_purchases"] + 1e-12).all()
    assert (out["discounted_purchases"] > 0.9 * out["expected_purchases"]).all()  # one year at 10%


def test_zero_discount_rate_gives_undiscounted_purchases(fitted, cdnow_published_summary):
    model, _ = fitted
    out = ck.clv(model, cdnow_published_summary, horizon=39, discount_rate=0.0)
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
    v_w = ck.clv(m_w, ck.CustomerData.from_frame(weeks, unit="W"), horizon=52, discount_rate=0.2)
    v_d = ck.clv(m_d, ck.CustomerData.from_frame(days, unit="D"), horizon=364, discount_rate=0.2)
    np.testing.assert_allclose(v_w["clv"], v_d["clv"], rtol=1e-4)


def test_model_refuses_data_in_another_unit(fitted, cdnow_published_summary):
    model, _ = fitted
    days = ck.CustomerData.from_frame(cdnow_published_summary.frame, unit="D")
    with pytest.raises(ck.DataError, match="unit 'W'.*'D'"):
        ck.clv(model, days, horizon=10)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), "a year"])
def test_bad_horizon_is_refused(fitted, cdnow_published_summary, bad):
    model, _ = fitted
    with pytest.raises(ck.DataError, match="horizon"):
        ck.clv(model, cdnow_published_summary, horizon=bad)
    with pytest.raises(ValueError, match="horizon"):
        model.expected_purchases(cdnow_published_summary, float("inf") if bad == "a year" else bad)


def test_discount_rate_at_or_below_minus_one_is_refused(fitted, cdnow_published_summary):
    model, _ = fitted
    with pytest.raises(ck.DataError, match="discount_rate"):
        ck.clv(model, cdnow_published_summary, horizon=10, discount_rate=-1.0)


def test_clv_interval_brackets_the_point_estimate(fitted, cdnow_published_summary):
    model, spend = fitted
    small = cdnow_published_summary.with_frame(cdnow_published_summary.frame.iloc[:300])
    out = ck.clv(model, small, horizon=52, spend=spend, interval=0.9, n_draws=200, random_seed=5)
    assert (out["clv_lower"] <= out["clv"] * (1 + 1e-9)).mean() > 0.95
    assert (out["clv_upper"] >= out["clv"] * (1 - 1e-9)).mean() > 0.95
    again = ck.clv(model, small, horizon=52, spend=spend, interval=0.9, n_draws=200, random_seed=5)
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


# ---------------------------------------------------------------------------------- every model, every spend
def _cdnow_weeks():
    return ck.CustomerData.from_frame(ck.datasets.load_cdnow_summary(), unit="W")


#: every MLE purchase model with data it reads and a horizon in that data's unit
MLE_CASES = {
    "BetaGeo": (ck.BetaGeo, _cdnow_weeks, 52.0),
    "ParetoNBD": (ck.ParetoNBD, _cdnow_weeks, 52.0),
    "ModifiedBetaGeo": (ck.ModifiedBetaGeo, _cdnow_weeks, 52.0),
    "BetaGeoBetaBinom": (ck.BetaGeoBetaBinom,
                         lambda: ck.CustomerData.from_frame(ck.datasets.load_donations(), unit="Y"), 5.0),
}
_FITTED: dict = {}


def _mle(name):
    if name not in _FITTED:
        cls, data, _ = MLE_CASES[name]
        _FITTED[name] = cls().fit(data())
    return _FITTED[name]


@pytest.fixture(scope="module")
def gamma_gamma():
    return ck.GammaGamma().fit(_cdnow_weeks())


@pytest.mark.parametrize("spend_kind", ["gamma_gamma", "constant", "series", "none"])
@pytest.mark.parametrize("name", sorted(MLE_CASES))
def test_clv_for_every_mle_purchase_model_and_every_spend(name, spend_kind, gamma_gamma):
    model = _mle(name)
    _, make_data, horizon = MLE_CASES[name]
    data = make_data()
    spend = {"gamma_gamma": gamma_gamma, "constant": 25.0, "series": pd.Series(np.linspace(5.0, 50.0, len(data)),
                                                                                  index=data.index),
             "none": None}[spend_kind]
    if spend_kind == "gamma_gamma" and name == "BetaGeoBetaBinom":
        with pytest.raises(ck.DataError, match=r"monetary_value.*constant or a per-customer Series"):
            ck.clv(model, data, horizon, spend=spend)
        return
    out = ck.clv(model, data, horizon, spend=spend, discount_rate=0.1, margin_rate=0.3)
    assert list(out.columns) == ["expected_purchases", "discounted_purchases", "expected_spend", "clv"]
    assert out.index.equals(data.index)
    purchases = model.expected_purchases(data, horizon)
    np.testing.assert_allclose(out["expected_purchases"], purchases, rtol=1e-12)
    np.testing.assert_allclose(out["discounted_purchases"], model.discounted_expected_purchases(data, horizon, 0.1),
                               rtol=1e-12)
    expected_spend = {"gamma_gamma": lambda: gamma_gamma.expected_spend(data).to_numpy(),
                      "constant": lambda: 25.0, "series": lambda: spend.to_numpy(), "none": lambda: 1.0}[spend_kind]()
    np.testing.assert_allclose(out["expected_spend"], expected_spend, rtol=1e-12)
    np.testing.assert_allclose(out["clv"], 0.3 * out["expected_spend"] * out["discounted_purchases"], rtol=1e-12)
    assert (out["discounted_purchases"] <= out["expected_purchases"] + 1e-12).all()
    assert out.attrs["clvkit"]["unit"] == model.unit_
    assert out.attrs["clvkit"]["value_in"] == ("purchases" if spend is None else "money")


@pytest.mark.parametrize("name", sorted(MLE_CASES))
def test_infinite_horizon_equals_a_very_long_finite_one(name):
    model = _mle(name)
    _, make_data, horizon = MLE_CASES[name]
    data = make_data()
    # 400 years at 10% a year: what is left beyond is below 1.1**-400 ~ 3e-17 of the value
    years = 400 * (52.0 if horizon == 52.0 else 1.0)
    lifetime = ck.clv(model, data, None, spend=10.0, discount_rate=0.10)
    inf = ck.clv(model, data, float("inf"), spend=10.0, discount_rate=0.10)
    long = ck.clv(model, data, years, spend=10.0, discount_rate=0.10)
    assert "expected_purchases" not in lifetime.columns
    assert lifetime["clv"].notna().all()
    pd.testing.assert_frame_equal(lifetime, inf)
    np.testing.assert_allclose(lifetime["clv"], long["clv"], rtol=1e-6)
    assert (lifetime["clv"] >= ck.clv(model, data, horizon, spend=10.0)["clv"] - 1e-12).all()


def test_infinite_horizon_needs_a_positive_discount_rate(fitted, cdnow_published_summary):
    model, _ = fitted
    with pytest.raises(ck.DataError, match="infinite horizon.*discount_rate > 0"):
        ck.clv(model, cdnow_published_summary, None, discount_rate=0.0)


def test_spend_series_must_cover_every_customer(fitted, cdnow_published_summary):
    model, _ = fitted
    data = cdnow_published_summary
    partial = pd.Series(20.0, index=data.index[5:])
    message = rf"lacks a value for 5 of {len(data)} customers of the data \(first: 1 is missing\)"
    with pytest.raises(ck.DataError, match=message):
        ck.clv(model, data, 52, spend=partial)
    negative = pd.Series(20.0, index=data.index).where(data.index != 3, -1.0)
    with pytest.raises(ck.DataError, match="negative"):
        ck.clv(model, data, 52, spend=negative)
    # extra customers in the Series are fine: it is aligned on the data's index
    wider = pd.Series(20.0, index=data.index.append(pd.Index([10**9])))
    np.testing.assert_allclose(ck.clv(model, data, 52, spend=wider)["clv"],
                               ck.clv(model, data, 52, spend=20.0)["clv"], rtol=1e-12)


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf")])
def test_margin_rate_must_be_a_finite_share(fitted, cdnow_published_summary, bad):
    model, _ = fitted
    with pytest.raises(ck.DataError, match="margin_rate"):
        ck.clv(model, cdnow_published_summary, 52, margin_rate=bad)


def test_a_model_that_is_not_a_fitted_purchase_model_is_named_fully(fitted, cdnow_published_summary):
    _, spend = fitted
    with pytest.raises(ck.DataError, match=r"the class clvkit\.models\.beta_geo\.BetaGeo .*not a fitted instance"):
        ck.clv(ck.BetaGeo, cdnow_published_summary, 52)
    with pytest.raises(ck.DataError, match=r"clvkit\.models\.gamma_gamma\.GammaGamma \(a spend model\)"):
        ck.clv(spend, cdnow_published_summary, 52)
    with pytest.raises(ck.DataError, match=r"an object of type builtins\.str"):
        ck.clv("BetaGeo", cdnow_published_summary, 52)
    with pytest.raises(ck.NotFittedError):
        ck.clv(ck.BetaGeo(), cdnow_published_summary, 52)
    with pytest.raises(ck.DataError, match="spend must be"):
        ck.clv(fitted[0], cdnow_published_summary, 52, spend="GammaGamma")


def test_interval_bounds_scale_with_a_fixed_spend_and_cover_discounted_purchases(fitted, cdnow_published_summary):
    model, _ = fitted
    small = cdnow_published_summary.with_frame(cdnow_published_summary.frame.iloc[:200])
    out = ck.clv(model, small, 52, spend=20.0, margin_rate=0.5, interval=0.8, n_draws=100, random_seed=3)
    for q in ("expected_purchases", "discounted_purchases", "clv"):
        assert (out[f"{q}_lower"] <= out[q] + 1e-9).all() and (out[q] <= out[f"{q}_upper"] + 1e-9).all()
    np.testing.assert_allclose(out["clv_lower"], 10.0 * out["discounted_purchases_lower"], rtol=1e-12)


# ---------------------------------------------------------------------------------- deprecated spellings
def test_old_positional_form_warns_and_gives_identical_numbers(fitted, cdnow_published_summary):
    model, spend = fitted
    new = ck.clv(model, cdnow_published_summary, 52, spend=spend, discount_rate=0.15, margin_rate=0.3)
    with pytest.warns(FutureWarning, match=r"clv\(model, spend_model, data, horizon.*use clv\(model, data"):
        old = ck.clv(model, spend, cdnow_published_summary, 52, 0.15, 0.3)
    pd.testing.assert_frame_equal(old, new)
    with pytest.warns(FutureWarning) as caught:
        old_kw = ck.clv(model, spend, cdnow_published_summary, horizon=52, discount_rate=0.15, margin=0.3)
    assert any("margin_rate" in str(w.message) for w in caught)
    pd.testing.assert_frame_equal(old_kw, new)
    with pytest.warns(FutureWarning, match=r"clv\(model, spend_model"):
        none_spend = ck.clv(model, None, cdnow_published_summary, 52)
    pd.testing.assert_frame_equal(none_spend, ck.clv(model, cdnow_published_summary, 52))
    with pytest.warns(FutureWarning, match=r"clv\(model, spend_model"):
        constant = ck.clv(model, 12.5, cdnow_published_summary, horizon=52)
    pd.testing.assert_frame_equal(constant, ck.clv(model, cdnow_published_summary, 52, spend=12.5))


def test_spend_model_and_margin_keywords_warn_and_give_identical_numbers(fitted, cdnow_published_summary):
    model, spend = fitted
    new = ck.clv(model, cdnow_published_summary, 52, spend=spend, margin_rate=0.3)
    with pytest.warns(FutureWarning, match=r"spend_model=.*use clv\(spend="):
        old = ck.clv(model, cdnow_published_summary, 52, spend_model=spend, margin_rate=0.3)
    pd.testing.assert_frame_equal(old, new)
    with pytest.warns(FutureWarning, match=r"margin=.*use clv\(margin_rate="):
        old = ck.clv(model, cdnow_published_summary, 52, spend=spend, margin=0.3)
    pd.testing.assert_frame_equal(old, new)
    with pytest.raises(TypeError, match="both spend= and"), pytest.warns(FutureWarning):
        ck.clv(model, cdnow_published_summary, 52, spend=spend, spend_model=spend)


def test_score_deprecations_warn_and_give_identical_numbers(fitted, cdnow_published_summary):
    model, spend = fitted
    new = ck.score(model, cdnow_published_summary, 52, spend=spend, margin_rate=0.3, progress=False)
    with pytest.warns(FutureWarning) as caught:
        old = ck.score(model, cdnow_published_summary, 52, spend_model=spend, margin=0.3, progress=False)
    messages = " ".join(str(w.message) for w in caught)
    assert "score(spend=" in messages and "score(margin_rate=" in messages
    pd.testing.assert_frame_equal(old, new)


def test_new_spellings_warn_nothing(fitted, cdnow_published_summary):
    model, spend = fitted
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        ck.clv(model, cdnow_published_summary, 52, spend=spend, margin_rate=0.3)
        ck.score(model, cdnow_published_summary, None, spend=spend, margin_rate=0.3, progress=False)


# ---------------------------------------------------------------------------------- score
def test_score_without_spend_has_no_money_column_and_records_its_settings(fitted, cdnow_published_summary):
    model, _ = fitted
    out = ck.score(model, cdnow_published_summary, 52, progress=False)
    assert list(out.columns) == ["expected_purchases", "p_alive", "discounted_purchases"]
    settings = out.attrs["clvkit"]
    assert settings["horizon"] == 52.0 and settings["unit"] == "W" and settings["spend"] is None
    assert settings["discount_rate"] == 0.10 and settings["margin_rate"] == 1.0 and settings["model"] == "BetaGeo"
    assert settings["clvkit_version"] == ck.__version__


def test_chunked_score_with_interval_equals_one_clv_call(fitted, cdnow_published_summary):
    model, spend = fitted
    small = cdnow_published_summary.with_frame(cdnow_published_summary.frame.iloc[:300])
    scored = ck.score(model, small, 52, spend=spend, interval=0.9, n_draws=60, random_seed=11, chunk_size=70,
                      progress=False)
    direct = ck.clv(model, small, 52, spend=spend, interval=0.9, n_draws=60, random_seed=11)
    pd.testing.assert_frame_equal(scored[direct.columns], direct, rtol=1e-12)
    np.testing.assert_allclose(scored["p_alive"], model.p_alive(small), rtol=1e-12)
    lifetime = ck.score(model, small, None, spend=spend, progress=False)
    assert list(lifetime.columns) == ["p_alive", "discounted_purchases", "expected_spend", "clv"]
