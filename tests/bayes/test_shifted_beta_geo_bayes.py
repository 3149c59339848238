"""bayes.ShiftedBetaGeo against Fader & Hardie (2007) and independent computations.

Expected values come from: REFERENCE.md (published MLE), a maximum-likelihood fit computed
here with scipy from FH (2007)'s recursion ``P(T=1) = alpha/(alpha+beta)``,
``P(T=t) = (beta+t-2)/(alpha+beta+t-1) P(T=t-1)`` (not the beta-function form the model uses),
the held-out counts of years 8-12, and direct sums over posterior draws.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from clvkit.data.datasets import load_retention_example
from clvkit.errors import ConvergenceWarning, DataError, NotFittedError

pytestmark = pytest.mark.bayes

REFERENCE = {"regular": (0.704, 1.182), "high_end": (0.668, 3.806)}


def _loglik_recursive(alpha: float, beta: float, alive: np.ndarray) -> float:
    periods = len(alive) - 1
    p = np.empty(periods)
    p[0] = alpha / (alpha + beta)
    for t in range(2, periods + 1):
        p[t - 1] = (beta + t - 2) / (alpha + beta + t - 1) * p[t - 2]
    lost = alive[:-1] - alive[1:]
    return float(lost @ np.log(p) + alive[-1] * np.log(1.0 - p.sum()))


def _mle(alive: np.ndarray) -> np.ndarray:
    res = minimize(lambda th: -_loglik_recursive(*np.exp(th), alive), np.zeros(2), method="Nelder-Mead",
                   options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 5000})
    return np.exp(res.x)


@pytest.mark.parametrize("segment", ["regular", "high_end"])
def test_posterior_means_within_two_sd_of_mle(sbg_fits, segment):
    alive = load_retention_example(segment)["alive"].to_numpy(dtype=float)[:8]
    mle = _mle(alive)
    # the independent MLE reproduces the published estimates (half a unit of the last digit)
    np.testing.assert_allclose(mle, REFERENCE[segment], atol=5e-4)
    summary = sbg_fits[segment].summary()
    for name, value in zip(("alpha", "beta"), mle, strict=True):
        row = summary.loc[name]
        assert abs(row["estimate"] - value) < 2 * row["std_error"], (segment, name, row["estimate"], value)
        assert row["r_hat"] < 1.01
        assert sbg_fits[segment].params_[name] == row["estimate"]  # one cohort: params_ is alpha, beta
    assert summary["divergences"].iloc[0] == 0
    assert sbg_fits[segment].converged_ is True


@pytest.mark.parametrize("segment", ["regular", "high_end"])
def test_holdout_years_8_to_12_inside_90_percent_band(sbg_fits, segment):
    counts = load_retention_example(segment)
    actual = counts.set_index("period")["alive"].loc[8:12].to_numpy()
    model = sbg_fits[segment]
    with pytest.warns(FutureWarning, match=r"predict\(survival_table, interval=\)\['expected_alive'\]"):
        predictive = model.predict_alive(range(8, 13), interval=0.9, random_seed=1)
    inside = ((predictive["expected_alive_lower"].to_numpy() <= actual)
              & (actual <= predictive["expected_alive_upper"].to_numpy()))
    assert inside.sum() >= 4, predictive.assign(actual=actual)
    # 1,000 x the band of S(t): the cohort size comes from the table's period 0
    band = model.predict(counts, interval=0.9).loc[8:12]
    inside_s = (band["expected_alive_lower"].to_numpy() <= actual) & (actual <= band["expected_alive_upper"].to_numpy())
    assert inside_s.sum() >= 4, band.assign(actual=actual)
    np.testing.assert_allclose(band["expected_alive"], 1000.0 * band["survival"], rtol=1e-12)


def test_predict_alive_mean_matches_sequential_expectation(sbg_fits):
    model = sbg_fits["regular"]
    a = model.idata_.posterior["alpha"].to_numpy().ravel()
    b = model.idata_.posterior["beta"].to_numpy().ravel()
    # E[N_t | N_7] = N_7 * S(t) / S(7), summed as a product of retention rates
    expected = 241.0 * np.mean(np.prod([(b + s - 1) / (a + b + s - 1) for s in range(8, 13)], axis=0))
    with pytest.warns(FutureWarning):
        got = model.predict_alive([12], interval=0.9, random_seed=2)["expected_alive"].iloc[0]
        assert np.isnan(model.predict_alive([5, 8])["expected_alive"].loc[5])
    assert abs(got - expected) < 0.02 * expected


def test_survival_retention_derl_against_direct_sums(sbg_fits):
    model = sbg_fits["high_end"]
    a = model.idata_.posterior["alpha"].to_numpy().ravel()
    b = model.idata_.posterior["beta"].to_numpy().ravel()
    t = np.arange(0, 400)
    # S(t) by the recursion S(t) = S(t-1) * (beta+t-1)/(alpha+beta+t-1)
    ratios = (b[:, None] + t[1:] - 1) / (a[:, None] + b[:, None] + t[1:] - 1)
    s = np.hstack([np.ones((len(a), 1)), np.cumprod(ratios, axis=1)])
    surv = model.survival([0, 3, 12])
    assert surv.name == "survival"
    np.testing.assert_allclose(surv.to_numpy(), s[:, [0, 3, 12]].mean(axis=0), rtol=1e-10)
    ret = model.retention([1, 5])
    assert ret.name == "retention"
    np.testing.assert_allclose(ret.to_numpy(), (s[:, [1, 5]] / s[:, [0, 4]]).mean(axis=0), rtol=1e-10)
    pred = model.predict([0, 1, 3, 5, 12])
    assert list(pred.columns) == ["survival", "retention", "expected_alive"]
    np.testing.assert_allclose(pred.loc[[0, 3, 12], "survival"], surv.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(pred.loc[[1, 5], "retention"], ret.to_numpy(), rtol=1e-12)
    assert np.isnan(pred.loc[0, "retention"])  # no renewal rate before the first renewal
    d = 1.10 ** 1 - 1.0  # unit "Y": the annual rate is the per-period rate
    derl = model.discounted_residual_lifetime(0.10, renewals=[0, 4], interval=0.94)
    name = "discounted_residual_lifetime"
    for n_minus_1 in (0, 4):
        n = n_minus_1 + 1
        terms = s[:, n:] / s[:, [n - 1]] / (1 + d) ** (t[n:] - n)
        direct = terms.sum(axis=1)
        assert abs(derl.loc[n_minus_1, name] - direct.mean()) < 1e-9 * direct.mean()
        lo, hi = np.quantile(direct, [0.03, 0.97])
        assert abs(derl.loc[n_minus_1, f"{name}_lower"] - lo) < 1e-8 * lo
        assert abs(derl.loc[n_minus_1, f"{name}_upper"] - hi) < 1e-8 * hi
    pd.testing.assert_series_equal(model.discounted_residual_lifetime(0.10, renewals=[0, 4]), derl[name])
    del_ = model.discounted_lifetime(0.10)
    assert del_.name == "discounted_lifetime"
    direct_del = (s / (1 + d) ** t).sum(axis=1)
    assert abs(del_.iloc[0] - direct_del.mean()) < 1e-9 * direct_del.mean()


def test_renewal_probability_per_customer(sbg_fits):
    model = sbg_fits["regular"]
    a = model.idata_.posterior["alpha"].to_numpy().ravel()
    b = model.idata_.posterior["beta"].to_numpy().ravel()
    customers = pd.DataFrame({"renewals": [0, 6, 0, 2]}, index=["u1", "u2", "u3", "u4"])
    out = model.renewal_probability(customers, interval=0.9)
    assert list(out.index) == ["u1", "u2", "u3", "u4"]
    p = out["renewal_probability"]
    for cid, n in customers["renewals"].items():
        assert abs(p[cid] - np.mean((b + n) / (a + b + n))) < 1e-12
    # longer tenure -> the survivors are the loyal ones: renewal probability rises
    assert p["u2"] > p["u4"] > p["u1"]
    # F&H (2007) Table: year-1 retention of the regular segment is 0.631 in the data
    assert out.loc["u1", "renewal_probability_lower"] < 0.631 < out.loc["u1", "renewal_probability_upper"]
    pd.testing.assert_series_equal(model.renewal_probability(customers), p)
    with pytest.raises(DataError, match="renewals"):
        model.renewal_probability(pd.DataFrame({"renewals": [1, -1]}))


def _simulate_cohort(alpha: float, beta: float, size: int, periods: int, rng) -> np.ndarray:
    theta = rng.beta(alpha, beta, size=size)
    churn_period = rng.geometric(theta)  # T >= 1: the period in which a customer leaves
    return np.array([(churn_period > t).sum() for t in range(periods + 1)], dtype=float)


def test_partial_pooling_borrows_strength_for_a_young_cohort():
    from clvkit.bayes import ShiftedBetaGeo

    rng = np.random.default_rng(7)
    frames = []
    for c in range(4):
        alive = _simulate_cohort(1.0, 3.0, 400, 8, rng)
        frames.append(pd.DataFrame({"cohort": f"old{c}", "period": range(9), "alive": alive}))
    young = _simulate_cohort(1.0, 3.0, 400, 2, rng)
    frames.append(pd.DataFrame({"cohort": "young", "period": range(3), "alive": young}))
    table = pd.concat(frames, ignore_index=True)
    pooled = ShiftedBetaGeo().fit(table, draws=1000, tune=1000, random_seed=5, target_accept=0.95)
    alone = ShiftedBetaGeo(pooling=False).fit(table, draws=1000, tune=1000, random_seed=5,
                                          target_accept=0.95)
    width = "survival_upper - survival_lower"
    width_pooled = pooled.predict([8], interval=0.9, cohort="young").eval(width).iloc[0]
    width_alone = alone.predict([8], interval=0.9, cohort="young").eval(width).iloc[0]
    assert width_pooled < 0.7 * width_alone
    truth = np.exp(np.sum(np.log((3.0 + np.arange(8)) / (4.0 + np.arange(8)))))  # S(8) at (1, 3)
    band = pooled.predict([8], interval=0.9, cohort="young")
    assert band["survival_lower"].iloc[0] < truth < band["survival_upper"].iloc[0]
    new = pooled.predict([1, 8], interval=0.9, cohort="new", random_seed=1)
    assert new.loc[8, "survival_lower"] < truth < new.loc[8, "survival_upper"]
    # an unseen cohort draws offsets: the seed fixes them
    pd.testing.assert_frame_equal(pooled.predict([1, 8], interval=0.9, cohort="new", random_seed=1), new)
    assert set(pooled.summary().index) >= {"alpha[young]", "sigma_logit_mean", "sigma_log_concentration"}
    # params_: population centre first, then every cohort; no population without pooling
    assert list(pooled.params_.index[:3]) == ["alpha", "beta", "alpha[old0]"] and "beta[young]" in pooled.params_
    assert "alpha" not in alone.params_ and "alpha[young]" in alone.params_
    assert pooled.n_obs_ == table.loc[table["period"] == 0, "alive"].sum()
    # by cohort: a cohort level, sizes from the table's period 0
    by_cohort = pooled.predict(table, interval=0.9)
    assert by_cohort.index.names == ["cohort", "period"]
    assert set(by_cohort.index.get_level_values("cohort")) == {"old0", "old1", "old2", "old3", "young"}
    young_size = table.query("cohort == 'young' and period == 0")["alive"].iloc[0]
    young = by_cohort.loc["young"]
    np.testing.assert_allclose(young["expected_alive"], young_size * young["survival"], rtol=1e-12)
    assert (by_cohort["survival_lower"] <= by_cohort["survival"]).all()
    assert (by_cohort["survival"] <= by_cohort["survival_upper"]).all()


def test_priors_are_data_and_checked(sbg_fits):
    from clvkit.bayes import ShiftedBetaGeo

    counts = load_retention_example("regular")
    with pytest.raises(DataError, match="unknown prior"):
        ShiftedBetaGeo(priors={"mean": {"dist": "Normal", "mu": 0, "sigma": 1}}).fit(counts, draws=10)
    with pytest.raises(DataError, match="not a PyMC distribution"):
        ShiftedBetaGeo(priors={"logit_mean": {"dist": "Nope"}}).fit(counts, draws=10)
    with pytest.raises(DataError, match="bad arguments"):
        ShiftedBetaGeo(priors={"logit_mean": {"dist": "Normal", "mean": 0}}).fit(counts, draws=10)
    model = ShiftedBetaGeo(priors={"log_concentration": {"dist": "Normal", "mu": 2.0, "sigma": 0.5}})
    merged = model._priors()
    assert merged["log_concentration"] == {"dist": "Normal", "mu": 2.0, "sigma": 0.5}
    assert merged["logit_mean"] == ShiftedBetaGeo.default_priors["logit_mean"]


def test_bad_input_and_not_fitted():
    from clvkit.bayes import ShiftedBetaGeo

    rising = pd.DataFrame({"period": [0, 1, 2], "alive": [100, 80, 90]})
    with pytest.raises(DataError, match="increases"):
        ShiftedBetaGeo().fit(rising, draws=10)
    counts = load_retention_example("regular")
    with pytest.raises(DataError, match="covariates lack"):
        ShiftedBetaGeo().fit(counts, covariates=pd.DataFrame({"x": [1.0]}, index=["other"]), draws=10)
    with pytest.raises(DataError, match="draws"):
        ShiftedBetaGeo().fit(counts, draws=0)
    with pytest.raises(NotFittedError):
        ShiftedBetaGeo().survival([1])
    with pytest.raises(NotFittedError):
        ShiftedBetaGeo().predict(horizon=3)
    with pytest.raises(DataError, match="no weights"):
        ShiftedBetaGeo().fit(counts, weights=[1.0], draws=10)


def test_convergence_warning_on_divergences(sbg_fits):
    model = sbg_fits["regular"]
    broken = type(model).__new__(type(model))
    broken.__dict__.update(model.__dict__)
    broken.idata_ = model.idata_.copy()
    div = broken.idata_.sample_stats["diverging"].copy()
    div[0, :3] = True
    broken.idata_.sample_stats["diverging"] = div
    with pytest.warns(ConvergenceWarning, match="3 of 1000 transitions diverged"):
        broken._diagnose()
    assert broken.divergences_ == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model._diagnose()  # the real fit is clean


def test_save_load_roundtrip(sbg_fits, tmp_path):
    from clvkit.bayes import ShiftedBetaGeo
    from clvkit.bayes._base import load

    model = sbg_fits["high_end"]
    path = tmp_path / "sbg.nc"
    model.save(path)
    back = load(path)
    assert type(back) is ShiftedBetaGeo and isinstance(ShiftedBetaGeo.load(path), ShiftedBetaGeo)
    pd.testing.assert_frame_equal(back.predict(range(13), interval=0.9), model.predict(range(13), interval=0.9))
    pd.testing.assert_frame_equal(back._predictive_alive([9], 0.9, random_seed=3),
                                  model._predictive_alive([9], 0.9, random_seed=3))
    pd.testing.assert_series_equal(back.params_, model.params_)
    for name in ("unit_", "n_obs_", "converged_", "data_provenance_", "cohorts_", "n_periods_", "size_",
                 "last_alive_", "divergences_", "sampler_"):
        assert getattr(back, name) == getattr(model, name), name
    assert back.get_params() == model.get_params()
    assert back.unit_ == "Y" and back.cohorts_ == ["all"]
    with open(path, "rb") as handle:
        assert handle.read(8).startswith(b"\x89HDF")  # NetCDF4/HDF5, not a pickle
