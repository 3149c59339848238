"""MBG/NBD predictions against a simulation of the MBG/NBD process
(clvkit.simulate.simulate_modified_beta_geo), within 4 Monte-Carlo standard errors."""

import numpy as np
import pandas as pd
import pytest
from mc_helpers import within_mc_error

from clvkit.models.modified_beta_geo import ModifiedBetaGeo
from clvkit.simulate.modified_beta_geo import simulate_modified_beta_geo

PARAMS = {"r": 0.6, "alpha": 5.0, "a": 0.9, "b": 2.5}


def _true_model() -> ModifiedBetaGeo:
    return ModifiedBetaGeo.from_params(PARAMS, unit="W")



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
    within_mc_error(actual, predicted)
    within_mc_error(alive, p)
    for lo, hi in [(0, 0), (1, 2), (3, 10_000)]:
        group = ((simulated["frequency"] >= lo) & (simulated["frequency"] <= hi)).to_numpy()
        within_mc_error(actual[group], predicted[group])
        within_mc_error(alive[group], p[group])


def test_unconditional_mean_and_pmf_match_simulation():
    t = 26.0
    counts = simulate_modified_beta_geo(PARAMS, 60_000, T=t, random_seed=33)["frequency"].to_numpy()
    model = _true_model()
    within_mc_error(counts.astype(float), np.full(len(counts), model.expected_purchases_new(t)))
    for n in range(5):
        prob = model.purchase_pmf(n, t)
        se = np.sqrt(prob * (1 - prob) / len(counts))
        assert abs((counts == n).mean() - prob) < 4 * se, n
