"""BG/BB predictions against a simulation of the BG/BB process
(clvkit.simulate.simulate_beta_geo_beta_binom), within 4 Monte-Carlo standard errors."""

import numpy as np
import pandas as pd
import pytest
from mc_helpers import within_mc_error

from clvkit.models._math import beta_geo_beta_binom as bgbb
from clvkit.models.beta_geo_beta_binom import BetaGeoBetaBinom
from clvkit.simulate.beta_geo_beta_binom import simulate_beta_geo_beta_binom

PARAMS = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


def _true_model() -> BetaGeoBetaBinom:
    return BetaGeoBetaBinom.from_params(PARAMS, unit="Y")



@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    return simulate_beta_geo_beta_binom(PARAMS, 60_000, n_periods=6, holdout=5, random_seed=41)


def test_fit_recovers_true_parameters(simulated):
    s = BetaGeoBetaBinom().fit(simulated[["frequency", "recency", "n_periods"]]).summary()
    for name, value in PARAMS.items():
        assert abs(s.loc[name, "estimate"] - value) < 4 * s.loc[name, "std_error"], name


def test_conditional_expectations_and_p_alive_match_simulation(simulated):
    model = _true_model()
    predicted = model.expected_purchases(simulated, 5).to_numpy()
    actual = simulated["frequency_holdout"].to_numpy(float)
    p = model.p_alive(simulated).to_numpy()
    alive = simulated["alive_at_n"].to_numpy(float)
    within_mc_error(actual, predicted)
    within_mc_error(alive, p)
    for x in range(7):
        group = (simulated["frequency"] == x).to_numpy()
        within_mc_error(actual[group], predicted[group])
        within_mc_error(alive[group], p[group])


def test_unconditional_mean_and_pmf_match_simulation(simulated):
    model = _true_model()
    counts = simulated["frequency"].to_numpy()
    within_mc_error(counts.astype(float), np.full(len(counts), model.expected_purchases_new(6)))
    probs = model.purchase_pmf(np.arange(7), 6)
    for n, prob in enumerate(probs):
        se = np.sqrt(prob * (1 - prob) / len(counts))
        assert abs((counts == n).mean() - prob) < 4 * se, n
    # P(alive at n + 1) is P(alive at n) times the posterior survival of one more opportunity
    x, t_x, n = (simulated[c].to_numpy(float)[:500] for c in ("frequency", "recency", "n_periods"))
    p = np.array(list(PARAMS.values()))
    assert np.all(bgbb.p_alive(p, x, t_x, n, ahead=1.0) < bgbb.p_alive(p, x, t_x, n))
