"""The model contract (DESIGN.md, "The model contract"), checked mechanically for every class in
``clvkit.MODELS``: construct, fit, fitted attributes, summary, predict with and without
intervals, seeds, quantity methods, repr, save -> ck.load, wrong units, and ``ck.clv`` for
every purchase x spend pair.

A model added to the registry without a case below fails ``test_every_registered_model_has_a_case``.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
import clvkit.bayes  # registers the Bayesian models
from clvkit.data.datasets import load_cdnow_summary, load_donations, load_retention_example

BAYES_SETTINGS = {"draws": 150, "tune": 150, "chains": 2, "random_seed": 3}


def _cdnow() -> ck.CustomerData:
    return ck.CustomerData.from_frame(load_cdnow_summary(), unit="W")


def _cdnow_days() -> ck.CustomerData:
    frame = load_cdnow_summary()
    frame[["recency", "T"]] *= 7.0
    return ck.CustomerData.from_frame(frame, unit="D")


def _regular() -> pd.DataFrame:
    return load_retention_example("regular").query("period <= 7")


def _regular_in_quarters() -> pd.DataFrame:
    table = _regular()
    table.attrs["unit"] = "Q"
    return table


def _log() -> pd.DataFrame:
    return ck.datasets.load_cdnow(sample=True)


class Case:
    """How to build, fit and query one registered model."""

    def __init__(self, build, fit_data, *, predict_data=None, horizon=None, fit_options=None,
                 wrong_unit=None, quantities=()):
        self.build = build
        self.fit_data = fit_data
        self.predict_data = predict_data or fit_data
        self.horizon = horizon
        self.fit_options = fit_options or {}
        self.wrong_unit = wrong_unit
        #: (method name, args) of quantity methods that must return a Series named after the quantity
        self.quantities = quantities


CASES: dict[str, Case] = {
    "BetaGeo": Case(ck.BetaGeo, _cdnow, horizon=39, wrong_unit=_cdnow_days,
                    quantities=(("expected_purchases", (39,)), ("p_alive", ()))),
    "ParetoNBD": Case(ck.ParetoNBD, _cdnow, horizon=39, wrong_unit=_cdnow_days,
                      quantities=(("expected_purchases", (39,)), ("p_alive", ()))),
    "ModifiedBetaGeo": Case(ck.ModifiedBetaGeo, _cdnow, horizon=39, wrong_unit=_cdnow_days,
                            quantities=(("expected_purchases", (39,)), ("p_alive", ()))),
    "BetaGeoBetaBinom": Case(ck.BetaGeoBetaBinom,
                             lambda: ck.CustomerData.from_frame(load_donations(), unit="Y"), horizon=5,
                             wrong_unit=lambda: ck.CustomerData.from_frame(load_donations(), unit="Q"),
                             quantities=(("expected_purchases", (5,)), ("p_alive", ()))),
    "GammaGamma": Case(ck.GammaGamma, _cdnow, quantities=(("expected_spend", ()),)),
    "ShiftedBetaGeo": Case(lambda: ck.ShiftedBetaGeo(unit="Y"), _regular, horizon=12,
                           wrong_unit=_regular_in_quarters, quantities=(("survival", ([1, 2, 3],)),)),
    "LostForGood": Case(lambda: ck.LostForGood(retention="sbg", unit="Y", margin=100.0), _regular, horizon=12,
                        wrong_unit=_regular_in_quarters, quantities=(("survival", ([1, 2, 3],)),)),
    "AlwaysAShare": Case(lambda: ck.AlwaysAShare(unit="Q", states=4), _log, quantities=(("value", (0.1,)),)),
    "bayes.BetaGeo": Case(lambda: ck.bayes.BetaGeo(), _cdnow, horizon=39, fit_options=BAYES_SETTINGS,
                          wrong_unit=_cdnow_days,
                          quantities=(("expected_purchases", (39,)), ("p_alive", ()))),
    "bayes.ShiftedBetaGeo": Case(lambda: ck.bayes.ShiftedBetaGeo(unit="Y"), _regular, horizon=12,
                                 fit_options=BAYES_SETTINGS, wrong_unit=_regular_in_quarters,
                                 quantities=(("survival", ([1, 2, 3],)),)),
}

PREDICT_COLUMNS = {"purchase": ["expected_purchases", "p_alive"], "spend": ["expected_spend"],
                   "retention": ["survival", "retention", "expected_alive"], "migration": ["value"]}
SUMMARY_COLUMNS = ["estimate", "std_error", "lower", "upper"]
BAYES_SUMMARY_EXTRA = ["r_hat", "ess_bulk", "ess_tail", "divergences"]
NAMES = sorted(CASES)
_FITTED: dict[str, object] = {}


def _fit(name: str):
    """One fitted instance per model for the whole module (Bayesian fits are the slow part)."""
    if name not in _FITTED:
        case = CASES[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ck.ConvergenceWarning)  # few draws: diagnostics may grumble
            _FITTED[name] = case.build().fit(case.fit_data(), **case.fit_options)
    return _FITTED[name]


def _predict(name: str, model, **kwargs):
    case = CASES[name]
    return model.predict(case.predict_data(), case.horizon, **kwargs)


def test_every_registered_model_has_a_case():
    assert set(ck.MODELS) == set(CASES), "a registered model lacks a contract case (or a case lacks its model)"
    assert {entry.kind for entry in ck.MODELS.values()} == set(PREDICT_COLUMNS)


@pytest.mark.parametrize("name", NAMES)
def test_construct_keyword_only_with_get_and_set_params(name):
    entry = ck.MODELS[name]
    assert entry.cls.kind == entry.kind and entry.cls.qualified_name == name
    sig = inspect.signature(entry.cls.__init__)
    positional = [p.name for p in sig.parameters.values()
                  if p.name != "self" and p.kind is not inspect.Parameter.KEYWORD_ONLY]
    assert positional == [], f"{name}: hyper-parameters must be keyword-only, got positional {positional}"
    model = CASES[name].build()
    params = model.get_params()
    assert set(params) == {p for p in sig.parameters if p != "self"} - {"period"}
    assert model.set_params(**params) is model and model.get_params() == params
    with pytest.raises(ck.DataError, match="no hyper-parameter"):
        model.set_params(not_a_parameter=1)
    assert repr(model).endswith("[not fitted]") and name in repr(model)


@pytest.mark.parametrize("name", NAMES)
def test_not_fitted_errors_and_fit_returns_self(name):
    case = CASES[name]
    model = case.build()
    assert [k for k in vars(model) if k.endswith("_") and not k.startswith("_")] == []
    with pytest.raises(ck.NotFittedError, match="is not fitted yet"):
        model.summary()
    with pytest.raises(ck.NotFittedError):
        model.predict(case.predict_data(), case.horizon)
    with pytest.raises(AttributeError):
        model.params_  # noqa: B018
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ck.ConvergenceWarning)
        assert model.fit(case.fit_data(), **case.fit_options) is model


@pytest.mark.parametrize("name", NAMES)
def test_fitted_attributes(name):
    model = _fit(name)
    kind = ck.MODELS[name].kind
    assert isinstance(model.params_, pd.Series) and len(model.params_) > 0
    assert np.all(np.isfinite(model.params_.to_numpy(dtype=float)))
    if kind == "spend":
        assert model.unit_ is None
    else:
        assert model.unit_ in ("D", "W", "M", "Q", "Y")
    assert model.n_obs_ > 0
    assert isinstance(model.converged_, bool)
    assert isinstance(model.data_provenance_, dict)


@pytest.mark.parametrize("name", NAMES)
def test_summary_and_repr(name):
    model = _fit(name)
    summary = model.summary()
    expected = SUMMARY_COLUMNS + (BAYES_SUMMARY_EXTRA if name.startswith("bayes.") else [])
    assert list(summary.columns) == expected
    assert list(summary.index) == list(model.params_.index)
    np.testing.assert_allclose(summary["estimate"].to_numpy(float), model.params_.to_numpy(float))
    finite = summary[SUMMARY_COLUMNS].notna().all(axis=1)
    assert finite.any()
    ok = summary[finite]
    assert (ok["lower"] <= ok["estimate"]).all() and (ok["estimate"] <= ok["upper"]).all()
    assert (ok["std_error"] >= 0).all()
    narrow = model.summary(interval=0.5)[finite]
    assert ((narrow["upper"] - narrow["lower"]) <= (ok["upper"] - ok["lower"]) + 1e-12).all()
    with pytest.raises(ck.DataError, match="interval"):
        model.summary(interval=1.5)
    text = repr(model)
    assert text.startswith(f"<clvkit.{name}:") and "estimate" in text


@pytest.mark.parametrize("name", NAMES)
def test_predict_columns_intervals_and_seeds(name):
    model = _fit(name)
    kind = ck.MODELS[name].kind
    point = _predict(name, model)
    assert isinstance(point, pd.DataFrame)
    assert list(point.columns) == PREDICT_COLUMNS[kind]
    assert len(point) > 0
    with_bounds = _predict(name, model, interval=0.9, n_draws=200, random_seed=7)
    expected = [c for q in PREDICT_COLUMNS[kind] for c in (q, f"{q}_lower", f"{q}_upper")]
    assert list(with_bounds.columns) == expected
    for q in PREDICT_COLUMNS[kind]:
        value, lower, upper = (with_bounds[c].to_numpy(float) for c in (q, f"{q}_lower", f"{q}_upper"))
        defined = ~np.isnan(value)
        if kind == "retention" and q == "retention":  # r(t) is undefined at period 0 only
            assert np.all(defined[with_bounds.index.get_level_values("period") > 0])
        else:
            assert defined.all(), f"{name}: {q} has NaN"
        assert np.all(lower[defined] <= value[defined] + 1e-9 * np.abs(value[defined]))
        assert np.all(value[defined] <= upper[defined] + 1e-9 * np.abs(value[defined]))
        pd.testing.assert_series_equal(with_bounds[q], point[q])
    again = _predict(name, model, interval=0.9, n_draws=200, random_seed=7)
    pd.testing.assert_frame_equal(again, with_bounds)


@pytest.mark.parametrize("name", NAMES)
def test_quantity_methods_return_named_series(name):
    model = _fit(name)
    case = CASES[name]
    for method, args in case.quantities:
        data_args = () if ck.MODELS[name].kind in ("retention", "migration") else (case.predict_data(),)
        result = getattr(model, method)(*data_args, *args)
        assert isinstance(result, pd.Series), f"{name}.{method} returned {type(result).__name__}"
        assert result.name == method


@pytest.mark.parametrize("name", NAMES)
def test_save_then_load_gives_equal_predictions(name, tmp_path):
    model = _fit(name)
    suffix = ".nc" if name.startswith("bayes.") else ".json"
    path = tmp_path / f"model{suffix}"
    model.save(path)
    back = ck.load(path)
    assert type(back) is type(model)
    pd.testing.assert_series_equal(back.params_, model.params_)
    assert back.unit_ == model.unit_
    pd.testing.assert_frame_equal(_predict(name, back), _predict(name, model))
    # the file says what it is: the other loader's format is refused with a DataError
    other = tmp_path / "model.bin"
    other.write_bytes(path.read_bytes()[:40] + b"\xff\xfe garbage")
    with pytest.raises(ck.DataError):
        ck.load(other)


@pytest.mark.parametrize("name", [n for n in NAMES if CASES[n].wrong_unit is not None])
def test_data_in_another_unit_is_refused(name):
    model = _fit(name)
    case = CASES[name]
    with pytest.raises(ck.DataError, match="unit"):
        model.predict(case.wrong_unit(), case.horizon)


def test_load_refuses_what_is_not_a_model(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"model": "Nope"}')
    with pytest.raises(ck.DataError, match="known clvkit model"):
        ck.load(path)
    path.write_text("not json")
    with pytest.raises(ck.DataError, match="not a clvkit model file"):
        ck.load(path)
    path.write_bytes(b"\x89HDF\r\n\x1a\n broken")
    with pytest.raises(ck.DataError):
        ck.load(path)
    path.write_text('{"model": "BetaGeo", "unit": "W", "params": {"r": "nan", "alpha": 1, "a": 1, "b": 1}}')
    with pytest.raises(ck.DataError, match="finite and > 0"):
        ck.load(path)
    with pytest.raises(ck.DataError, match="directory"):
        ck.load(tmp_path)


PURCHASE = sorted(n for n, e in ck.MODELS.items() if e.kind == "purchase")
SPEND = sorted(n for n, e in ck.MODELS.items() if e.kind == "spend")


#: BG/BB's discrete-time donations carry no spend, so a spend model cannot apply to them (tested below)
PAIRS = [(p, s) for p in PURCHASE for s in [*SPEND, "constant", "series", "none"]
         if not (p == "BetaGeoBetaBinom" and s in SPEND)]


@pytest.mark.parametrize(("purchase", "spend"), PAIRS)
def test_clv_for_every_purchase_and_spend_pair(purchase, spend):
    model = _fit(purchase)
    case = CASES[purchase]
    data = case.predict_data()
    if spend in SPEND:
        spend_arg = _fit(spend)
    elif spend == "constant":
        spend_arg = 25.0
    elif spend == "series":
        spend_arg = pd.Series(25.0, index=data.index)
    else:
        spend_arg = None
    value = ck.clv(model, data, case.horizon, spend=spend_arg, discount_rate=0.1, margin_rate=0.3,
                   interval=0.8, n_draws=100, random_seed=1)
    assert {"discounted_purchases", "clv", "clv_lower", "clv_upper"} <= set(value.columns)
    assert value["clv"].notna().all() and (value["clv"] >= 0).all()
    assert (value["clv_lower"] <= value["clv"] + 1e-9).all() and (value["clv"] <= value["clv_upper"] + 1e-9).all()
    if spend in ("constant", "series"):
        np.testing.assert_allclose(value["clv"], 0.3 * 25.0 * value["discounted_purchases"], rtol=1e-12)
    again = ck.clv(model, data, case.horizon, spend=spend_arg, discount_rate=0.1, margin_rate=0.3,
                   interval=0.8, n_draws=100, random_seed=1)
    pd.testing.assert_frame_equal(again, value)


@pytest.mark.parametrize("spend", SPEND)
def test_clv_says_why_a_spend_model_cannot_value_discrete_opportunities(spend):
    data = CASES["BetaGeoBetaBinom"].predict_data()
    with pytest.raises(ck.DataError, match="monetary_value"):
        ck.clv(_fit("BetaGeoBetaBinom"), data, 5, spend=_fit(spend))


def test_a_model_stated_by_hand_prints_without_warnings():
    import warnings as _warnings

    with _warnings.catch_warnings():
        _warnings.simplefilter("error")
        text = repr(ck.BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}))
    assert text.startswith("<clvkit.BetaGeo:") and "stated by hand" in text
