"""bayes.BetaGeo on the CDNOW sample against the published MLE and independent computations.

Expected values: REFERENCE.md (Fader, Hardie & Lee 2005: r 0.243, alpha 4.414, a 0.793,
b 2.426), the numpy log-likelihood of clvkit.models._math.beta_geo (itself checked against the
published -9582.43 in tests/published), and direct (unchunked) averages over posterior draws.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.data.customer_data import CustomerData
from clvkit.errors import DataError, NotFittedError
from clvkit.models._math import beta_geo as bgnbd

pytestmark = pytest.mark.bayes

PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def test_posterior_means_within_two_sd_of_published_mle(bg_fit):
    summary = bg_fit.summary()
    for name, mle in PUBLISHED.items():
        row = summary.loc[name]
        assert abs(row["estimate"] - mle) < 2 * row["std_error"], (name, row["estimate"], mle, row["std_error"])
        assert row["r_hat"] < 1.01, (name, row["r_hat"])
        assert row["ess_bulk"] > 200 and row["ess_tail"] > 200
    assert summary["divergences"].iloc[0] == 0
    assert bg_fit.n_unique_ < 1100 and bg_fit.n_obs_ == 2357  # sampled on compressed rows
    assert bg_fit.converged_ is True
    np.testing.assert_allclose(bg_fit.params_.to_numpy(), bg_fit.param_draws(None).mean(axis=0), rtol=1e-12)


def test_pytensor_loglik_equals_numpy_loglik(cdnow_summary):
    import pytensor
    import pytensor.tensor as pt

    from clvkit.bayes.beta_geo import bgnbd_loglik_graph

    packed = cdnow_summary.compressed(("frequency", "recency", "T"))
    rows, w = packed.rows, packed.weights
    symbols = pt.dscalars("r", "alpha", "a", "b")
    fn = pytensor.function(list(symbols), bgnbd_loglik_graph(*symbols, rows[:, 0], rows[:, 1], rows[:, 2], w))
    for params in ([0.243, 4.414, 0.793, 2.426], [1.3, 0.7, 2.5, 0.4], [0.05, 30.0, 0.2, 9.0]):
        expected = w @ bgnbd.loglik_and_grad(np.array(params), rows[:, 0], rows[:, 1], rows[:, 2])[0]
        assert abs(float(fn(*params)) - expected) < 1e-8 * abs(expected)
    # at the published estimates the total is the published log-likelihood
    assert abs(float(fn(0.243, 4.414, 0.793, 2.426)) - (-9582.43)) < 0.05


def test_chunked_prediction_equals_unchunked(bg_fit, cdnow_summary):
    from clvkit.bayes.beta_geo import chunked_posterior

    small = cdnow_summary.with_frame(cdnow_summary.frame.iloc[:60])
    rows = small.frame[["frequency", "recency", "T"]].to_numpy(dtype=float)
    draws = bg_fit.param_draws(None)  # every draw, no thinning
    full = np.array([bgnbd.expected_purchases(p, rows[:, 0], rows[:, 1], rows[:, 2], 26.0) for p in draws])
    mean, lower, upper = chunked_posterior(
        lambda p, r: bgnbd.expected_purchases(p, r[:, 0], r[:, 1], r[:, 2], 26.0), draws, rows, 0.9,
        chunk_cells=len(draws) * 7)  # 7 rows per chunk
    np.testing.assert_allclose(mean, full.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(lower, np.quantile(full, 0.05, axis=0), rtol=1e-12)
    np.testing.assert_allclose(upper, np.quantile(full, 0.95, axis=0), rtol=1e-12)
    # the public method (compression + chunks + expansion) gives the same numbers
    out = bg_fit.predict(small, 26.0, interval=0.9, n_draws=len(draws), chunk_cells=500)
    np.testing.assert_allclose(out["expected_purchases"].to_numpy(), full.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(out["expected_purchases_lower"].to_numpy(), np.quantile(full, 0.05, axis=0),
                               rtol=1e-12)
    direct = np.array([bgnbd.p_alive(p, rows[:, 0], rows[:, 1], rows[:, 2]) for p in draws])
    np.testing.assert_allclose(out["p_alive"].to_numpy(), direct.mean(axis=0), rtol=1e-12)
    assert ((out["p_alive_lower"] >= 0) & (out["p_alive_upper"] <= 1)
            & (out["p_alive_lower"] <= out["p_alive"])).all()
    alive = bg_fit.p_alive(small, n_draws=None, chunk_cells=500)  # the quantity method: a Series
    assert alive.name == "p_alive"
    np.testing.assert_allclose(alive.to_numpy(), direct.mean(axis=0), rtol=1e-12)


def test_predict_and_clv_shapes_and_ordering(bg_fit, cdnow_summary):
    small = cdnow_summary.with_frame(cdnow_summary.frame.iloc[:200])
    pred = bg_fit.predict(small, 39.0, interval=0.9, n_draws=100)
    assert list(pred.index) == list(small.index)
    assert (pred["expected_purchases_lower"] <= pred["expected_purchases"]).all()
    assert (pred["expected_purchases"] <= pred["expected_purchases_upper"]).all()
    longer = bg_fit.expected_purchases(small, 78.0)  # over every draw, as predict's point value
    assert (longer >= pred["expected_purchases"] - 1e-12).all()
    with pytest.warns(FutureWarning, match=r"ck\.clv\(model, data, horizon, spend=\.\.\.\)"):
        value = bg_fit.clv(small, 52.0, discount_rate=0.0, n_draws=50)
        spend = small.frame["monetary_value"]
        priced = bg_fit.clv(small, 52.0, discount_rate=0.1, spend=spend, margin=0.3, n_draws=50)
        discounted = bg_fit.clv(small, 52.0, discount_rate=0.1, n_draws=50)
    undiscounted = bg_fit.expected_purchases(small, 52.0, n_draws=50)
    np.testing.assert_allclose(value["mean"], undiscounted, rtol=1e-6)
    np.testing.assert_allclose(priced["mean"], 0.3 * spend * discounted["mean"], rtol=1e-12)
    assert (discounted["mean"] <= undiscounted + 1e-9).all()


def test_expected_purchases_new_against_simulation(bg_fit):
    from clvkit.simulate import simulate_beta_geo

    out = bg_fit.expected_purchases_new([39.0], interval=0.9)
    # posterior-mean parameters: a simulated population's mean count lies in the band
    params = dict(zip(("r", "alpha", "a", "b"), bg_fit.param_draws(None).mean(axis=0), strict=True))
    sim = simulate_beta_geo(params, 200_000, T=39.0, random_seed=4)
    assert out["expected_purchases_new_lower"].iloc[0] < sim["frequency"].mean()
    assert sim["frequency"].mean() < out["expected_purchases_new_upper"].iloc[0]
    point = bg_fit.expected_purchases_new([39.0])
    assert point.name == "expected_purchases_new" and point.iloc[0] == out["expected_purchases_new"].iloc[0]


def test_repeat_purchase_posterior_predictive(bg_fit, cdnow_summary):
    ppc = bg_fit.repeat_purchase_ppc(cdnow_summary, max_frequency=7, interval=0.9, random_seed=1)
    observed = np.bincount(np.minimum(cdnow_summary.frame["frequency"], 7), minlength=8)
    np.testing.assert_array_equal(ppc["observed"].to_numpy(), observed)
    assert list(ppc.columns) == ["observed", "predicted", "predicted_lower", "predicted_upper"]
    assert abs(ppc["predicted"].sum() - 2357) < 1e-6
    inside = (ppc["predicted_lower"] <= ppc["observed"]) & (ppc["observed"] <= ppc["predicted_upper"])
    assert inside.sum() >= 6, ppc


def test_bad_input(bg_fit, cdnow_summary):
    from clvkit.bayes import BetaGeo

    days = CustomerData.from_frame(cdnow_summary.frame, unit="D")
    with pytest.raises(DataError, match="unit"):
        bg_fit.p_alive(days)
    with pytest.raises(DataError, match="horizon"):
        bg_fit.expected_purchases(cdnow_summary, -1.0)
    with pytest.raises(DataError, match="interval"):
        bg_fit.predict(cdnow_summary, 1.0, interval=1.5)
    with pytest.raises(DataError, match="needs a horizon"):
        bg_fit.predict(cdnow_summary)
    zero_t = pd.DataFrame({"frequency": [0, 1], "recency": [0.0, 0.0], "T": [0.0, 3.0]})
    with pytest.raises(DataError, match="'T'"):
        BetaGeo().fit(zero_t, draws=10)
    with pytest.raises(NotFittedError):
        BetaGeo().p_alive(cdnow_summary)


def test_save_load_roundtrip(bg_fit, cdnow_summary, tmp_path):
    from clvkit.bayes import BetaGeo
    from clvkit.bayes._base import load

    path = tmp_path / "bg.nc"
    bg_fit.save(path)
    back = load(path)
    assert type(back) is BetaGeo and isinstance(BetaGeo.load(path), BetaGeo)
    small = cdnow_summary.with_frame(cdnow_summary.frame.iloc[:50])
    pd.testing.assert_frame_equal(back.predict(small, 26.0, interval=0.9, n_draws=100),
                                  bg_fit.predict(small, 26.0, interval=0.9, n_draws=100))
    pd.testing.assert_frame_equal(back.summary(), bg_fit.summary())
    pd.testing.assert_series_equal(back.params_, bg_fit.params_)
    for name in ("unit_", "n_obs_", "n_unique_", "converged_", "data_provenance_", "divergences_", "sampler_"):
        assert getattr(back, name) == getattr(bg_fit, name), name
    assert back.get_params() == bg_fit.get_params()


def test_import_clvkit_does_not_import_pymc():
    import subprocess
    import sys

    code = "import sys, clvkit, clvkit.plotting; assert 'pymc' not in sys.modules, 'pymc imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.bayes
def test_compiled_density_is_the_pymc_models_density():
    """The fast path's log-posterior equals the PyMC graph's up to a constant, gradient included."""
    from clvkit.bayes import _beta_geo_density as density

    data = ck.CustomerData.from_frame(ck.datasets.load_cdnow_summary(), unit="W")
    packed = data.compressed(("frequency", "recency", "T"))
    model = ck.bayes.BetaGeo()
    priors = model._priors()
    assert density.supports(priors)
    pm_model = model._build(packed.rows, packed.weights)
    names = ["r_log__", "alpha_log__", "phi_dropout_logodds__", "kappa_dropout_log__"]
    assert [v.name for v in pm_model.value_vars] == names
    logp_pm = pm_model.compile_logp()
    dlogp_pm = pm_model.compile_dlogp()
    logp_fast = density.make_log_posterior(packed.rows, packed.weights, priors)
    rng = np.random.default_rng(4)
    centre = density.to_unconstrained(0.243, 4.414, 0.793 / (0.793 + 2.426), 0.793 + 2.426)
    points = [centre + rng.normal(0, 0.3, 4) for _ in range(5)]
    ours = [logp_fast(u) for u in points]
    theirs = [(float(logp_pm(dict(zip(names, u, strict=True)))), dlogp_pm(dict(zip(names, u, strict=True))))
              for u in points]
    offsets = [o[0] - t[0] for o, t in zip(ours, theirs, strict=True)]
    np.testing.assert_allclose(offsets, offsets[0], atol=1e-6)  # same density up to normalising constants
    for o, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(o[1], t[1], rtol=1e-7)
    # custom prior families fall back to the PyMC graph
    assert not density.supports({**priors, "r": {"dist": "HalfNormal", "sigma": 1.0}})


@pytest.mark.bayes
def test_compiled_density_is_minus_infinity_far_out_not_an_error():
    """Warm-up can propose parameters that underflow or overflow; that must be -inf, never a raise."""
    from clvkit.bayes import _beta_geo_density as density

    data = ck.CustomerData.from_frame(ck.datasets.load_cdnow_summary(), unit="W")
    packed = data.compressed(("frequency", "recency", "T"))
    logp = density.make_log_posterior(packed.rows, packed.weights, ck.bayes.BetaGeo()._priors())
    for u in ([0.0, 0.0, 0.0, -800.0], [0.0, 0.0, 800.0, 0.0], [-800.0, 0.0, 0.0, 0.0], [0.0, 800.0, 0.0, 0.0],
              [0.0, 0.0, -40.0, -700.0], [np.nan, 0.0, 0.0, 0.0]):
        value, grad = logp(np.array(u))
        assert value == -np.inf and np.all(grad == 0)
    value, grad = logp(density.to_unconstrained(0.24, 4.4, 0.25, 3.2))
    assert np.isfinite(value) and np.all(np.isfinite(grad))
