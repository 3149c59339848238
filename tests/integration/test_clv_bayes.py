"""ck.clv takes the Bayesian BG/NBD like any purchase model: on the CDNOW sample its posterior-mean CLV
agrees with the MLE's and its credible bounds hold the MLE value."""

import warnings

import numpy as np
import pandas as pd
import pytest

import clvkit as ck

pytestmark = pytest.mark.bayes


@pytest.fixture(scope="module")
def fitted():
    data = ck.summarize(ck.datasets.load_cdnow(sample=True), calibration_end="1997-09-30", end="1998-06-30")
    mle = ck.BetaGeo().fit(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ck.ConvergenceWarning)
        bayes = ck.bayes.BetaGeo().fit(data, draws=500, tune=500, chains=2, random_seed=11)
    spend = ck.GammaGamma().fit(data)
    return data, mle, bayes, spend


def test_posterior_mean_clv_matches_the_mle_and_bounds_hold_it(fitted):
    data, mle, bayes, spend = fitted
    point = ck.clv(mle, data, 52, spend=spend, discount_rate=0.10, margin_rate=0.3)
    post = ck.clv(bayes, data, 52, spend=spend, discount_rate=0.10, margin_rate=0.3, interval=0.9, n_draws=400)
    total_mle, total_bayes = point["clv"].sum(), post["clv"].sum()
    assert abs(total_bayes / total_mle - 1.0) < 0.02
    assert post["clv_lower"].sum() <= total_mle <= post["clv_upper"].sum()
    inside = (post["clv_lower"] <= point["clv"] * (1 + 1e-9)) & (point["clv"] <= post["clv_upper"] * (1 + 1e-9))
    assert inside.mean() > 0.95
    # the posterior mean is the mean over draws, not the value at the mean parameters
    draws = bayes._parameter_draws(400, None)
    rows = data.frame[["frequency", "recency", "T"]].to_numpy(float)[:50]
    delta = np.log(1.1) / (365.25 / 7)
    per_draw = np.array([mle._discounted_purchases_rows(p, rows, 52.0, delta) for p in draws])
    np.testing.assert_allclose(post["discounted_purchases"].to_numpy()[:50], per_draw.mean(axis=0), rtol=1e-9)


def test_bayes_clv_infinite_horizon_is_finite_and_larger(fitted):
    data, _, bayes, spend = fitted
    year = ck.clv(bayes, data, 52, spend=spend, n_draws=100)
    forever = ck.clv(bayes, data, None, spend=spend, n_draws=100)
    assert np.isfinite(forever["clv"]).all()
    assert (forever["clv"] >= year["clv"] - 1e-9).all()


def test_cli_scores_a_saved_bayesian_model(fitted, tmp_path):
    from clvkit.cli import main
    from clvkit.tables import write_table

    data, _, bayes, spend = fitted
    bayes.save(tmp_path / "bgnbd.nc")
    spend.save(tmp_path / "gg.json")
    write_table(data.frame, tmp_path / "summary.parquet", metadata={"kind": "customer_summary", "unit": "W"})
    out = tmp_path / "scores.csv"
    assert main(["score", str(tmp_path / "summary.parquet"), "--model", str(tmp_path / "bgnbd.nc"),
                 "--spend-model", str(tmp_path / "gg.json"), "--out", str(out), "--horizon", "52",
                 "--n-draws", "100", "--quiet"]) == 0
    scores = pd.read_csv(out, index_col=0)
    expected = ck.score(bayes, data, 52, spend=spend, n_draws=100, progress=False)
    np.testing.assert_allclose(scores.loc[expected.index, "clv"], expected["clv"], rtol=1e-9)
