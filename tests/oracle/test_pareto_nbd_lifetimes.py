"""Pareto/NBD against lifetimes' ParetoNBDFitter on the same parameters and 1,200 random rows.

lifetimes evaluates the likelihood's 2F1 with scipy's hyp2f1 on the note's two branches; we use
a positive series of our own (clvkit/models/_math/pareto_nbd.py). Both are set to the same
parameters (lifetimes' ``params_`` assigned directly), then every quantity lifetimes has is
compared to 1e-6 relative.
"""

import numpy as np
import pandas as pd
import pytest

from clvkit.models._math import pareto_nbd as pnbd
from clvkit.models.pareto_nbd import ParetoNBD

lifetimes = pytest.importorskip("lifetimes")

PARAM_SETS = [
    {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669},   # CDNOW (alpha < beta)
    {"r": 1.7, "alpha": 25.0, "s": 1.3, "beta": 4.0},             # alpha > beta
    {"r": 0.3, "alpha": 2.0, "s": 1.001, "beta": 2.0},            # alpha = beta, s near 1
]


def _rows(n: int = 1200, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 40, n)
    T = rng.uniform(0.5, 80.0, n)
    t_x = np.where(x > 0, T * rng.uniform(0, 1, n), 0.0)
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": T})


def _pair(params):
    ours = ParetoNBD()
    ours.params_ = pd.Series(params)[list(ours.param_names)]
    ours.unit_ = "W"
    theirs = lifetimes.ParetoNBDFitter()
    theirs.params_ = pd.Series(params)[["r", "alpha", "s", "beta"]]
    return ours, theirs


@pytest.mark.parametrize("params", PARAM_SETS)
def test_loglik_p_alive_and_expectations_agree(params):
    rows = _rows()
    ours, theirs = _pair(params)
    x, t_x, T = (rows[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    p = np.array([params[k] for k in ("r", "alpha", "s", "beta")])
    ll_ours = pnbd.loglik_and_grad(p, pnbd.prepare(x, t_x, T))[0]
    ll_theirs = lifetimes.ParetoNBDFitter._conditional_log_likelihood(p, x, t_x, T)
    np.testing.assert_allclose(ll_ours, ll_theirs, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.p_alive(rows).to_numpy(),
                               theirs.conditional_probability_alive(x, t_x, T), rtol=1e-6, atol=1e-12)
    for t in (1.0, 13.0, 52.0):
        np.testing.assert_allclose(
            ours.expected_purchases(rows, t).to_numpy(),
            theirs.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, T), rtol=1e-6)
    times = np.array([0.5, 4.0, 39.0, 200.0])
    np.testing.assert_allclose(ours.expected_purchases_new(times),
                               theirs.expected_number_of_purchases_up_to_time(times), rtol=1e-6)


def test_fit_matches_lifetimes_optimum_on_cdnow(cdnow_published_summary):
    # lifetimes' Nelder-Mead optimum should not beat ours on the same likelihood.
    frame = cdnow_published_summary.frame
    ours = ParetoNBD().fit(cdnow_published_summary)
    theirs = lifetimes.ParetoNBDFitter().fit(frame["frequency"], frame["recency"], frame["T"])
    ll_theirs = lifetimes.ParetoNBDFitter._conditional_log_likelihood(
        theirs.params_[["r", "alpha", "s", "beta"]].to_numpy(), frame["frequency"].to_numpy(),
        frame["recency"].to_numpy(), frame["T"].to_numpy()).sum()
    assert ours.loglik_ >= ll_theirs - 1e-6
    assert ours.loglik_ - ll_theirs < 0.05
