"""The model contract for clvkit.bayes: registry, hyper-parameters, fitted attributes, summary,
predict, seeds, the purchase-model protocol, NetCDF save / load and the deprecations.

Reuses the session fits of conftest.py (no extra sampling). Expected values are the model's own
posterior draws, the MLE BG/NBD's per-row maths, and the design's column names.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.data.datasets import load_retention_example
from clvkit.errors import DataError, NotFittedError

pytestmark = pytest.mark.bayes

SUMMARY_COLUMNS = ["estimate", "std_error", "lower", "upper", "r_hat", "ess_bulk", "ess_tail", "divergences"]


@pytest.fixture(scope="module")
def small(cdnow_summary):
    return cdnow_summary.with_frame(cdnow_summary.frame.iloc[:80])


def test_registered_with_their_kind():
    from clvkit.bayes import BetaGeo, ShiftedBetaGeo

    assert ck.MODELS["bayes.BetaGeo"].cls is BetaGeo and ck.MODELS["bayes.BetaGeo"].kind == "purchase"
    assert ck.MODELS["bayes.ShiftedBetaGeo"].cls is ShiftedBetaGeo
    assert ck.MODELS["bayes.ShiftedBetaGeo"].kind == "retention"
    from clvkit._contract import is_purchase_model

    assert is_purchase_model(BetaGeo()) and not is_purchase_model(ShiftedBetaGeo())


def test_hyper_parameters_keyword_only_get_set_and_unfitted_state(cdnow_summary):
    from clvkit.bayes import BetaGeo, ShiftedBetaGeo

    with pytest.raises(TypeError):
        ShiftedBetaGeo("Q")  # keyword-only
    priors = {"logit_mean": {"dist": "Normal", "mu": 0.0, "sigma": 1.0}}
    model = ShiftedBetaGeo(unit="Q", priors=priors)
    assert model.get_params() == {"unit": "Q", "priors": priors, "pooling": True}
    assert model.set_params(pooling=False, unit="M") is model
    assert model.get_params()["pooling"] is False and model.unit == "M"
    with pytest.raises(DataError, match="no hyper-parameter"):
        model.set_params(draws=10)
    assert repr(model).startswith("bayes.ShiftedBetaGeo(unit='M'") and "[not fitted]" in repr(model)
    bg = BetaGeo()
    assert bg.get_params() == {"priors": None} and repr(bg) == "bayes.BetaGeo(priors=None) [not fitted]"
    assert [k for k in vars(bg) if k.endswith("_")] == []
    for call in (bg.summary, lambda: bg.predict(cdnow_summary, 10), lambda: bg._point_params()):
        with pytest.raises(NotFittedError, match="BetaGeo is not fitted yet"):
            call()


@pytest.mark.parametrize("which", ["bg", "sbg"])
def test_fitted_attributes_summary_and_repr(which, bg_fit, sbg_fits):
    model = bg_fit if which == "bg" else sbg_fits["regular"]
    for name in ("idata_", "params_", "unit_", "n_obs_", "converged_", "data_provenance_"):
        assert hasattr(model, name), name
    assert isinstance(model.params_, pd.Series) and isinstance(model.data_provenance_, dict)
    summary = model.summary()
    assert list(model.params_.index) == list(summary.index)  # params_ are the summary's estimates
    assert list(model.params_.index[:len(model.param_names)]) == list(model.param_names)
    np.testing.assert_array_equal(model.params_.to_numpy(), summary["estimate"].to_numpy())
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert (summary["lower"] <= summary["estimate"]).all() and (summary["estimate"] <= summary["upper"]).all()
    # the default interval is 95% and equal-tailed
    first = summary.index[0]
    var = first.split("[")[0]
    draws = model.idata_.posterior[var].to_numpy().reshape(-1, *model.idata_.posterior[var].shape[2:])
    flat = draws.reshape(len(draws), -1)[:, 0]
    np.testing.assert_allclose(summary.loc[first, ["lower", "upper"]].to_numpy(dtype=float),
                               np.quantile(flat, [0.025, 0.975]), rtol=1e-12)
    assert summary.loc[first, "estimate"] == pytest.approx(flat.mean(), rel=1e-12)
    assert model.summary(interval=0.5).loc[first, "upper"] < summary.loc[first, "upper"]
    text = repr(model)
    assert text.startswith(f"<clvkit.{model.qualified_name}: {model.kind} model")
    assert "2 chains x 500 draws (nutpie), 0 divergences" in text and "converged=True" in text
    with pytest.raises(DataError, match="interval"):
        model.summary(interval=0.0)


def test_beta_geo_predict_contract(bg_fit, small):
    point = bg_fit.predict(small, horizon=26, n_draws=200)
    assert list(point.columns) == ["expected_purchases", "p_alive"]
    full = bg_fit.predict(small, horizon=26, interval=0.8, n_draws=200, random_seed=1)
    assert list(full.columns) == ["expected_purchases", "expected_purchases_lower", "expected_purchases_upper",
                                  "p_alive", "p_alive_lower", "p_alive_upper"]
    pd.testing.assert_frame_equal(full[point.columns], point)  # the point value does not depend on interval
    for q in ("expected_purchases", "p_alive"):
        assert (full[f"{q}_lower"] <= full[q]).all() and (full[q] <= full[f"{q}_upper"]).all()
    pd.testing.assert_frame_equal(bg_fit.predict(small, horizon=26, interval=0.8, n_draws=200, random_seed=1),
                                  full)
    # the point value is the posterior mean over every draw, whatever n_draws (it thins the bounds)
    draws = bg_fit.param_draws(None)
    packed = small.compressed(bg_fit.columns, weights=np.ones(len(small)))
    mean = np.mean([bg_fit._p_alive_rows(p, packed.rows) for p in draws], axis=0)[packed.inverse]
    np.testing.assert_allclose(point["p_alive"].to_numpy(), mean, rtol=1e-12)


def test_beta_geo_purchase_protocol(bg_fit, small):
    from clvkit.bayes import BetaGeo
    from clvkit.models.beta_geo import BetaGeo as MLEBetaGeo

    assert BetaGeo.point_is_posterior_mean is True
    assert bg_fit.param_names == ("r", "alpha", "a", "b") and bg_fit.columns == ("frequency", "recency", "T")
    assert bg_fit.unit_ == "W" and bg_fit._data(small).unit == "W"
    np.testing.assert_array_equal(bg_fit._point_params(), bg_fit.params_.to_numpy())
    draws = bg_fit._parameter_draws(50, random_seed=3)
    assert draws.shape == (50, 4)
    np.testing.assert_array_equal(draws, bg_fit._parameter_draws(50, random_seed=4))  # deterministic thinning
    rows = small.frame[["frequency", "recency", "T"]].to_numpy(dtype=float)
    mle = MLEBetaGeo()
    p = draws[7]
    np.testing.assert_array_equal(bg_fit._expected_purchases_rows(p, rows, 13.0),
                                  mle._expected_purchases_rows(p, rows, 13.0))
    np.testing.assert_array_equal(bg_fit._p_alive_rows(p, rows), mle._p_alive_rows(p, rows))
    np.testing.assert_array_equal(bg_fit._discounted_purchases_rows(p, rows, 52.0, 0.002),
                                  mle._discounted_purchases_rows(p, rows, 52.0, 0.002))
    forever = bg_fit._discounted_purchases_rows(p, rows, np.inf, 0.002)
    assert np.all(np.isfinite(forever)) and np.all(forever >= bg_fit._discounted_purchases_rows(p, rows, 52.0, 0.002))


def test_ck_clv_takes_the_bayesian_model(bg_fit, small):
    spend = small.frame["monetary_value"]
    value = ck.clv(bg_fit, small, 52, spend=spend, discount_rate=0.1, interval=0.9, n_draws=100, random_seed=1)
    assert (value["clv_lower"] <= value["clv"]).all() and (value["clv"] <= value["clv_upper"]).all()
    with pytest.warns(FutureWarning, match=r"ck\.clv"):
        old = bg_fit.clv(small, 52, discount_rate=0.1, spend=spend, interval=0.9, n_draws=100)
    np.testing.assert_allclose(old["mean"], value["clv"], rtol=1e-12)
    np.testing.assert_allclose(old["upper"], value["clv_upper"], rtol=1e-12)


def test_beta_geo_quantity_methods_are_series_and_interval_is_deprecated(bg_fit, small):
    ep = bg_fit.expected_purchases(small, 26)
    pa = bg_fit.p_alive(small)
    assert isinstance(ep, pd.Series) and ep.name == "expected_purchases"
    assert isinstance(pa, pd.Series) and pa.name == "p_alive"
    pred = bg_fit.predict(small, 26, interval=0.9)  # n_draws=1000: every draw of the 2 x 500
    pd.testing.assert_series_equal(pred["expected_purchases"], ep)
    pd.testing.assert_series_equal(pred["p_alive"], pa)
    with pytest.warns(FutureWarning, match=r"predict\(data, horizon, interval=\)"):
        old = bg_fit.expected_purchases(small, 26, interval=0.9)
    pd.testing.assert_frame_equal(old, pred.iloc[:, :3])
    with pytest.warns(FutureWarning, match="p_alive"):
        old = bg_fit.p_alive(small, 0.9)
    pd.testing.assert_frame_equal(old, pred.iloc[:, 3:])


def test_shifted_beta_geo_predict_contract(sbg_fits):
    model = sbg_fits["regular"]
    counts = load_retention_example("regular")
    point = model.predict(horizon=5)
    assert list(point.columns) == ["survival", "retention", "expected_alive"]
    assert list(point.index) == [0, 1, 2, 3, 4] and point.index.name == "period"
    np.testing.assert_allclose(point["expected_alive"], point["survival"])  # no table: a cohort of 1
    full = model.predict(counts, interval=0.9, random_seed=5)
    assert list(full.index) == list(range(13))
    for q in ("survival", "retention", "expected_alive"):
        assert list(full.columns[full.columns.str.startswith(q)]) == [q, f"{q}_lower", f"{q}_upper"]
        ok = (full[f"{q}_lower"] <= full[q]) & (full[q] <= full[f"{q}_upper"])
        assert ok[full[q].notna()].all()
    pd.testing.assert_frame_equal(model.predict(counts, interval=0.9, random_seed=5), full)
    np.testing.assert_allclose(full["expected_alive"], 1000.0 * full["survival"], rtol=1e-12)
    pd.testing.assert_frame_equal(full[point.columns].iloc[:5], point.assign(expected_alive=1000 * point["survival"]))
    with pytest.raises(DataError, match="horizon"):
        model.predict(horizon=0)
    with pytest.raises(DataError, match="unseen"):
        model.predict(counts.assign(cohort="other"))
    with pytest.raises(DataError, match="cohort='new' needs a pooled fit"):
        model.predict(horizon=3, cohort="new")


def test_shifted_beta_geo_deprecations(sbg_fits):
    model = sbg_fits["regular"]
    pred = model.predict([1, 2, 3], interval=0.9)
    with pytest.warns(FutureWarning, match=r"predict\(periods, interval=\)"):
        old = model.survival([1, 2, 3], 0.9)
    pd.testing.assert_frame_equal(old, pred.iloc[:, :3])
    with pytest.warns(FutureWarning, match="retention"):
        old = model.retention([1, 2, 3], interval=0.9)
    pd.testing.assert_frame_equal(old, pred.iloc[:, 3:6])
    with pytest.warns(FutureWarning, match=r"\['expected_alive'\]"):
        model.predict_alive([9], random_seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        model.survival([1, 2, 3])  # the new spellings do not warn
        model.predict([1, 2, 3], interval=0.9)


def test_load_by_content_and_the_old_loader(bg_fit, sbg_fits, tmp_path):
    import clvkit.bayes

    path = tmp_path / "model.nc"
    sbg_fits["regular"].save(path)
    with open(path, "rb") as handle:
        assert handle.read(4) == b"\x89HDF"
    state = json.loads(__import__("arviz").from_netcdf(str(path), engine="h5netcdf").posterior.attrs["clvkit_state"])
    assert state["unit"] == "Y" and state["clvkit_version"] == ck.__version__
    assert state["data_provenance"] == sbg_fits["regular"].data_provenance_
    with pytest.warns(FutureWarning, match=r"ck\.load\(path\)"):
        back = clvkit.bayes.load(path)
    assert type(back) is type(sbg_fits["regular"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        assert type(ck.load(path)) is type(sbg_fits["regular"])


def test_load_refuses_anything_but_a_clvkit_netcdf(tmp_path):
    import xarray as xr

    from clvkit.bayes._base import load

    cases = {
        "text.nc": b"hello, not a model",
        "model.json": b'{"model": "BetaGeo", "params": {}}',
        "bytes.nc": bytes(range(256)) * 4,
        "broken.nc": b"\x89HDF\r\n\x1a\n" + b"\x00" * 64,
        "classic.nc": b"CDF\x01" + b"\x00" * 64,
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(DataError):
            load(tmp_path / name)
    plain = tmp_path / "plain.nc"
    xr.Dataset({"x": ("i", np.arange(3.0))}).to_netcdf(plain, engine="h5netcdf")
    with pytest.raises(DataError, match="no clvkit.bayes model"):
        load(plain)
    with pytest.raises(DataError, match="directory"):
        load(tmp_path)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.nc")


def test_load_refuses_a_damaged_state(sbg_fits, tmp_path):
    from clvkit.bayes._base import load

    model = sbg_fits["regular"]
    for change, match in ((lambda s: {**s, "model": "Nope"}, "unknown model"),
                          (lambda s: {**s, "state": {}}, "incomplete or damaged"),
                          (lambda s: {**s, "format_version": 99}, "newer clvkit"),
                          (lambda s: "[1, 2", "not valid JSON")):
        idata = model.idata_.copy()
        state = {"model": "ShiftedBetaGeo", "format_version": 2, "init": model.get_params(),
                 "state": model._state()}
        changed = change(state)
        idata.posterior.attrs["clvkit_state"] = changed if isinstance(changed, str) else json.dumps(changed)
        path = tmp_path / "damaged.nc"
        idata.to_netcdf(str(path), engine="h5netcdf")
        with pytest.raises(DataError, match=match):
            load(path)
