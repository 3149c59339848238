"""MBG/NBD against lifetimes' ModifiedBetaGeoFitter on the same parameters and 1,200 random rows
(lifetimes' ``params_`` assigned directly); agreement to 1e-6 relative."""

import numpy as np
import pandas as pd
import pytest

from clvkit.models._math import modified_beta_geo as mbg
from clvkit.models.modified_beta_geo import ModifiedBetaGeo

lifetimes = pytest.importorskip("lifetimes")

PARAM_SETS = [
    {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614},
    {"r": 2.0, "alpha": 15.0, "a": 3.5, "b": 9.0},
]


def _rows(n: int = 1200, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 40, n)
    T = rng.uniform(0.5, 80.0, n)
    t_x = np.where(x > 0, T * rng.uniform(0, 1, n), 0.0)
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": T})


@pytest.mark.parametrize("params", PARAM_SETS)
def test_predictions_agree_with_lifetimes(params):
    rows = _rows()
    x, t_x, T = (rows[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    ours = ModifiedBetaGeo()
    ours.params_ = pd.Series(params)[list(ours.param_names)]
    ours.unit_ = "W"
    theirs = lifetimes.ModifiedBetaGeoFitter()
    theirs.params_ = pd.Series(params)[["r", "alpha", "a", "b"]]
    np.testing.assert_allclose(ours.p_alive(rows).to_numpy(),
                               theirs.conditional_probability_alive(x, t_x, T), rtol=1e-6)
    for t in (1.0, 13.0, 52.0):
        np.testing.assert_allclose(
            ours.expected_purchases(rows, t).to_numpy(),
            theirs.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, T), rtol=1e-6)
    times = np.array([0.5, 4.0, 39.0, 200.0])
    np.testing.assert_allclose(ours.expected_purchases_new(times),
                               theirs.expected_number_of_purchases_up_to_time(times), rtol=1e-6)
    for n in range(6):
        assert ours.purchase_pmf(n, 26.0) == pytest.approx(
            float(theirs.probability_of_n_purchases_up_to_time(26.0, n)), rel=1e-6)
    p = np.array([params[k] for k in ("r", "alpha", "a", "b")])
    ll_theirs = -lifetimes.ModifiedBetaGeoFitter._negative_log_likelihood(
        np.log(p), x, t_x, T, np.ones(len(x)), 0.0) * len(x)
    assert mbg.loglik_and_grad(p, x, t_x, T)[0].sum() == pytest.approx(ll_theirs, rel=1e-9)


def test_fit_is_at_least_as_good_as_lifetimes_on_cdnow(cdnow_published_summary):
    frame = cdnow_published_summary.frame
    ours = ModifiedBetaGeo().fit(cdnow_published_summary)
    theirs = lifetimes.ModifiedBetaGeoFitter().fit(frame["frequency"], frame["recency"], frame["T"])
    p = theirs.params_[["r", "alpha", "a", "b"]].to_numpy()
    x, t_x, T = (frame[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    ll_theirs = mbg.loglik_and_grad(p, x, t_x, T)[0].sum()
    assert ours.loglik_ >= ll_theirs - 1e-6
    np.testing.assert_allclose(ours.params_.to_numpy(), p, rtol=1e-3)
