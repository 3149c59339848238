"""BG/NBD predictions against a simulation of the BG/NBD process (clvkit.simulate).

The simulator draws each customer's rate and drop-out probability and plays the purchase
process forward; the model's conditional expectations must match the simulated holdout
within Monte-Carlo error (4 standard errors).
"""

import numpy as np
import pytest
from mc_helpers import within_mc_error

import clvkit as ck
from clvkit.simulate import simulate_beta_geo

PARAMS = {"r": 0.6, "alpha": 5.0, "a": 0.9, "b": 2.5}


@pytest.fixture(scope="module")
def simulated():
    sim = simulate_beta_geo(PARAMS, 60_000, T=(20.0, 40.0), holdout=30.0, random_seed=7)
    return sim, ck.BetaGeo.from_params(PARAMS)  # predict with the true parameters



def test_fit_recovers_true_parameters(simulated):
    sim, _ = simulated
    fitted = ck.BetaGeo().fit(sim[["frequency", "recency", "T"]])
    s = fitted.summary()
    for name, value in PARAMS.items():
        assert abs(s.loc[name, "estimate"] - value) < 4 * s.loc[name, "std_error"], name


def test_conditional_expected_purchases_match_simulated_holdout(simulated):
    sim, model = simulated
    predicted = model.expected_purchases(sim, 30.0).to_numpy()
    actual = sim["frequency_holdout"].to_numpy(float)
    within_mc_error(actual, predicted)
    for lo, hi in [(0, 0), (1, 2), (3, 6), (7, 10_000)]:
        group = (sim["frequency"] >= lo) & (sim["frequency"] <= hi)
        within_mc_error(actual[group], predicted[group])


def test_p_alive_matches_simulated_survival(simulated):
    sim, model = simulated
    p = model.p_alive(sim).to_numpy()
    alive = sim["alive_at_T"].to_numpy(float)
    within_mc_error(alive, p)
    repeaters = sim["frequency"].to_numpy() > 0
    within_mc_error(alive[repeaters], p[repeaters])


def test_unconditional_pmf_and_mean_match_simulation():
    t = 26.0
    sim = simulate_beta_geo(PARAMS, 80_000, T=t, random_seed=11)
    model = ck.BetaGeo.from_params(PARAMS)
    counts = sim["frequency"].to_numpy()
    within_mc_error(counts.astype(float), np.full(len(counts), model.expected_purchases_new(t)))
    for n in range(5):
        empirical = (counts == n).mean()
        prob = model.purchase_pmf(n, t)
        se = np.sqrt(prob * (1 - prob) / len(counts))
        assert abs(empirical - prob) < 4 * se, n
