"""Pareto/NBD predictions against a simulation of the Pareto/NBD process
(clvkit.simulate.simulate_pareto_nbd draws each customer's rates and lifetime and plays the
process forward). Model quantities at the true parameters must match the simulated outcomes
within Monte-Carlo error (4 standard errors)."""

import numpy as np
import pandas as pd
import pytest
from mc_helpers import within_mc_error

from clvkit.models.pareto_nbd import ParetoNBD
from clvkit.simulate.pareto_nbd import simulate_pareto_nbd

PARAMS = {"r": 0.8, "alpha": 8.0, "s": 0.7, "beta": 12.0}


def _true_model() -> ParetoNBD:
    return ParetoNBD.from_params(PARAMS, unit="W")



@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    return simulate_pareto_nbd(PARAMS, 60_000, T=(20.0, 40.0), holdout=30.0, resolution=1 / 7,
                               random_seed=21)


def test_fit_recovers_true_parameters(simulated):
    s = ParetoNBD().fit(simulated[["frequency", "recency", "T"]]).summary()
    for name, value in PARAMS.items():
        assert abs(s.loc[name, "estimate"] - value) < 4 * s.loc[name, "std_error"], name


def test_conditional_expected_purchases_match_simulated_holdout(simulated):
    model = _true_model()
    predicted = model.expected_purchases(simulated, 30.0).to_numpy()
    actual = simulated["frequency_holdout"].to_numpy(float)
    within_mc_error(actual, predicted)
    for lo, hi in [(0, 0), (1, 2), (3, 6), (7, 10_000)]:
        group = ((simulated["frequency"] >= lo) & (simulated["frequency"] <= hi)).to_numpy()
        within_mc_error(actual[group], predicted[group])


def test_p_alive_matches_simulated_survival(simulated):
    p = _true_model().p_alive(simulated).to_numpy()
    alive = simulated["alive_at_T"].to_numpy(float)
    within_mc_error(alive, p)
    for group in (simulated["frequency"].to_numpy() == 0, simulated["frequency"].to_numpy() > 3):
        within_mc_error(alive[group], p[group])


def test_unconditional_mean_and_pmf_match_simulation():
    t = 26.0
    counts = simulate_pareto_nbd(PARAMS, 80_000, T=t, random_seed=23)["frequency"].to_numpy()
    model = _true_model()
    within_mc_error(counts.astype(float), np.full(len(counts), model.expected_purchases_new(t)))
    probs = model.purchase_pmf(np.arange(6), t)
    for n, prob in enumerate(probs):
        se = np.sqrt(prob * (1 - prob) / len(counts))
        assert abs((counts == n).mean() - prob) < 4 * se, n
