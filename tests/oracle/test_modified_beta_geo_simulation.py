"""MBG/NBD predictions against a simulation of the MBG/NBD process
(clvkit.simulate.simulate_modified_beta_geo), within 4 Monte-Carlo standard errors."""

import numpy as np
import pandas as pd
import pytest

from clvkit.models.modified_beta_geo import ModifiedBetaGeo
from clvkit.simulate.modified_beta_geo import simulate_modified_beta_geo

PARAMS = {"r": 0.6, "alpha": 5.0, "a": 0.9, "b": 2.5}


def _true_model() -> ModifiedBetaGeo:
    model = ModifiedBetaGeo()
    model.params_ = pd.Series(PARAMS)[list(model.param_names)]
    model.unit_ = "W"
    return model


def _within_mc_error(actual: np.ndarray, predicted: np.ndarray, k: float = 4.0) -> None:
    diff = actual - predicted
    se = diff.std(ddof=1) / np.sqrt(len(diff))
    assert abs(diff.mean()) < k * se + 1e-12, (diff.mean(), se)


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    return simulate_modified_beta_geo(PARAMS, 50_000, T=(20.0, 40.0), holdout=30.0, random_seed=31)


def test_fit_recovers_true_parameters(simulated):
    s = ModifiedBetaGeo().fit(simulated[["frequency", "recency", "T"]]).summary()
    for name, value in PARAMS.items():
        assert abs(s.loc[name, "estimate"] - value) < 4 * s.loc[name, "std_error"], name


def test_conditional_expected_purchases_and_p_alive_match_simulation(simulated):
    model = _true_model()
    predicted = model.expected_purchases(simulated, 30.0).to_numpy()
    actual = simulated["frequency_holdout"].to_numpy(float)
    p = model.p_alive(simulated).to_numpy()
    alive = simulated["alive_at_T"].to_numpy(float)
    _within_mc_error(actual, predicted)
    _within_mc_error(alive, p)
    for lo, hi in [(0, 0), (1, 2), (3, 10_000)]:
        group = ((simulated["frequency"] >= lo) & (simulated["frequency"] <= hi)).to_numpy()
        _within_mc_error(actual[group], predicted[group])
        _within_mc_error(alive[group], p[group])


def test_unconditional_mean_and_pmf_match_simulation():
    t = 26.0
    counts = simulate_modified_beta_geo(PARAMS, 60_000, T=t, random_seed=33)["frequency"].to_numpy()
    model = _true_model()
    _within_mc_error(counts.astype(float), np.full(len(counts), model.expected_purchases_new(t)))
    for n in range(5):
        prob = model.purchase_pmf(n, t)
        se = np.sqrt(prob * (1 - prob) / len(counts))
        assert abs((counts == n).mean() - prob) < 4 * se, n
