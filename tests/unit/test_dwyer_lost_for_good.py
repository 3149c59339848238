"""LostForGood: values against hand formulas and direct sums; fitting on a hand-sized log.

Expected values are computed in the tests from the inputs (formulas written out here), never
taken from clvkit output."""

import numpy as np
import pandas as pd
import pytest

import clvkit.dwyer as dw
from clvkit.data.datasets import load_retention_example
from clvkit.errors import DataError, NotFittedError
from clvkit.models.shifted_beta_geo import ShiftedBetaGeo

LOG = pd.DataFrame({  # the log of tests/unit/test_periods.py
    "customer_id": ["A", "A", "A", "A", "A", "B", "C", "C", "D", "D", "E", "E"],
    "date": pd.to_datetime(["1997-01-05", "1997-04-02", "1997-05-20", "1997-08-01", "1997-12-31",
                            "1997-02-01", "1997-03-31", "1997-07-01", "1997-06-30", "1997-09-30",
                            "1997-07-15", "1997-10-01"]),
    "amount": [10.0, 20.0, 5.0, 30.0, 40.0, 7.0, 8.0, 9.0, 11.0, 12.0, 13.0, 14.0],
})
REGULAR = load_retention_example("regular")


def test_constant_retention_value_is_the_textbook_formula():
    model = dw.LostForGood(retention="constant", unit="Y", margin=100.0).fit(REGULAR, periods=7)
    alive = REGULAR["alive"].to_numpy(dtype=float)[:8]
    r = alive[1:].sum() / alive[:-1].sum()       # ML estimate of a constant retention rate
    d = 0.10
    assert model.retention_.iloc[0] == pytest.approx(r)
    assert model.value(d) == pytest.approx(100 * (1 + d) / (1 + d - r), rel=1e-12)
    assert model.value(d, horizon=5) == pytest.approx(sum(100 * r**t / 1.1**t for t in range(5)))
    # residual value from the next period on: m * r / (1 - r / (1 + d)) whatever the tenure
    np.testing.assert_allclose(model.residual_value(d, [0, 4]), 100 * r / (1 - r / 1.1), rtol=1e-12)
    assert model.value(d, acquisition_cost=50) == pytest.approx(model.value(d) - 50)


def test_sbg_value_is_margin_times_del_and_residual_is_derl():
    model = dw.LostForGood(retention="sbg", unit="Y", margin=80.0).fit(REGULAR, periods=7)
    sbg = ShiftedBetaGeo(unit="Y").fit(REGULAR, periods=7)
    np.testing.assert_allclose(model.sbg_.params_, sbg.params_)
    assert model.value(0.08) == pytest.approx(80 * sbg.discounted_lifetime(0.08), rel=1e-10)
    for k in (0, 3, 9):
        assert model.residual_value(0.08, k) == pytest.approx(
            80 * sbg.discounted_residual_lifetime(0.08, k), rel=1e-10)
    # finite horizon = direct sum; long horizons converge to the closed form
    s = sbg.survival(np.arange(0, 12)).to_numpy()
    assert model.value(0.08, horizon=12) == pytest.approx(80 * np.sum(s / 1.08 ** np.arange(12)))
    assert model.value(0.08, horizon=3000) == pytest.approx(model.value(0.08), rel=1e-9)
    assert model.residual_value(0.08, 2, horizon=3000) == pytest.approx(
        model.residual_value(0.08, 2), rel=1e-9)


def test_empirical_survival_follows_the_data_then_the_last_rate():
    model = dw.LostForGood(retention="empirical", unit="Y", margin=1.0).fit(REGULAR, periods=7)
    alive = REGULAR["alive"].to_numpy(dtype=float)
    np.testing.assert_allclose(model.survival(np.arange(8)), alive[:8] / 1000, rtol=1e-12)
    last = alive[7] / alive[6]
    assert model.survival(10).iloc[0] == pytest.approx(alive[7] / 1000 * last**3)
    t = np.arange(0, 5000)
    s = np.where(t <= 7, alive[np.minimum(t, 7)] / 1000, alive[7] / 1000 * last ** (t - 7.0))
    assert model.value(0.1) == pytest.approx(np.sum(s / 1.1**t), rel=1e-9)
    for k in (2, 7, 11):
        res = np.sum(s[k + 1:] / s[k] / 1.1 ** (t[k + 1:] - k - 1.0))
        assert model.residual_value(0.1, k) == pytest.approx(res, rel=1e-9)


@pytest.mark.parametrize("kind", ["sbg", "constant", "empirical"])
def test_projection_table_adds_up(kind):
    model = dw.LostForGood(retention=kind, unit="Y", margin=50.0).fit(REGULAR, periods=7)
    table = model.projection(0.1, horizon=6, customers=1000, acquisition_cost=20)
    assert list(table.index) == list(range(6))
    np.testing.assert_allclose(table["customers"], 1000 * model.survival(range(6)))
    np.testing.assert_allclose(table["discount_factor"], 1.1 ** -np.arange(6.0))
    np.testing.assert_allclose(table["present_value"], table["margin"] * table["discount_factor"])
    assert table["cumulative_value"].iloc[-1] == pytest.approx(
        1000 * (model.value(0.1, horizon=6) - 20))
    assert table["value_per_customer"].iloc[-1] == pytest.approx(model.value(0.1, horizon=6,
                                                                             acquisition_cost=20))


def test_fit_on_a_log_estimates_margin_and_values_every_customer():
    model = dw.LostForGood(retention="constant", unit="Q").fit(LOG)
    # alive periods (acquisition..last consecutive purchase): A Q1-Q4 (10, 25, 30, 40), B Q1 (7),
    # C Q1 (8), D Q2-Q3 (11, 12), E Q3-Q4 (13, 14): 170 over 10 customer-periods
    assert model.margin_ == pytest.approx(17.0)
    # transitions pooled over cohorts: 5 at risk -> 3 stay, 2 -> 1, 1 -> 1
    assert model.retention_.iloc[0] == pytest.approx(5 / 8)
    values = model.customer_values(0.10)
    assert list(values.index) == list("ABCDE")
    assert values["tenure"].tolist() == [3, 0, 0, 1, 1]
    x = 1 / 1.10 ** 0.25
    r = 5 / 8
    expected = 17.0 * r / (1 - r * x)
    np.testing.assert_allclose(values["value"], [expected, 0, 0, 0, expected], rtol=1e-12)
    assert model.status_["alive"].sum() == 2
    margin_rate = dw.LostForGood(retention="constant", unit="Q", margin_rate=0.3).fit(LOG)
    assert margin_rate.margin_ == pytest.approx(0.3 * 17.0)


def test_errors():
    with pytest.raises(NotFittedError, match="LostForGood is not fitted yet"):
        dw.LostForGood().value(0.1)
    with pytest.raises(DataError, match="retention must be one of"):
        dw.LostForGood(retention="weibull").fit(REGULAR)
    model = dw.LostForGood(retention="constant", unit="Y").fit(REGULAR)
    with pytest.raises(DataError, match="no margin"):
        model.value(0.1)
    with pytest.raises(DataError, match="discount_rate"):
        model.value(-1.0, margin=1.0)
    with pytest.raises(DataError, match="tenure"):
        model.residual_value(0.1, -2, margin=1.0)
    with pytest.raises(DataError, match="horizon"):
        model.value(0.1, margin=1.0, horizon=-3)
    with pytest.raises(DataError, match="transaction log"):
        model.customer_values(0.1, margin=1.0)
    with pytest.raises(DataError, match="increases"):
        dw.LostForGood().fit(pd.DataFrame({"period": [0, 1, 2], "alive": [10, 5, 6]}))
    with pytest.raises(DataError, match="negative"):
        dw.LostForGood().fit(pd.DataFrame({"period": [0, 1], "alive": [10, -1]}))
    with pytest.raises(DataError, match="too few periods"):
        dw.LostForGood().fit(pd.DataFrame({"period": [0], "alive": [10]}))
    with pytest.raises(DataError, match="too few periods"):
        dw.LostForGood(retention="sbg", unit="Y").fit(LOG)   # the log spans one calendar year
    with pytest.raises(DataError, match="margin must be"):
        dw.LostForGood(margin=float("nan")).fit(REGULAR)


def test_attributes_exist_only_after_fit():
    for kind in ("sbg", "constant", "empirical"):
        model = dw.LostForGood(retention=kind, unit="Y", margin=1.0)
        assert not [k for k in vars(model) if k.endswith("_")]
        assert model.fit(REGULAR) is model
        assert {"survival_table_", "retention_", "margin_", "sbg_", "unit_"} <= set(vars(model))
        assert kind in repr(model)


# ---------------------------------------------------------------------- the model contract
def test_registered_keyword_only_and_params_round_trip():
    from clvkit._contract import MODELS

    assert MODELS["LostForGood"].cls is dw.LostForGood and MODELS["LostForGood"].kind == "retention"
    with pytest.raises(TypeError):
        dw.LostForGood("sbg")  # hyper-parameters are keyword-only
    model = dw.LostForGood(retention="constant", unit="Y", margin=5.0)
    assert model.get_params() == {"retention": "constant", "unit": "Y", "margin": 5.0,
                                  "margin_rate": 1.0}
    assert repr(model) == "LostForGood(retention='constant', unit='Y', margin=5.0, margin_rate=1.0) [not fitted]"
    assert model.set_params(retention="empirical", margin=None) is model
    assert model.get_params()["retention"] == "empirical" and model.margin is None
    with pytest.raises(DataError, match="no hyper-parameter"):
        model.set_params(period="Y")


@pytest.mark.parametrize(("kind", "names"), [
    ("sbg", ["alpha", "beta"]), ("constant", ["retention"]),
    ("empirical", [f"retention_{k}" for k in range(1, 8)]),
])
def test_fitted_attributes_and_summary(kind, names):
    import json

    model = dw.LostForGood(retention=kind, unit="Y", margin=10.0).fit(REGULAR, periods=7)
    assert list(model.params_.index) == names
    assert model.n_obs_ == 1000 and model.unit_ == "Y" and model.converged_ is True
    assert json.loads(json.dumps(model.data_provenance_)) == model.data_provenance_
    assert model.data_provenance_["source"] == "survival table"
    summary = model.summary(interval=0.9)
    assert list(summary.columns) == ["estimate", "std_error", "lower", "upper"]
    assert list(summary.index) == names
    assert (summary["std_error"] > 0).all()
    assert ((summary["lower"] <= summary["estimate"]) & (summary["estimate"] <= summary["upper"])).all()
    assert kind in repr(model) and "std_error" in repr(model)


def test_summary_standard_errors():
    alive = REGULAR["alive"].to_numpy(dtype=float)[:8]
    constant = dw.LostForGood(retention="constant", unit="Y").fit(REGULAR, periods=7).summary()
    r, n = alive[1:].sum() / alive[:-1].sum(), alive[:-1].sum()
    assert constant.loc["retention", "std_error"] == pytest.approx(np.sqrt(r * (1 - r) / n))
    assert constant.loc["retention", "upper"] == pytest.approx(r + 1.959964 * np.sqrt(r * (1 - r) / n))
    empirical = dw.LostForGood(retention="empirical", unit="Y").fit(REGULAR, periods=7).summary()
    rt = alive[1:] / alive[:-1]
    np.testing.assert_allclose(empirical["std_error"], np.sqrt(rt * (1 - rt) / alive[:-1]))
    sbg_model = dw.LostForGood(retention="sbg", unit="Y").fit(REGULAR, periods=7)
    pd.testing.assert_frame_equal(sbg_model.summary(0.8),
                                  ShiftedBetaGeo(unit="Y").fit(REGULAR, periods=7).summary(0.8))
    with pytest.warns(FutureWarning, match=r"summary\(interval=\)"):
        old = sbg_model.summary(level=0.8)
    pd.testing.assert_frame_equal(old, sbg_model.summary(0.8))


@pytest.mark.parametrize("kind", ["sbg", "constant", "empirical"])
def test_predict_columns_intervals_and_seed(kind):
    model = dw.LostForGood(retention=kind, unit="Y").fit(REGULAR, periods=7)
    plain = model.predict()
    assert list(plain.columns) == ["survival", "retention", "expected_alive"]
    assert list(plain.index) == list(range(8)) and plain.index.name == "period"  # periods fitted
    np.testing.assert_allclose(plain["survival"], model.survival(range(8)))
    np.testing.assert_allclose(plain["expected_alive"], 1000 * plain["survival"])
    s = plain["survival"].to_numpy()
    np.testing.assert_allclose(plain["retention"].iloc[1:], s[1:] / s[:-1])
    assert np.isnan(plain["retention"].iloc[0])
    framed = model.predict(horizon=12, interval=0.9, n_draws=300, random_seed=7)
    assert list(framed.columns) == ["survival", "survival_lower", "survival_upper", "retention",
                                    "retention_lower", "retention_upper", "expected_alive",
                                    "expected_alive_lower", "expected_alive_upper"]
    for q in ("survival", "retention", "expected_alive"):
        ok = framed[q].notna()
        assert (framed.loc[ok, f"{q}_lower"] <= framed.loc[ok, q]).all()
        assert (framed.loc[ok, q] <= framed.loc[ok, f"{q}_upper"]).all()
        assert (framed.loc[ok, f"{q}_upper"].iloc[1:] > framed.loc[ok, f"{q}_lower"].iloc[1:]).all()
    pd.testing.assert_frame_equal(framed[["survival", "retention", "expected_alive"]],
                                  model.predict(horizon=12))
    pd.testing.assert_frame_equal(framed, model.predict(horizon=12, interval=0.9, n_draws=300,
                                                        random_seed=7))
    assert not framed.equals(model.predict(horizon=12, interval=0.9, n_draws=300, random_seed=8))


def test_predict_cohort_size_from_data():
    model = dw.LostForGood(retention="constant", unit="Q").fit(LOG)
    assert model.n_obs_ == 5
    np.testing.assert_allclose(model.predict(horizon=3)["expected_alive"], 5 * model.survival(range(3)))
    table = pd.DataFrame({"cohort": ["a", "a", "b", "b"], "period": [0, 1, 0, 1],
                          "alive": [30, 20, 10, 5]})
    np.testing.assert_allclose(model.predict(table, horizon=3)["expected_alive"],
                               40 * model.survival(range(3)))
    three = LOG[LOG["customer_id"].isin(["A", "B", "C"])]
    np.testing.assert_allclose(model.predict(three, horizon=2)["expected_alive"],
                               3 * model.survival(range(2)))
    with pytest.raises(DataError, match="horizon"):
        model.predict(horizon=0)
    with pytest.raises(DataError, match="interval"):
        model.predict(interval=1.5)
    with pytest.raises(DataError, match="n_draws"):
        model.predict(interval=0.9, n_draws=0)


def test_save_load_gives_identical_predictions(tmp_path):
    import json

    import clvkit as ck

    for kind, data in (("sbg", REGULAR), ("constant", LOG), ("empirical", REGULAR)):
        model = dw.LostForGood(retention=kind, unit="Y" if data is REGULAR else "Q",
                               margin=None if data is LOG else 25.0).fit(data)
        path = tmp_path / f"{kind}.json"
        model.save(path)
        state = json.loads(path.read_text())
        assert state["model"] == "LostForGood" and state["unit"] == model.unit_
        back = ck.load(path)
        assert type(back) is dw.LostForGood and back.get_params() == model.get_params()
        pd.testing.assert_series_equal(back.params_, model.params_)
        pd.testing.assert_frame_equal(back.summary(), model.summary())
        pd.testing.assert_frame_equal(back.predict(horizon=10, interval=0.8, random_seed=1),
                                      model.predict(horizon=10, interval=0.8, random_seed=1))
        assert back.value(0.1) == model.value(0.1)
        np.testing.assert_array_equal(back.residual_value(0.1, [0, 3]), model.residual_value(0.1, [0, 3]))
        assert back.data_provenance_ == model.data_provenance_ and back.n_obs_ == model.n_obs_
        assert repr(back) == repr(model)
        if data is LOG:
            pd.testing.assert_frame_equal(back.customer_values(0.1), model.customer_values(0.1))


def test_from_dict_validates():
    model = dw.LostForGood(retention="constant", unit="Y", margin=3.0).fit(REGULAR)
    state = model.to_dict()
    with pytest.raises(DataError, match=r"lacks \['retention', 'margin'\]"):
        dw.LostForGood.from_dict({k: v for k, v in state.items() if k not in ("retention", "margin")})
    with pytest.raises(DataError, match=r"in \[0, 1\]: 1 of"):
        dw.LostForGood.from_dict({**state, "retention": [1.2, *state["retention"][1:]]})
    with pytest.raises(DataError, match="margin"):
        dw.LostForGood.from_dict({**state, "margin": float("inf")})
    with pytest.raises(DataError, match="margin"):
        dw.LostForGood.from_dict({**state, "margin": -1.0})


def test_units_and_money_are_checked():
    table = REGULAR.copy()
    table.attrs["unit"] = "Y"
    with pytest.raises(DataError, match=r"LostForGood\(unit='Q'\) got a survival table in periods of 'Y'"):
        dw.LostForGood(retention="constant", unit="Q").fit(table)
    assert dw.LostForGood(retention="constant", unit="Y").fit(table).unit_ == "Y"
    model = dw.LostForGood(retention="constant", unit="Y").fit(table)
    with pytest.raises(DataError, match="survival table in periods of 'Y'"):
        dw.LostForGood(retention="constant", unit="Q").fit(REGULAR).predict(table)
    with pytest.raises(DataError, match="margin must be a finite number >= 0"):
        model.value(0.1, margin=-5.0)
    with pytest.raises(DataError, match="margin must be a finite number >= 0"):
        dw.LostForGood(retention="constant", unit="Y", margin=-1.0).fit(REGULAR)
    with pytest.raises(DataError, match=r"margin_rate must be a share in \[0, 1\]"):
        dw.LostForGood(retention="constant", unit="Q", margin_rate=30).fit(LOG)
    for rate in (-1.0, -1.5, float("inf"), float("nan")):
        with pytest.raises(DataError, match="discount_rate"):
            model.value(rate, margin=1.0)
    with pytest.raises(DataError, match="weights"):
        dw.LostForGood(retention="constant", unit="Y").fit(REGULAR, weights=[1.0])
