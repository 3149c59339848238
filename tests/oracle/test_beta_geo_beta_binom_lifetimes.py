"""BG/BB against lifetimes' BetaGeoBetaBinomFitter on the same parameters (``params_`` assigned
directly), on every valid (x, t_x, n) history with n up to 18 (1,158 rows) and on the donations
data. Agreement to 1e-6 relative."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import betaln

from clvkit.data.datasets import load_donations
from clvkit.models._math import beta_geo_beta_binom as bgbb
from clvkit.models.beta_geo_beta_binom import BetaGeoBetaBinom

lifetimes = pytest.importorskip("lifetimes")

PARAM_SETS = [
    {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783},
    {"alpha": 0.4, "beta": 3.0, "gamma": 2.5, "delta": 6.0},
]


def _histories(max_n: int = 18) -> pd.DataFrame:
    rows = [(0, 0, n) for n in range(1, max_n + 1)]
    rows += [(x, t_x, n) for n in range(1, max_n + 1) for t_x in range(1, n + 1) for x in range(1, t_x + 1)]
    return pd.DataFrame(rows, columns=["frequency", "recency", "n_periods"])


@pytest.mark.parametrize("params", PARAM_SETS)
def test_predictions_agree_with_lifetimes(params):
    rows = _histories()
    assert len(rows) >= 1000
    x, t_x, n = (rows[c].to_numpy(float) for c in ("frequency", "recency", "n_periods"))
    ours = BetaGeoBetaBinom()
    ours.params_ = pd.Series(params)[list(ours.param_names)]
    ours.unit_ = "Y"
    theirs = lifetimes.BetaGeoBetaBinomFitter()
    theirs.params_ = pd.Series(params)[["alpha", "beta", "gamma", "delta"]]
    p = np.array([params[k] for k in ("alpha", "beta", "gamma", "delta")])
    # lifetimes adds 1e-15 to the sum of beta-function products before dividing by
    # B(alpha, beta) B(gamma, delta), i.e. eps below to every likelihood; that moves long
    # histories (L ~ 1e-10) by up to 1e-5 relative. We add the same eps to ours, so that what is
    # compared is the formulas, to 1e-6 relative.
    ll = bgbb.loglik(p, x, t_x, n)
    eps = 1e-15 * np.exp(-betaln(p[0], p[1]) - betaln(p[2], p[3]))
    shrink = np.exp(ll) / (np.exp(ll) + eps)
    np.testing.assert_allclose(np.logaddexp(ll, np.log(eps)),
                               lifetimes.BetaGeoBetaBinomFitter._loglikelihood(p, x, t_x, n), rtol=1e-9)
    np.testing.assert_allclose(ll, lifetimes.BetaGeoBetaBinomFitter._loglikelihood(p, x, t_x, n), rtol=1e-6)
    np.testing.assert_allclose(ours.p_alive(rows).to_numpy() * shrink,
                               theirs.conditional_probability_alive(0, x, t_x, n), rtol=1e-6)
    np.testing.assert_allclose(ours.p_alive_next_period(rows).to_numpy() * shrink,
                               theirs.conditional_probability_alive(1, x, t_x, n), rtol=1e-6)
    assert (ours.p_alive_next_period(rows) <= ours.p_alive(rows) + 1e-15).all()
    for horizon in (1, 5, 20):
        np.testing.assert_allclose(
            ours.expected_purchases(rows, horizon).to_numpy() * shrink,
            theirs.conditional_expected_number_of_purchases_up_to_time(horizon, x, t_x, n), rtol=1e-6)
    short = n <= 8  # where eps is negligible, no correction is needed at all
    np.testing.assert_allclose(ours.p_alive(rows).to_numpy()[short],
                               theirs.conditional_probability_alive(0, x, t_x, n)[short], rtol=1e-6)


def test_pmf_agrees_with_lifetimes_on_donations():
    donations = load_donations()
    ours = BetaGeoBetaBinom().fit(donations)
    theirs = lifetimes.BetaGeoBetaBinomFitter().fit(
        donations["frequency"], donations["recency"], donations["n_periods"], donations["weight"])
    theirs.params_ = ours.params_.copy()
    expected = theirs.expected_number_of_transactions_in_first_n_periods(6)["model"]
    ours_counts = ours.purchase_pmf(expected.index.to_numpy(), 6) * donations["weight"].sum()
    np.testing.assert_allclose(ours_counts, expected.to_numpy(), rtol=1e-6)
