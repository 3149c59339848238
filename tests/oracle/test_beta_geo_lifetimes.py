"""BG/NBD and Gamma-Gamma predictions against lifetimes 0.11.3 on the same parameters and rows.

lifetimes is the reference implementation our users know; we set its fitted parameters to ours
so that only the prediction formulas are compared.
"""

import numpy as np
import pandas as pd
import pytest

import clvkit as ck

lifetimes = pytest.importorskip("lifetimes")


@pytest.fixture(scope="module")
def random_rows():
    rng = np.random.default_rng(20261124)
    n = 2000
    T = rng.uniform(1.0, 80.0, n)
    x = rng.integers(0, 40, n).astype(float)
    t_x = np.where(x > 0, rng.uniform(0, 1, n) * T, 0.0)
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": T})


def _lifetimes_bg(params):
    lt = lifetimes.BetaGeoFitter()
    lt.params_ = pd.Series(params, index=["r", "alpha", "a", "b"])
    return lt


@pytest.mark.parametrize("params", [(0.243, 4.414, 0.793, 2.426), (1.5, 12.0, 2.5, 0.7), (0.4, 0.8, 0.3, 6.0)])
def test_conditional_predictions_match_lifetimes(params, random_rows):
    m = ck.BetaGeo.from_params(dict(zip(["r", "alpha", "a", "b"], params, strict=True)))
    lt = _lifetimes_bg(params)
    f, r, T = random_rows["frequency"], random_rows["recency"], random_rows["T"]
    for t in (1.0, 13.0, 52.0):
        ours = m.expected_purchases(random_rows, t).to_numpy()
        theirs = lt.conditional_expected_number_of_purchases_up_to_time(t, f, r, T).to_numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(m.p_alive(random_rows).to_numpy(),
                               lt.conditional_probability_alive(f, r, T), rtol=1e-6, atol=1e-12)


def test_new_customer_quantities_match_lifetimes(cdnow_published_summary):
    m = ck.BetaGeo().fit(cdnow_published_summary)
    lt = _lifetimes_bg(m.params_.to_numpy())
    t = np.array([0.5, 5.0, 39.0, 78.0])
    np.testing.assert_allclose(m.expected_purchases_new(t), lt.expected_number_of_purchases_up_to_time(t),
                               rtol=1e-6)
    for n in range(6):
        assert m.purchase_pmf(n, 39.0) == pytest.approx(
            float(lt.probability_of_n_purchases_up_to_time(39.0, n)), rel=1e-6)


def test_loglik_matches_lifetimes(cdnow_published_summary):
    m = ck.BetaGeo().fit(cdnow_published_summary)
    p = m.params_.to_numpy()
    f, r, T = (cdnow_published_summary.frame[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    theirs = -lifetimes.BetaGeoFitter._negative_log_likelihood(
        np.log(p), f, r, T, np.ones(len(f)), 0.0) * len(f)
    assert m.loglik_ == pytest.approx(theirs, rel=1e-9)


def test_gamma_gamma_matches_lifetimes(cdnow_published_summary):
    g = ck.GammaGamma().fit(cdnow_published_summary)
    lt = lifetimes.GammaGammaFitter()
    lt.params_ = pd.Series(g.params_.to_numpy(), index=["p", "q", "v"])
    frame = cdnow_published_summary.frame
    ours = g.expected_spend(cdnow_published_summary).to_numpy()
    theirs = lt.conditional_expected_average_profit(frame["frequency"], frame["monetary_value"]).to_numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)
