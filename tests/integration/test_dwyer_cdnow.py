"""Both Dwyer models on the full CDNOW log by quarter: they fit, and every customer gets a value.

The cohort survival and recency counts are recomputed here with plain pandas from the raw log,
independently of clvkit.data.periods."""

import numpy as np
import pandas as pd
import pytest

import clvkit.dwyer as dw
from clvkit.data.datasets import load_cdnow
from clvkit.data.periods import cohort_survival, period_panel
from clvkit.errors import DataError
from clvkit.models.shifted_beta_geo import ShiftedBetaGeo


@pytest.fixture(scope="module")
def tx():
    return load_cdnow()


@pytest.fixture(scope="module")
def quarters(tx):
    q = tx["date"].dt.year * 4 + (tx["date"].dt.month - 1) // 3
    active = pd.crosstab(tx["customer_id"], q - q.min()) > 0
    return active


def test_lost_for_good_on_cdnow(tx, quarters):
    model = dw.LostForGood(retention="sbg", unit="Q").fit(tx)
    # everyone was acquired in 1997Q1; alive after k quarters = bought in each of quarters 1..k
    expected = [int(quarters.iloc[:, 1:k + 1].all(axis=1).sum()) for k in range(6)]
    assert model.survival_table_["alive"].tolist() == expected
    assert expected[0] == 23_570
    assert model.sbg_.converged_
    values = model.customer_values(discount_rate=0.10)
    assert len(values) == 23_570 and values.index.is_unique
    assert np.isfinite(values["value"]).all() and (values["value"] >= 0).all()
    assert int((values["value"] > 0).sum()) == expected[-1]      # only those still alive
    # mean spend per alive customer-quarter, recomputed from the log
    spend = tx.assign(q=(tx["date"].dt.year * 4 + (tx["date"].dt.month - 1) // 3))
    spend = spend.groupby(["customer_id", "q"])["amount"].sum().unstack(fill_value=0.0)
    spend = spend.to_numpy()
    act = quarters.to_numpy()
    keep = np.cumprod(act, axis=1).astype(bool)       # periods 0..tenure (acquired in column 0)
    assert model.margin_ == pytest.approx(spend[keep].mean(), rel=1e-12)
    assert model.value(0.10) > model.margin_
    # ShiftedBetaGeo takes the quarterly survival table straight from clvkit.data.periods
    table = cohort_survival(period_panel(tx, unit="Q"))
    direct = ShiftedBetaGeo(unit="Q").fit(table)
    np.testing.assert_allclose(direct.params_, model.sbg_.params_, rtol=1e-10)
    assert direct.n_obs_ == 23_570
    with pytest.raises(DataError, match="unit='Q'"):
        ShiftedBetaGeo(unit="Y").fit(table)


def test_always_a_share_on_cdnow(tx, quarters):
    model = dw.AlwaysAShare(unit="Q", states=5).fit(tx)
    act = quarters.to_numpy()
    # independent count of opportunities and purchases by recency state
    opp, buy = np.zeros(5), np.zeros(5)
    for row in act:
        last = 0
        for t in range(1, act.shape[1]):
            k = min(t - last, 5)
            opp[k - 1] += 1
            if row[t]:
                buy[k - 1] += 1
                last = t
    np.testing.assert_allclose(model.p_, buy / opp, rtol=1e-12)
    assert model.p_.is_monotonic_decreasing
    values = model.customer_values(discount_rate=0.10, cost_per_period=2.0)
    assert len(values) == 23_570
    assert np.isfinite(values[["value", "value_policy"]].to_numpy()).all()
    assert values["state"].between(1, 5).all()
    last = act.shape[1] - 1 - np.argmax(act[:, ::-1], axis=1)
    np.testing.assert_array_equal(values["state"], np.minimum(act.shape[1] - last, 5))
    assert (values["value_policy"] >= values["value"] - 1e-9).all()
    # predict on the same log values each customer from the same state, without refitting
    table = model.set_params(cost=2.0).predict(tx, discount_rate=0.10)
    np.testing.assert_allclose(table["value"], values["value"], rtol=1e-12)
    np.testing.assert_array_equal(table.index.get_level_values("state"), values["state"])


def test_lost_for_good_predict_on_cdnow(tx):
    model = dw.LostForGood(retention="sbg", unit="Q").fit(tx)
    table = model.predict(tx, horizon=8, interval=0.9, n_draws=300, random_seed=0)
    assert table["expected_alive"].iloc[0] == 23_570 == model.n_obs_
    np.testing.assert_allclose(table["expected_alive"], 23_570 * model.survival(range(8)))
    assert (table["expected_alive_lower"] <= table["expected_alive"]).all()
    assert (table["expected_alive"] <= table["expected_alive_upper"]).all()
    assert model.data_provenance_["transactions"] == len(tx)
