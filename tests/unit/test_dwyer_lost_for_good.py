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
    model = dw.LostForGood("constant", unit="Y", margin=100.0).fit(REGULAR, periods=7)
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
    model = dw.LostForGood("sbg", unit="Y", margin=80.0).fit(REGULAR, periods=7)
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
    model = dw.LostForGood("empirical", unit="Y", margin=1.0).fit(REGULAR, periods=7)
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
    model = dw.LostForGood(kind, unit="Y", margin=50.0).fit(REGULAR, periods=7)
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
    model = dw.LostForGood("constant", unit="Q").fit(LOG)
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
    margin_rate = dw.LostForGood("constant", unit="Q", margin_rate=0.3).fit(LOG)
    assert margin_rate.margin_ == pytest.approx(0.3 * 17.0)


def test_errors():
    with pytest.raises(NotFittedError, match="LostForGood is not fitted yet"):
        dw.LostForGood().value(0.1)
    with pytest.raises(DataError, match="retention must be one of"):
        dw.LostForGood("weibull").fit(REGULAR)
    model = dw.LostForGood("constant", unit="Y").fit(REGULAR)
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
        dw.LostForGood("sbg", unit="Y").fit(LOG)   # the log spans one calendar year
    with pytest.raises(DataError, match="margin must be"):
        dw.LostForGood(margin=float("nan")).fit(REGULAR)


def test_attributes_exist_only_after_fit():
    for kind in ("sbg", "constant", "empirical"):
        model = dw.LostForGood(kind, unit="Y", margin=1.0)
        assert not [k for k in vars(model) if k.endswith("_")]
        assert model.fit(REGULAR) is model
        assert {"survival_table_", "retention_", "margin_", "sbg_", "unit_"} <= set(vars(model))
        assert kind in repr(model)
