"""Issue 9 ("no silent wrong answers"), numerics part: parameters validated at every entrance,
series that cannot hang, and predictions that are finite numbers passing their own checks or a
DataError, at the extremes (frequency to 1e6, T to 1e5, parameters at 1e-8 and 1e8).

Every case runs under ``warnings.simplefilter("error")`` (no RuntimeWarning may escape) and a
time limit of a few seconds.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.errors import DataError
from clvkit.models._math import beta_geo_beta_binom as bgbb
from clvkit.models._math.hypergeometric import hyp2f1

PURCHASE = {
    "BetaGeo": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    "ModifiedBetaGeo": {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614},
    "ParetoNBD": {"r": 0.553, "alpha": 10.58, "s": 0.606, "beta": 11.67},
}
ALL = {**PURCHASE, "BetaGeoBetaBinom": {"alpha": 1.204, "beta": 0.75, "gamma": 0.657, "delta": 2.783},
       "GammaGamma": {"p": 6.25, "q": 3.74, "gamma": 15.44}, "ShiftedBetaGeo": {"alpha": 0.704, "beta": 1.182}}
TIME_LIMIT = 5.0


def _extreme_rows() -> ck.CustomerData:
    frame = pd.DataFrame({
        "frequency": [0, 1, 2, 50, 1_000, 300_000, 1_000_000, 10, 0, 5],
        "recency": [0, 0.5, 30, 38, 39, 100_000, 100_000, 1, 0, 99_999],
        "T": [39, 39, 39, 39, 39, 100_000, 100_000, 100_000, 0.01, 100_000],
    }, index=pd.Index([f"c{i}" for i in range(10)], name="customer_id"))
    return ck.CustomerData.from_frame(frame, unit="W")


def _timed(fn):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            out = fn()
        except DataError as err:
            out = err
    assert time.perf_counter() - start < TIME_LIMIT
    return out


def _check_purchase_outputs(model, data):
    alive = _timed(lambda: model.p_alive(data))
    if not isinstance(alive, DataError):
        assert np.all(np.isfinite(alive)) and alive.between(0, 1).all()
    for horizon in (52, None):
        value = _timed(lambda h=horizon: ck.clv(model, data, horizon=h, spend=10.0))
        if isinstance(value, DataError):
            assert "cannot evaluate" in str(value)
            continue
        assert np.all(np.isfinite(value.to_numpy()))
        assert (value.to_numpy() >= 0).all()


# ------------------------------------------------------------------ 1. parameters at every entrance
@pytest.mark.parametrize("name", sorted(ALL))
@pytest.mark.parametrize("bad", [1e300, 1e-300, np.nan, -1.0, np.inf, 0.0])
def test_numerics_from_params_and_model_file_refuse_implausible_parameters(name, bad):
    cls = getattr(ck, name)
    params = dict(ALL[name])
    first = cls.param_names[0]
    params[first] = bad
    with pytest.raises(DataError, match=rf"{first}.*\[1e-08, 1e\+08\]"):
        cls.from_params(params)
    good = cls.from_params(ALL[name]).to_dict()
    good["params"][first] = bad
    with pytest.raises(DataError, match=rf"{first}.*\[1e-08, 1e\+08\]"):
        cls.from_dict(good)


def test_numerics_load_refuses_nan_parameter_quickly(tmp_path):
    path = tmp_path / "model.json"
    ck.BetaGeo.from_params(PURCHASE["BetaGeo"]).save(path)
    text = path.read_text().replace('"r": 0.243', '"r": NaN')
    path.write_text(text)
    start = time.perf_counter()
    with pytest.raises(DataError, match="'r'"):
        ck.load(path)
    assert time.perf_counter() - start < TIME_LIMIT


@pytest.mark.parametrize("penalizer", [-1.0, np.nan, np.inf, "0.1"])
def test_numerics_set_params_checks_penalizer(penalizer):
    with pytest.raises(DataError, match="penalizer"):
        ck.BetaGeo().set_params(penalizer=penalizer)


def test_numerics_fitted_values_stay_in_the_plausible_range():
    frame = ck.datasets.load_cdnow_summary().copy()
    frame["frequency"] = 0
    frame["recency"] = 0.0
    data = ck.CustomerData.from_frame(frame, unit="W")
    with pytest.warns(ck.errors.ConvergenceWarning):
        model = ck.BetaGeo().fit(data)
    low, high = model.param_range
    assert ((model.params_ >= low) & (model.params_ <= high)).all()


# ------------------------------------------------------------------ 2. numerics that cannot hang
@pytest.mark.parametrize("name", sorted(PURCHASE))
@pytest.mark.parametrize("value", [1e-8, 1e8])
def test_numerics_purchase_models_at_parameter_extremes(name, value):
    data = _extreme_rows()
    for param in getattr(ck, name).param_names:
        params = dict(PURCHASE[name])
        params[param] = value
        _check_purchase_outputs(getattr(ck, name).from_params(params), data)


@pytest.mark.parametrize("name", sorted(PURCHASE))
def test_numerics_purchase_models_at_frequency_1e6_and_T_1e5(name):
    model = getattr(ck, name).from_params(PURCHASE[name])
    data = _extreme_rows()
    expected = _timed(lambda: model.expected_purchases(data, 52))
    assert not isinstance(expected, DataError), expected
    assert np.all(np.isfinite(expected)) and (expected >= 0).all()
    _check_purchase_outputs(model, data)


def test_numerics_mbg_large_frequency_is_finite():
    """Known: MBG/NBD returned NaN for frequency >= 3e5."""
    model = ck.ModifiedBetaGeo.from_params(PURCHASE["ModifiedBetaGeo"])
    data = ck.CustomerData.from_frame(pd.DataFrame({"frequency": [3e5, 1e6], "recency": [99_999.9, 99_999.9],
                                                    "T": [1e5, 1e5]}), unit="W")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = model.expected_purchases(data, 52)
    assert np.all(np.isfinite(values)) and (values > 0).all()


def test_numerics_hyp2f1_series_is_bounded():
    """Overflowing or slowly converging series give NaN at once, never a 20-million-term loop."""
    n = 2_000
    a = np.full(n, -1e8 + 0.5)
    b = np.full(n, 1e8)
    c = np.full(n, 1.5)   # c - a - b is an integer: the series path
    z = np.full(n, 1 - 1e-7)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = hyp2f1(a, b, c, z)
    assert time.perf_counter() - start < TIME_LIMIT
    assert np.isnan(out).all()


def test_numerics_bgbb_dert_series_is_bounded():
    start = time.perf_counter()
    out = bgbb.hyp2f1_unit(np.array([np.nan, 2.0, 5.0]), np.array([3.0, 3.0, 7.0]), 1 - 1e-9)
    assert time.perf_counter() - start < TIME_LIMIT
    assert np.isnan(out[0]) and np.isnan(out[1])


def test_numerics_bgbb_long_horizon_with_gamma_near_one_is_bounded():
    model = ck.BetaGeoBetaBinom.from_params({"alpha": 1.2, "beta": 0.75, "gamma": 1.0 + 1e-8, "delta": 2.8},
                                            unit="Y")
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = model.expected_purchases_new(1e9)
    assert time.perf_counter() - start < TIME_LIMIT
    assert np.isfinite(value) and value > 0
    with pytest.raises(DataError, match="opportunit"):
        model.purchase_pmf(1, 1e9)


# ------------------------------------------------------------------ 3. Gamma-Gamma
@pytest.mark.parametrize("q", [1.0, 0.5])
def test_numerics_gamma_gamma_infinite_mean_is_an_error(q):
    g = ck.GammaGamma.from_params({"p": 6.25, "q": q, "gamma": 15.44})
    data = ck.CustomerData.from_frame(pd.DataFrame({"frequency": [0, 3], "recency": [0, 20], "T": [30, 30],
                                                    "monetary_value": [0.0, 25.0]}), unit="W")
    with pytest.raises(DataError, match="q = .* <= 1"):
        g.expected_spend(data)
    m = ck.BetaGeo.from_params(PURCHASE["BetaGeo"])
    with pytest.raises(DataError, match="q = .* <= 1"):
        ck.clv(m, data, 52, spend=g)


def test_numerics_gamma_gamma_constant_frequency_fit_leaks_no_warning():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"frequency": 3, "recency": 20.0, "T": 30.0,
                          "monetary_value": rng.gamma(5.0, 5.0, 200)})
    data = ck.CustomerData.from_frame(frame, unit="W")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = ck.GammaGamma().fit(data)
    assert np.all(np.isfinite(g.params_))


# ------------------------------------------------------------------ 4. weights
@pytest.mark.parametrize("bad", ["nan", "inf", "mixed", "zeros", "text"])
def test_numerics_fit_weights_are_validated(bad):
    data = ck.CustomerData.from_frame(ck.datasets.load_cdnow_summary().head(300), unit="W")
    w = np.ones(len(data))
    if bad == "nan":
        w[7] = np.nan
    elif bad == "inf":
        w[7] = np.inf
    elif bad == "mixed":
        w[::2] = -1.0
    elif bad == "zeros":
        w[:] = 0.0
    else:
        w = ["x"] * len(data)
    with pytest.raises(DataError, match="weights"):
        ck.BetaGeo().fit(data, weights=w)


# ------------------------------------------------------------------ 5. unidentified fits, no NaN out
def test_numerics_unidentified_fit_warns_why_and_is_not_converged():
    frame = ck.datasets.load_cdnow_summary().copy()
    frame["frequency"] = 0
    frame["recency"] = 0.0
    data = ck.CustomerData.from_frame(frame, unit="W")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = ck.BetaGeo().fit(data)
    messages = [str(w.message) for w in caught if issubclass(w.category, ck.errors.ConvergenceWarning)]
    assert any("not identified" in m and "every frequency is 0" in m for m in messages), messages
    assert model.converged_ is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            out = ck.clv(model, data, 52, spend=10.0)
        except DataError as err:
            assert "converge" in str(err)
        else:
            assert np.all(np.isfinite(out.to_numpy()))


def test_numerics_clv_and_score_never_return_nan():
    # a = 1 exactly is a 0/0 in the BG/NBD expectation: a DataError, not a column of NaN
    model = ck.BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 1.0, "b": 2.426})
    data = ck.CustomerData.from_frame(ck.datasets.load_cdnow_summary().head(50), unit="W")
    for call in (lambda: ck.clv(model, data, 52, spend=10.0), lambda: ck.score(model, data, 52, progress=False),
                 lambda: model.expected_purchases(data, 52)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                out = call()
        except DataError as err:
            assert "customer" in str(err) and "cannot evaluate" in str(err)
        else:
            assert np.all(np.isfinite(np.asarray(out, dtype=float)))


# ------------------------------------------------------------------ 6. raw errors -> clear ones
@pytest.mark.parametrize("kwargs", [{"discount_rate": "0.1"}, {"interval": "0.9"}, {"horizon": "52"},
                                    {"interval": 0.9, "n_draws": 0}, {"interval": 0.9, "n_draws": "5"}])
def test_numerics_value_arguments_give_data_errors(kwargs):
    data = ck.CustomerData.from_frame(ck.datasets.load_cdnow_summary().head(50), unit="W")
    model = ck.BetaGeo().fit(ck.CustomerData.from_frame(ck.datasets.load_cdnow_summary(), unit="W"))
    kwargs = {"horizon": 52, **kwargs}
    with pytest.raises(DataError):
        ck.clv(model, data, **kwargs)
    with pytest.raises(DataError):
        ck.score(model, data, progress=False, **kwargs)


@pytest.mark.parametrize("kwargs", [{"interval": "0.9"}, {"interval": 0.9, "n_draws": 0},
                                    {"interval": 0.9, "n_draws": "5"}, {"horizon": "52"}])
def test_numerics_predict_arguments_give_data_errors(kwargs):
    data = ck.CustomerData.from_frame(ck.datasets.load_cdnow_summary(), unit="W")
    model = ck.BetaGeo().fit(data)
    kwargs = {"horizon": 52, **kwargs}
    with pytest.raises(DataError):
        model.predict(data.frame.head(20), **kwargs)
    with pytest.raises(DataError):
        model.discounted_expected_purchases(data, 52, "0.1")
