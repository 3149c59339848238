"""clvkit.evaluate.compare on the CDNOW sample.

Expected values come from the raw CDNOW log counted with pandas, from REFERENCE.md (published
log-likelihoods and Gamma-Gamma parameters), from lifetimes 0.11.3 predicting with our
parameters, and, for Dwyer's models, from a direct enumeration of the recency-state chain's
purchase paths and the retention rates counted in the log.
"""

from __future__ import annotations

import importlib
import itertools
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.errors import DataError
from clvkit.evaluate import DEFAULT_MODELS, ComparisonReport, compare

lifetimes = pytest.importorskip("lifetimes")

CAL, END = pd.Timestamp("1997-09-30"), pd.Timestamp("1998-06-30")
PUBLISHED_LOGLIK = {"BetaGeo": -9582.43, "ParetoNBD": -9594.98}  # REFERENCE.md


@pytest.fixture(scope="module")
def report(cdnow_sample_tx) -> ComparisonReport:
    return compare(cdnow_sample_tx, calibration_end="1997-09-30", end="1998-06-30", unit="W")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _merged_days(tx: pd.DataFrame) -> pd.DataFrame:
    return tx.assign(day=tx["date"].dt.floor("D")).drop_duplicates(["customer_id", "day"])


def _available(name: str) -> bool:
    from clvkit.evaluate.compare import _model_class

    return _model_class(name) is not None


def test_metrics_table_shape_and_published_fits(report):
    expected_models = [n for n in DEFAULT_MODELS if _available(n)]
    assert "BetaGeo" in expected_models
    assert list(report.metrics.index[:len(expected_models)]) == expected_models
    assert "naive_rate" in report.metrics.index
    for name in expected_models:
        row = report.metrics.loc[name]
        assert row["family"] == "event"
        if name in PUBLISHED_LOGLIK:
            assert row["loglik"] == pytest.approx(PUBLISHED_LOGLIK[name], abs=0.01)
        assert row["aic"] == pytest.approx(2 * row["n_params"] - 2 * row["loglik"])
        assert row["bic"] == pytest.approx(row["n_params"] * np.log(2357) - 2 * row["loglik"])
    spend = report.models["GammaGamma"].params_
    assert spend.round(2).tolist() == [6.25, 3.74, 15.44]  # REFERENCE.md, Fader & Hardie (2013)


def test_actual_totals_match_the_raw_log(report, cdnow_sample_tx):
    tx = cdnow_sample_tx
    merged = _merged_days(tx)
    hold = merged[(merged["day"] > CAL) & (merged["day"] <= END)]
    in_hold = tx[(tx["date"] > CAL) & (tx["date"] <= END)]
    for name in report.metrics.index:
        assert report.metrics.loc[name, "actual_total"] == len(hold)
        assert report.metrics.loc[name, "revenue_actual_total"] == pytest.approx(in_hold["amount"].sum())
        assert report.metrics.loc[name, "n_customers"] == 2357
    assert report.predictions["active_holdout"].sum() == hold["customer_id"].nunique()


def test_beta_geo_predictions_and_errors_match_lifetimes(report):
    pred = report.predictions
    bg = report.models["BetaGeo"]
    lt = lifetimes.BetaGeoFitter()
    lt.params_ = bg.params_.copy()
    theirs = lt.conditional_expected_number_of_purchases_up_to_time(39.0, pred["frequency"], pred["recency"],
                                                                   pred["T"]).to_numpy()
    np.testing.assert_allclose(pred["BetaGeo.expected_purchases"], theirs, rtol=1e-7)
    alive = lt.conditional_probability_alive(pred["frequency"], pred["recency"], pred["T"])
    np.testing.assert_allclose(pred["BetaGeo.p_alive"], alive, rtol=1e-7)
    actual = pred["frequency_holdout"].to_numpy(float)
    row = report.metrics.loc["BetaGeo"]
    assert row["mae"] == pytest.approx(np.abs(actual - theirs).mean(), rel=1e-8)
    assert row["rmse"] == pytest.approx(np.sqrt(np.mean((actual - theirs) ** 2)), rel=1e-8)
    assert row["predicted_total"] == pytest.approx(theirs.sum(), rel=1e-8)
    assert row["brier_p_alive"] == pytest.approx(np.mean((np.asarray(alive) - (actual > 0)) ** 2), rel=1e-8)
    # revenue: expected purchases x Gamma-Gamma expected spend (lifetimes' eq. 8 with our parameters)
    gg = lifetimes.GammaGammaFitter()
    gg.params_ = report.models["GammaGamma"].params_.rename({"gamma": "v"})[["p", "q", "v"]]
    spend = gg.conditional_expected_average_profit(pred["frequency"], report.data.frame["monetary_value"])
    np.testing.assert_allclose(pred["BetaGeo.expected_revenue"], theirs * spend.to_numpy(), rtol=1e-7)
    revenue = pred["revenue_holdout"].to_numpy()
    assert row["revenue_mae"] == pytest.approx(np.abs(revenue - theirs * spend.to_numpy()).mean(), rel=1e-7)


def test_naive_baseline_and_by_frequency(report):
    pred = report.predictions
    rate = np.where(pred["T"] > 0, pred["frequency"] / pred["T"].where(pred["T"] > 0, 1.0), 0.0)
    np.testing.assert_allclose(pred["naive_rate.expected_purchases"], rate * 39.0)
    cls = np.minimum(pred["frequency"], 7)
    by = report.by_frequency
    np.testing.assert_allclose(by["actual"], pred.groupby(cls)["frequency_holdout"].mean())
    for name in report.metrics.index:
        np.testing.assert_allclose(by[name], pred.groupby(cls)[f"{name}.expected_purchases"].mean())
    assert by["n_customers"].tolist() == pred.groupby(cls).size().tolist()


def test_report_plot_draws_the_by_frequency_table(report):
    ax = report.plot()
    lines = {line.get_label(): line.get_ydata() for line in ax.get_lines()}
    np.testing.assert_allclose(lines["actual"], report.by_frequency["actual"])
    np.testing.assert_allclose(lines["BetaGeo"], report.by_frequency["BetaGeo"])
    assert [t.get_text() for t in ax.get_xticklabels()] == list(report.by_frequency.index)
    ax2 = report.plot_tracking()
    assert ax2.get_lines()[0].get_ydata()[-1] == 2457 + 1882  # repeat purchases weeks 1-78
    assert "BetaGeo" in repr(report)


# ---------------------------------------------------------------------------------- Dwyer
def _quarterly_panel(tx: pd.DataFrame) -> pd.DataFrame:
    """Same-day-merged calibration purchases per customer and quarter, counted with pandas."""
    merged = _merged_days(tx)
    cal = merged[merged["day"] <= CAL]
    counts = cal.groupby(["customer_id", cal["day"].dt.to_period("Q")]).size().unstack(fill_value=0)
    return counts.reindex(columns=pd.period_range("1997Q1", "1997Q3", freq="Q"), fill_value=0)


def test_always_a_share_by_path_enumeration(report, cdnow_sample_tx):
    assert importlib.import_module("clvkit.dwyer")  # the Dwyer module ships with this build
    name = "AlwaysAShare(Q)"
    assert report.metrics.loc[name, "family"] == "dwyer"
    counts = _quarterly_panel(cdnow_sample_tx)
    active = counts.to_numpy() > 0
    # every CDNOW customer was acquired in 1997Q1: repeat periods are Q2 and Q3
    assert active[:, 0].all()
    per_active = counts.to_numpy()[:, 1:][active[:, 1:]].sum() / active[:, 1:].sum()
    # recency states with K = 2 (three quarters of calibration), counted by hand
    in1_q3 = active[:, 1]  # Q2: everyone starts in state 1; Q3: state 1 if they bought in Q2
    p = {1: (active[in1_q3, 2].sum() + active[:, 1].sum()) / (in1_q3.sum() + len(active)),
         2: active[~in1_q3, 2].mean()}
    state_end = np.where(active[:, 2], 1, 2)

    def expected_active(s: int, horizon: int = 3) -> float:
        total = 0.0
        for path in itertools.product([0, 1], repeat=horizon):
            prob, state = 1.0, s
            for buy in path:
                prob *= p[state] if buy else 1 - p[state]
                state = 1 if buy else 2
            total += prob * sum(path)
        return total

    expected = np.array([expected_active(s) for s in state_end]) * per_active
    ours = report.predictions.loc[counts.index, f"{name}.expected_purchases"].to_numpy()
    np.testing.assert_allclose(ours, expected, rtol=1e-10)


def test_lost_for_good_by_hand(report, cdnow_sample_tx):
    name = "LostForGood(Q)"
    counts = _quarterly_panel(cdnow_sample_tx)
    active = counts.to_numpy() > 0
    per_active = counts.to_numpy()[:, 1:][active[:, 1:]].sum() / active[:, 1:].sum()
    r1 = active[:, 1].mean()
    alive = active[:, 1] & active[:, 2]
    r2 = alive.sum() / active[:, 1].sum()
    assert 0 < r1 < 1 and 0 < r2 < 1
    # alive after 2 quarters: S(2+h)/S(2) = r2^h with the last rate held (h = 1..3 holdout quarters)
    expected = np.where(alive, (r2 + r2**2 + r2**3) * per_active, 0.0)
    ours = report.predictions.loc[counts.index, f"{name}.expected_purchases"].to_numpy()
    np.testing.assert_allclose(ours, expected, rtol=1e-10)


def test_dwyer_left_out_when_calibration_cuts_a_period(cdnow_sample_tx):
    rep = compare(cdnow_sample_tx, calibration_end="1997-09-15", end="1998-06-30", models=["BetaGeo"],
                  spend=False)
    assert not any(rep.metrics["family"] == "dwyer")
    assert any("not the last day of a Q period" in n for n in rep.notes)
    assert "revenue_mae" not in rep.metrics.columns


# ---------------------------------------------------------------------------------- inputs
def test_compare_from_customer_data_and_labelled_models(cdnow_sample_data):
    rep = compare(cdnow_sample_data, models={"plain": ck.BetaGeo(), "penalized": ck.BetaGeo(penalizer=0.1)},
                  baseline=False)
    assert list(rep.metrics.index) == ["plain", "penalized"]
    assert rep.metrics.loc["plain", "loglik"] > rep.metrics.loc["penalized", "loglik"]
    assert any("Dwyer models left out" in n for n in rep.notes)
    with pytest.raises(DataError, match="transaction log"):
        rep.plot_tracking()


def test_compare_rejects_bad_arguments(cdnow_sample_tx, cdnow_sample_data):
    with pytest.raises(DataError, match="calibration_end"):
        compare(cdnow_sample_tx)
    with pytest.raises(DataError, match="unknown purchase model 'Nope'"):
        compare(cdnow_sample_tx, calibration_end="1997-09-30", models=["Nope"])
    with pytest.raises(DataError, match="given twice"):
        compare(cdnow_sample_tx, calibration_end="1997-09-30", models=["BetaGeo", ck.BetaGeo()])
    with pytest.raises(DataError, match="models is empty"):
        compare(cdnow_sample_tx, calibration_end="1997-09-30", models=[])
    with pytest.raises(DataError, match="spend=True needs amounts"):
        compare(cdnow_sample_tx, calibration_end="1997-09-30", amount=None)
    with pytest.raises(DataError, match="already has its holdout split"):
        compare(cdnow_sample_data, calibration_end="1997-09-30")


# ---------------------------------------------------------------------------------- full log, any purchase model
@pytest.fixture(scope="module")
def full_cdnow():
    return ck.datasets.load_cdnow()


def test_compare_on_the_full_log_leaves_the_zero_spend_repeat_buyer_out_with_a_warning(full_cdnow):
    with pytest.warns(ck.DataWarning, match=r"left 1 of \d+ repeat buyers"):
        rep = ck.compare(full_cdnow, calibration_end="1997-09-30", end="1998-06-30", models=["BetaGeo"],
                         dwyer=False)
    assert rep.models["GammaGamma"].exclude_nonpositive
    assert np.isfinite(rep.metrics.loc["BetaGeo", "revenue_mae"])
    assert rep.predictions["BetaGeo.expected_revenue"].notna().all()


def test_compare_exclude_nonpositive_spend_false_keeps_the_error_and_true_keeps_quiet(full_cdnow):
    with pytest.raises(DataError, match="monetary_value"):
        compare(full_cdnow, calibration_end="1997-09-30", end="1998-06-30", models=["BetaGeo"], dwyer=False,
                baseline=False, exclude_nonpositive_spend=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ck.DataWarning)
        rep = compare(full_cdnow, calibration_end="1997-09-30", end="1998-06-30", models=["BetaGeo"], dwyer=False,
                      baseline=False, exclude_nonpositive_spend=True)
    assert "revenue_mae" in rep.metrics.columns


def test_compare_takes_any_purchase_model_and_names_what_is_not_one(cdnow_sample_data):
    rep = compare(cdnow_sample_data, models=[ck.ParetoNBD, "ModifiedBetaGeo", ck.BetaGeo(penalizer=0.0)],
                  baseline=False, spend=False)
    assert list(rep.metrics.index) == ["ParetoNBD", "ModifiedBetaGeo", "BetaGeo"]
    with pytest.raises(DataError, match=r"clvkit\.models\.gamma_gamma\.GammaGamma \(a spend model\)"):
        compare(cdnow_sample_data, models=[ck.GammaGamma()])


def test_ranking_metrics_and_calibration_per_model(report):
    from clvkit.evaluate import gini
    from clvkit.evaluate.metrics import calibration_by_decile, spearman, top_decile_lift

    m = report.metrics
    for column in ("spearman", "top_decile_lift", "gini"):
        assert column in m.columns
    assert set(report.calibration) == set(m.index)
    actual = report.predictions["frequency_holdout"]
    for name in m.index:
        expected = report.predictions[f"{name}.expected_purchases"]
        assert m.loc[name, "spearman"] == pytest.approx(spearman(actual, expected))
        assert m.loc[name, "top_decile_lift"] == pytest.approx(top_decile_lift(actual, expected))
        assert m.loc[name, "gini"] == pytest.approx(gini(expected))
        pd.testing.assert_frame_equal(report.calibration[name], calibration_by_decile(actual, expected))
        assert report.calibration[name]["customers"].sum() == len(report.predictions)
    assert (m["top_decile_lift"] > 1).all()  # every model ranks better than a random pick
