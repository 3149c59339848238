"""clvkit.evaluate.metrics and bootstrap: holdout errors, by-frequency table, Brier, AIC/BIC, LR test.

Expected values come from hand arithmetic, from textbook facts (chi-square quantiles, the
Brier score of a constant forecast), from the raw CDNOW log counted with pandas, from
REFERENCE.md (BG/NBD log-likelihood -9582.43) and from lifetimes 0.11.3 predicting with our
parameters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import clvkit as ck
from clvkit.errors import DataError
from clvkit.evaluate import (
    bootstrap,
    bootstrap_params,
    brier_score,
    holdout_by_frequency,
    holdout_errors,
    holdout_metrics,
    holdout_predictions,
    information_criteria,
    likelihood_ratio_test,
    predict_interval,
)
from clvkit.simulate import simulate_beta_geo

lifetimes = pytest.importorskip("lifetimes")

CAL, END = pd.Timestamp("1997-09-30"), pd.Timestamp("1998-06-30")


@pytest.fixture(scope="module")
def bg(cdnow_sample_data):
    return ck.BetaGeo().fit(cdnow_sample_data)


@pytest.fixture(scope="module")
def lifetimes_bg(bg):
    lt = lifetimes.BetaGeoFitter()
    lt.params_ = bg.params_.copy()
    return lt


# ---------------------------------------------------------------------------------- errors
def test_holdout_errors_by_hand():
    out = holdout_errors([0, 1, 3, 0], [0.5, 1.0, 1.0, 0.0])
    assert out["mae"] == pytest.approx((0.5 + 0 + 2 + 0) / 4)
    assert out["rmse"] == pytest.approx(np.sqrt((0.25 + 0 + 4 + 0) / 4))
    assert out["actual_total"] == 4 and out["predicted_total"] == 2.5
    assert out["aggregate_error_pct"] == pytest.approx(-37.5)
    assert out["n_customers"] == 4


def test_holdout_errors_weights_equal_repeated_rows():
    rng = np.random.default_rng(3)
    y = rng.poisson(1.0, 50).astype(float)
    f = rng.gamma(2.0, 0.5, 50)
    w = rng.integers(1, 5, 50)
    weighted = holdout_errors(y, f, weights=w)
    expanded = holdout_errors(np.repeat(y, w), np.repeat(f, w))
    pd.testing.assert_series_equal(weighted, expanded)


def test_holdout_errors_rejects_bad_input():
    with pytest.raises(DataError, match="differ in length"):
        holdout_errors([1, 2], [1.0])
    with pytest.raises(DataError, match=r"predicted is NaN or infinite in 1 of 2 rows"):
        holdout_errors([1, 2], [1.0, np.nan])


# ---------------------------------------------------------------------------------- Brier
def test_brier_score_by_hand_and_constant_forecast():
    assert brier_score([1.0, 0.0, 0.7, 0.2], [1, 0, 0, 1]) == pytest.approx((0 + 0 + 0.49 + 0.64) / 4)
    outcome = np.array([1, 0, 0, 0, 1, 0, 1, 0, 0, 0], dtype=float)
    base = outcome.mean()
    # a constant forecast at the base rate scores o_bar (1 - o_bar) (Murphy's decomposition)
    assert brier_score(np.full(10, base), outcome) == pytest.approx(base * (1 - base))


def test_brier_score_rejects_bad_input():
    with pytest.raises(DataError, match=r"outside \[0, 1\] in 1 of 2 rows"):
        brier_score([0.5, 1.2], [0, 1])
    with pytest.raises(DataError, match="must be 0 or 1"):
        brier_score([0.5, 0.2], [0, 2])


# ---------------------------------------------------------------------------------- by frequency
def test_holdout_by_frequency_matches_pandas_groupby():
    rng = np.random.default_rng(11)
    x = rng.integers(0, 12, 400)
    y = rng.poisson(x / 3.0)
    f = x / 2.5
    table = holdout_by_frequency(x, y, {"m": f}, max_frequency=7)
    cls = np.where(x >= 7, "7+", x.astype(str))
    ref = pd.DataFrame({"x": cls, "y": y, "f": f}).groupby("x").agg(n=("y", "size"), y=("y", "mean"),
                                                                     f=("f", "mean"))
    assert list(table.index) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    np.testing.assert_array_equal(table["n_customers"], ref.loc[table.index, "n"])
    np.testing.assert_allclose(table["actual"], ref.loc[table.index, "y"])
    np.testing.assert_allclose(table["m"], ref.loc[table.index, "f"])


def test_holdout_by_frequency_on_cdnow_matches_lifetimes(cdnow_sample_data, bg, lifetimes_bg):
    """FHL (2005) Figure 4: actual from the data, model column from lifetimes' eq. (10)."""
    pred = holdout_predictions(bg, cdnow_sample_data)
    table = holdout_by_frequency(pred["frequency"], pred["frequency_holdout"],
                                 {"BetaGeo": pred["expected_purchases"]})
    frame = cdnow_sample_data.frame
    theirs = lifetimes_bg.conditional_expected_number_of_purchases_up_to_time(
        39.0, frame["frequency"], frame["recency"], frame["T"])
    cls = np.minimum(frame["frequency"], 7)
    expected = theirs.groupby(cls.to_numpy()).mean().to_numpy()
    np.testing.assert_allclose(table["BetaGeo"].to_numpy(), expected, rtol=1e-7)
    assert table.loc["0", "n_customers"] == 1411  # REFERENCE.md: customers with no repeat purchase
    assert table["n_customers"].sum() == 2357


# ---------------------------------------------------------------------------------- one model on CDNOW
def _holdout_count_from_log(tx: pd.DataFrame) -> pd.Series:
    """Purchases per customer in (CAL, END], same-day purchases merged, counted with pandas."""
    days = tx.assign(day=tx["date"].dt.floor("D"))[["customer_id", "day"]].drop_duplicates()
    hold = days[(days["day"] > CAL) & (days["day"] <= END)]
    return hold.groupby("customer_id").size()


def test_holdout_predictions_match_lifetimes_and_log(cdnow_sample_data, cdnow_sample_tx, bg, lifetimes_bg):
    pred = holdout_predictions(bg, cdnow_sample_data)
    frame = cdnow_sample_data.frame
    theirs = lifetimes_bg.conditional_expected_number_of_purchases_up_to_time(
        39.0, frame["frequency"], frame["recency"], frame["T"])
    np.testing.assert_allclose(pred["expected_purchases"], theirs, rtol=1e-7)
    alive = lifetimes_bg.conditional_probability_alive(frame["frequency"], frame["recency"], frame["T"])
    np.testing.assert_allclose(pred["p_alive"], alive, rtol=1e-7)
    counts = _holdout_count_from_log(cdnow_sample_tx).reindex(pred.index, fill_value=0)
    np.testing.assert_array_equal(pred["frequency_holdout"], counts)


def test_holdout_predictions_with_varying_durations(cdnow_sample_data, bg):
    frame = cdnow_sample_data.frame.copy()
    frame["duration_holdout"] = np.where(np.arange(len(frame)) % 2 == 0, 13.0, 39.0)
    pred = holdout_predictions(bg, ck.CustomerData.from_frame(frame, unit="W"))
    even = np.arange(len(frame)) % 2 == 0
    np.testing.assert_allclose(pred["expected_purchases"][even],
                               bg.expected_purchases(frame[even], 13.0), rtol=1e-12)
    np.testing.assert_allclose(pred["expected_purchases"][~even],
                               bg.expected_purchases(frame[~even], 39.0), rtol=1e-12)


def test_holdout_predictions_need_holdout_columns(cdnow_published_summary, bg):
    with pytest.raises(DataError, match="frequency_holdout"):
        holdout_predictions(bg, cdnow_published_summary)


def test_holdout_metrics_on_cdnow(cdnow_sample_data, cdnow_sample_tx, bg, lifetimes_bg):
    out = holdout_metrics(bg, cdnow_sample_data)
    frame = cdnow_sample_data.frame
    theirs = lifetimes_bg.conditional_expected_number_of_purchases_up_to_time(
        39.0, frame["frequency"], frame["recency"], frame["T"]).to_numpy()
    actual = _holdout_count_from_log(cdnow_sample_tx).reindex(frame.index, fill_value=0).to_numpy()
    assert out["actual_total"] == actual.sum()
    assert out["predicted_total"] == pytest.approx(theirs.sum(), rel=1e-8)
    assert out["mae"] == pytest.approx(np.abs(actual - theirs).mean(), rel=1e-8)
    assert out["rmse"] == pytest.approx(np.sqrt(((actual - theirs) ** 2).mean()), rel=1e-8)
    assert out["aggregate_error_pct"] == pytest.approx(100 * (theirs.sum() / actual.sum() - 1), rel=1e-8)
    alive = lifetimes_bg.conditional_probability_alive(frame["frequency"], frame["recency"], frame["T"])
    assert out["brier_p_alive"] == pytest.approx(np.mean((np.asarray(alive) - (actual > 0)) ** 2), rel=1e-8)
    assert out["loglik"] == pytest.approx(-9582.43, abs=0.01)  # REFERENCE.md, FHL (2005)


# ---------------------------------------------------------------------------------- AIC / BIC / LR
def test_information_criteria_from_published_loglik(bg):
    ic = information_criteria(bg)
    assert ic["n_params"] == 4
    assert ic["aic"] == pytest.approx(2 * 4 + 2 * 9582.43, abs=0.02)
    assert ic["bic"] == pytest.approx(4 * np.log(2357) + 2 * 9582.43, abs=0.02)


def test_likelihood_ratio_test_against_chi_square_facts():
    # 3.841459 is the 95% quantile of chi-square(1)
    res = likelihood_ratio_test(-100.0, -100.0 + 3.841458820694124 / 2, df=1)
    assert res.statistic == pytest.approx(3.841458820694124)
    assert res.p_value == pytest.approx(0.05, abs=1e-12)
    # chi-square(2) survival is exp(-x / 2)
    res2 = likelihood_ratio_test(-50.0, -46.0, df=2)
    assert res2.statistic == pytest.approx(8.0)
    assert res2.p_value == pytest.approx(np.exp(-4.0))
    # on a boundary (Self & Liang 1987) the df=1 p-value halves
    half = likelihood_ratio_test(-100.0, -100.0 + 3.841458820694124 / 2, df=1, boundary=True)
    assert half.p_value == pytest.approx(0.025, abs=1e-12)
    # df=2 on a boundary: 50:50 mixture of chi2(1) and chi2(2)
    mix = likelihood_ratio_test(-50.0, -46.0, df=2, boundary=True)
    assert mix.p_value == pytest.approx(0.5 * stats.chi2.sf(8.0, 1) + 0.5 * np.exp(-4.0))


def test_likelihood_ratio_test_with_models(cdnow_sample_data, bg):
    penalized = ck.BetaGeo(penalizer=0.05).fit(cdnow_sample_data)
    res = likelihood_ratio_test(penalized.loglik_, bg, df=1)
    assert res.statistic == pytest.approx(2 * (bg.loglik_ - penalized.loglik_))
    assert res.statistic > 0
    with pytest.raises(DataError, match="df"):
        likelihood_ratio_test(penalized, bg)  # same number of parameters: no restriction
    spend = ck.GammaGamma().fit(cdnow_sample_data)
    with pytest.raises(DataError, match="different data"):
        likelihood_ratio_test(spend, bg)
    with pytest.raises(DataError, match="not nested"):
        likelihood_ratio_test(bg.loglik_ + 5.0, bg, df=1)


# ---------------------------------------------------------------------------------- bootstrap
TRUE = {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5}


@pytest.fixture(scope="module")
def small_fit():
    data = simulate_beta_geo(TRUE, 1000, T=(20.0, 40.0), resolution=1 / 7,
                             random_seed=5)[["frequency", "recency", "T"]]
    return data, ck.BetaGeo().fit(data)


def test_bootstrap_params_agree_with_asymptotic_spread(small_fit):
    data, model = small_fit
    draws = bootstrap_params(model, data, n_boot=40, random_seed=1, resolution=1 / 7)
    assert draws.shape == (40, 4)
    se_log = np.sqrt(np.diag(model._cov_log))
    boot_sd = np.log(draws).std(axis=0, ddof=1)
    # two estimates of the same sampling spread: within a factor 1.6 of each other
    assert np.all(boot_sd / se_log > 1 / 1.6) and np.all(boot_sd / se_log < 1.6), (boot_sd, se_log)
    # the bootstrap centre sits near the estimate (its bias is small against the spread)
    centre = np.log(draws).mean(axis=0)
    assert np.all(np.abs(centre - np.log(model.params_.to_numpy())) < 1.0 * se_log)


def test_predict_interval_with_bootstrap_draws(small_fit):
    data, model = small_fit
    draws = bootstrap_params(model, data, n_boot=20, random_seed=2, resolution=1 / 7)
    rows = pd.DataFrame({"frequency": [0, 2, 8], "recency": [0.0, 20.0, 35.0], "T": [39.0, 39.0, 39.0]})
    out = predict_interval(model, rows, 26.0, draws, interval=0.8)
    point = model.predict(rows, 26.0)
    np.testing.assert_allclose(out["expected_purchases"], point["expected_purchases"])
    values = np.array([[ck.BetaGeo.from_params(dict(zip(model.param_names, d, strict=True)))
                        .expected_purchases(rows, 26.0).to_numpy() for d in draws]])[0]
    np.testing.assert_allclose(out["expected_purchases_lower"], np.quantile(values, 0.1, axis=0))
    np.testing.assert_allclose(out["expected_purchases_upper"], np.quantile(values, 0.9, axis=0))


def test_bootstrap_params_custom_simulator_and_errors(small_fit, monkeypatch):
    data, model = small_fit
    calls = []

    def simulator(params, n, T, random_seed):
        calls.append((n, random_seed))
        return simulate_beta_geo(params, n, T=T, random_seed=random_seed)

    draws = bootstrap_params(model, data, n_boot=3, random_seed=4, simulator=simulator)
    assert len(calls) == 3 and all(n == len(data) for n, _ in calls) and draws.shape == (3, 4)
    again = bootstrap_params(model, data, n_boot=3, random_seed=4, simulator=simulator)
    np.testing.assert_array_equal(draws, again)  # same seed, same draws
    assert [s for _, s in calls[:3]] == [s for _, s in calls[3:]]
    monkeypatch.setattr(bootstrap, "SIMULATORS", {})
    with pytest.raises(DataError, match=r"no simulator is known for BetaGeo; pass simulator="):
        bootstrap_params(model, data, n_boot=3)
    with pytest.raises(DataError, match="n_boot"):
        bootstrap_params(model, data, n_boot=1, simulator=simulator)


# ---------------------------------------------------------------------------------- ranking
def test_spearman_by_hand_and_against_scipy():
    from clvkit.evaluate.metrics import spearman

    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # ties take average ranks: actual ranks (1.5, 1.5, 3), predicted ranks (1, 2, 3)
    # centred (-0.5, -0.5, 1) and (-1, 0, 1): r = 1.5 / sqrt(1.5 * 2)
    assert spearman([0, 0, 5], [1, 2, 3]) == pytest.approx(1.5 / np.sqrt(3.0))
    rng = np.random.default_rng(7)
    y = rng.poisson(0.8, 300).astype(float)  # many ties
    f = np.round(rng.gamma(1.0, 1.0, 300) + 0.3 * y, 1)
    assert spearman(y, f) == pytest.approx(stats.spearmanr(y, f).statistic, rel=1e-12)
    assert np.isnan(spearman([1, 2, 3], [5, 5, 5]))


def test_top_decile_lift_by_hand():
    from clvkit.evaluate.metrics import top_decile_lift

    # 10 customers: the one forecast highest made all 10 purchases -> lift 10 / (0.1 * 10) = 10
    assert top_decile_lift([0] * 9 + [10], list(range(10))) == pytest.approx(10.0)
    # 20 customers, top 2 by forecast made 3 + 1 of 16 purchases -> 4 / (0.1 * 16) = 2.5
    y = [3, 1] + [1] * 12 + [0] * 6
    f = [20, 19, *range(18)]
    assert top_decile_lift(y, f) == pytest.approx(4 / 1.6)
    # ties at the cut share the place: two customers tied at the top of 10, one place,
    # each counts half: (0.5 * 4 + 0.5 * 0) / (0.1 * 10) = 2
    assert top_decile_lift([4, 0, 1, 1, 1, 1, 1, 1, 0, 0], [5, 5, 1, 1, 1, 1, 1, 1, 1, 1]) == pytest.approx(2.0)
    # a constant forecast is a random pick: lift 1, whatever the order
    assert top_decile_lift([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [0] * 10) == pytest.approx(1.0)
    assert np.isnan(top_decile_lift([0, 0], [1, 2]))
    with pytest.raises(DataError, match="share"):
        top_decile_lift([1, 2], [1, 2], share=0)


def test_top_decile_lift_does_not_depend_on_row_order():
    from clvkit.evaluate.metrics import top_decile_lift

    rng = np.random.default_rng(11)
    y = rng.poisson(1.0, 97).astype(float)
    f = rng.integers(0, 4, 97).astype(float)  # heavy ties at the cut
    perm = rng.permutation(97)
    assert top_decile_lift(y, f) == pytest.approx(top_decile_lift(y[perm], f[perm]))


def test_calibration_by_decile_by_hand():
    from clvkit.evaluate.metrics import calibration_by_decile

    table = calibration_by_decile(np.arange(20) * 2.0, np.arange(20))
    assert list(table.index) == list(range(1, 11)) and table.index.name == "decile"
    assert list(table.columns) == ["customers", "mean_predicted", "mean_actual"]
    assert (table["customers"] == 2).all()
    np.testing.assert_allclose(table["mean_predicted"], np.arange(10) * 2 + 0.5)
    np.testing.assert_allclose(table["mean_actual"], (np.arange(10) * 2 + 0.5) * 2)
    # ties share a decile: ranks (1.5, 1.5, 3) of 3 -> deciles ceil(5) = 5, 5 and 10
    tied = calibration_by_decile([1, 2, 3], [0, 0, 1])
    assert tied.loc[5, "customers"] == 2 and tied.loc[10, "customers"] == 1
    assert tied.loc[5, "mean_actual"] == pytest.approx(1.5) and tied.loc[10, "mean_predicted"] == 1.0
    assert tied["customers"].sum() == 3 and np.isnan(tied.loc[1, "mean_actual"])
