"""Every public model keeps the estimator contract: fit returns self, fitted attributes end in
"_" and exist only after fit, NotFittedError before, summary() columns, JSON round trip."""

import json

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.data.datasets import load_cdnow_summary, load_donations, load_retention_example


def _cdnow():
    return ck.CustomerData.from_frame(load_cdnow_summary(), unit="W")


FACTORIES = {
    "BetaGeo": _cdnow,
    "ParetoNBD": _cdnow,
    "ModifiedBetaGeo": _cdnow,
    "GammaGamma": _cdnow,
    "BetaGeoBetaBinom": lambda: ck.CustomerData.from_frame(load_donations(), unit="Y"),
    "ShiftedBetaGeo": lambda: load_retention_example("regular").query("period <= 7"),
}
MODELS = [name for name in FACTORIES if hasattr(ck, name)]


@pytest.fixture(scope="module", params=MODELS)
def case(request):
    name = request.param
    data = FACTORIES[name]()
    return name, getattr(ck, name), data


def test_all_issue_models_are_exported():
    assert {"BetaGeo", "GammaGamma"} <= set(MODELS)


def _public_fitted_attributes(model):
    return [k for k in vars(model) if k.endswith("_") and not k.startswith("_")]


def test_fit_returns_self_and_sets_trailing_underscore_attributes(case):
    name, cls, data = case
    model = cls()
    assert _public_fitted_attributes(model) == []
    with pytest.raises(ck.NotFittedError, match=f"{name} is not fitted yet"):
        model.summary()
    with pytest.raises(AttributeError):
        model.params_  # noqa: B018
    assert model.fit(data) is model
    assert {"params_", "loglik_", "covariance_"} <= set(_public_fitted_attributes(model))
    assert list(model.params_.index) == list(cls.param_names)
    assert np.isfinite(model.loglik_)


def test_summary_and_repr(case):
    name, cls, data = case
    model = cls().fit(data)
    summary = model.summary()
    assert list(summary.columns) == ["estimate", "std_error", "lower", "upper"]
    assert (summary["std_error"] > 0).all()
    assert name in repr(model) and "log-likelihood" in repr(model)


def test_json_round_trip(case, tmp_path):
    name, cls, data = case
    model = cls().fit(data)
    path = tmp_path / "model.json"
    model.save(path)
    state = json.loads(path.read_text())
    assert state["model"] == name and "clvkit_version" in state
    back = ck.load(path)
    assert type(back) is cls
    pd.testing.assert_series_equal(back.params_, model.params_)
    np.testing.assert_allclose(back.covariance_, model.covariance_)
    assert back.loglik_ == model.loglik_


def test_load_refuses_unknown_files(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"model": "Nope"}')
    with pytest.raises(ck.DataError, match="known clvkit model"):
        ck.load(path)
    path.write_text("not json")
    with pytest.raises(ck.DataError, match="not JSON"):
        ck.load(path)


def test_event_model_predictions_survive_round_trip(tmp_path):
    data = _cdnow()
    for name in ("BetaGeo", "ParetoNBD", "ModifiedBetaGeo"):
        if not hasattr(ck, name):
            continue
        model = getattr(ck, name)().fit(data)
        model.save(tmp_path / f"{name}.json")
        back = ck.load(tmp_path / f"{name}.json")
        pd.testing.assert_frame_equal(back.predict(data, horizon=10), model.predict(data, horizon=10))


def test_fit_leaves_the_data_untouched(case):
    import copy

    _, cls, data = case
    frame = data.frame if isinstance(data, ck.CustomerData) else data
    before = frame.copy()
    provenance = copy.deepcopy(getattr(data, "provenance", None))
    cls().fit(data)
    pd.testing.assert_frame_equal(frame, before)
    assert getattr(data, "provenance", None) == provenance
