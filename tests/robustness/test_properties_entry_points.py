"""Generated bad and extreme inputs at every public entry point (hypothesis, fixed seed, bounded examples).

The invariant, for every case: either a clvkit error (``ClvkitError``, usually ``DataError``) whose
message shows plain numbers, or finite numbers that pass the quantity's own checks (probabilities in
[0, 1], expectations and values >= 0 where they must be); no hang (each call under a time limit), no
RuntimeWarning (``ConvergenceWarning`` is the deliberate exception), no NaN or inf in an output.
"""

from __future__ import annotations

import contextlib
import json
import signal
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clvkit as ck

#: fixed seed (derandomize) and a bounded number of examples, so CI is reproducible and quick
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
#: seconds one call may take before it counts as a hang
TIME_LIMIT = 20


class HangError(Exception):
    pass


@contextlib.contextmanager
def bounded(seconds: int = TIME_LIMIT):
    """Fail the case if the body runs longer than ``seconds`` (SIGALRM; tests run in the main thread)."""

    def on_alarm(signum, frame):
        raise HangError(f"took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def outcome(fn, *args, **kwargs):
    """Run ``fn`` under the invariant; return its result, or None when it raised a clvkit error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ck.ConvergenceWarning)
        warnings.simplefilter("ignore", ck.DataWarning)
        warnings.simplefilter("ignore", FutureWarning)
        try:
            with bounded():
                return fn(*args, **kwargs)
        except ck.ClvkitError as exc:
            message = str(exc)
            assert message and "np.int64" not in message and "np.float64" not in message, message
            return None


def finite_frame(frame: pd.DataFrame) -> None:
    values = frame.select_dtypes("number").to_numpy(dtype=float)
    assert np.isfinite(values).all(), f"non-finite values in {list(frame.columns)}"


# ---------------------------------------------------------------------------------------- strategies
extreme_floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e-300, 1e-8, 1.0, 1e8, 1e300, -1.0, float("nan"), float("inf")]),
)
ids = st.one_of(st.integers(-5, 5), st.sampled_from(["007", "7", "0007", "a", "", None, float("nan")]))
dates = st.one_of(
    st.datetimes(min_value=pd.Timestamp("1990-01-01").to_pydatetime(),
                 max_value=pd.Timestamp("2030-01-01").to_pydatetime()),
    st.sampled_from(["1997-01-01", "not a date", "9999-12-31", "1066-10-14", None, "2020-02-30"]),
)
amounts = st.one_of(st.floats(-100, 1e6), st.sampled_from([float("nan"), float("inf"), -1.0, 0.0]))


@st.composite
def transaction_logs(draw):
    n = draw(st.integers(0, 12))
    return pd.DataFrame({"customer_id": draw(st.lists(ids, min_size=n, max_size=n)),
                         "date": draw(st.lists(dates, min_size=n, max_size=n)),
                         "amount": draw(st.lists(amounts, min_size=n, max_size=n))})


@st.composite
def summaries(draw, valid: bool = False):
    n = draw(st.integers(1, 8))
    if valid:
        T = np.array(draw(st.lists(st.floats(0.5, 1e5), min_size=n, max_size=n)))
        share = np.array(draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)))
        freq = np.array(draw(st.lists(st.integers(0, 10**6), min_size=n, max_size=n)), dtype=float)
        recency = np.where(freq > 0, share * T, 0.0)
        money = np.array(draw(st.lists(st.floats(0.01, 1e6), min_size=n, max_size=n)))
    else:
        freq = draw(st.lists(extreme_floats, min_size=n, max_size=n))
        recency = draw(st.lists(extreme_floats, min_size=n, max_size=n))
        T = draw(st.lists(extreme_floats, min_size=n, max_size=n))
        money = draw(st.lists(extreme_floats, min_size=n, max_size=n))
    return pd.DataFrame({"frequency": freq, "recency": recency, "T": T, "monetary_value": money})


PURCHASE = [ck.BetaGeo, ck.ParetoNBD, ck.ModifiedBetaGeo]
PARAMS = {ck.BetaGeo: ("r", "alpha", "a", "b"), ck.ModifiedBetaGeo: ("r", "alpha", "a", "b"),
          ck.ParetoNBD: ("r", "alpha", "s", "beta")}
params = st.lists(st.sampled_from([1e-8, 1e-3, 0.5, 1.0, 3.0, 1e3, 1e8]), min_size=4, max_size=4)


# ---------------------------------------------------------------------------------------- the data layer
@SETTINGS
@given(transaction_logs())
def test_summarize_any_log(tx):
    data = outcome(ck.summarize, tx, unit="W")
    if data is not None:
        finite_frame(data.frame)
        assert (data.frame["recency"] <= data.frame["T"] + 1e-9).all()


@SETTINGS
@given(summaries())
def test_from_frame_any_summary(frame):
    data = outcome(ck.CustomerData.from_frame, frame, unit="W")
    if data is not None:
        finite_frame(data.frame)


# ---------------------------------------------------------------------------------------- models
@SETTINGS
@given(st.sampled_from(PURCHASE), params, summaries(valid=True), st.sampled_from([0.0, 1.0, 52.0, 1e5]))
def test_predictions_at_extreme_parameters_and_rows(cls, values, frame, horizon):
    model = outcome(cls.from_params, dict(zip(PARAMS[cls], values, strict=True)), unit="W")
    if model is None:
        return
    data = ck.CustomerData.from_frame(frame, unit="W")
    pred = outcome(model.predict, data, horizon)
    if pred is not None:
        finite_frame(pred)
        assert ((pred["p_alive"] >= 0) & (pred["p_alive"] <= 1)).all()
        assert (pred["expected_purchases"] >= 0).all()


@settings(SETTINGS, max_examples=15)
@given(st.sampled_from(PURCHASE), summaries(valid=True))
def test_fit_on_extreme_rows(cls, frame):
    data = ck.CustomerData.from_frame(frame, unit="W")
    model = outcome(cls().fit, data)
    if model is not None:
        assert np.isfinite(model.params_).all() and (model.params_ > 0).all()
        value = outcome(ck.clv, model, data, 52)
        if value is not None:
            finite_frame(value)


@SETTINGS
@given(st.one_of(extreme_floats, st.sampled_from(["0.1", None, 10, 50, -0.5, -1, 1e9])),
       st.one_of(extreme_floats, st.sampled_from(["52", None, -1, 1e9])),
       st.one_of(extreme_floats, st.sampled_from(["0.3", -0.3, 0, 2])))
def test_clv_with_any_rate_horizon_and_margin(cdnow_published_summary, rate, horizon, margin_rate):
    model = ck.BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, unit="W")
    value = outcome(ck.clv, model, cdnow_published_summary, horizon, spend=20.0, discount_rate=rate,
                    margin_rate=margin_rate)
    if value is not None:
        finite_frame(value)
        assert (value["clv"] >= 0).all()


@SETTINGS
@given(st.lists(st.one_of(extreme_floats, st.sampled_from([0.5, 0.25, 1.0, 1e-9])), min_size=1, max_size=3))
def test_gamma_gamma_from_any_parameters(values):
    g = outcome(ck.GammaGamma.from_params, dict(zip(("p", "q", "gamma"), (values * 3)[:3], strict=True)))
    if g is not None:
        frame = pd.DataFrame({"frequency": [0, 1, 5], "monetary_value": [0.0, 10.0, 30.0]})
        spend = outcome(g.expected_spend, frame)
        if spend is not None:
            assert np.isfinite(spend).all() and (spend >= 0).all()


# ---------------------------------------------------------------------------------------- Dwyer
@SETTINGS
@given(st.lists(extreme_floats, min_size=0, max_size=6), extreme_floats, extreme_floats,
       st.one_of(extreme_floats, st.sampled_from(["0.1", 10, -0.5])),
       st.one_of(st.none(), st.integers(-2, 10**9)))
def test_always_a_share_any_inputs(p, margin, cost, rate, horizon):
    model = outcome(ck.AlwaysAShare.from_params, p=p, margin=margin, cost=cost)
    if model is None:
        return
    for method in (model.value, model.policy):
        out = outcome(method, rate, horizon=horizon)
        if out is not None:
            finite_frame(out.to_frame() if isinstance(out, pd.Series) else out)


@SETTINGS
@given(st.one_of(extreme_floats, st.sampled_from(["0.1", 10, -0.5, -0.99])),
       st.one_of(st.none(), st.integers(-2, 10**9)), st.one_of(st.none(), extreme_floats))
def test_lost_for_good_any_rate_horizon_margin(rate, horizon, margin):
    model = ck.LostForGood(retention="sbg", unit="Y", margin=100.0).fit(
        ck.datasets.load_retention_example("regular"), periods=7)
    value = outcome(model.value, rate, horizon=horizon, margin=margin)
    if value is not None:
        assert np.isfinite(value) and value >= 0


@SETTINGS
@given(st.lists(extreme_floats, max_size=4), st.lists(extreme_floats, max_size=4),
       st.lists(extreme_floats, max_size=4), extreme_floats)
def test_cohort_table_any_lists(retention, orders, order_value, customers):
    n = len(retention)
    table = outcome(ck.cohort_table, customers=customers, retention=retention, orders=orders[:n] or [1.0] * n,
                    order_value=order_value[:n] or [1.0] * n, cost_rate=[0.5] * n, discount_rate=0.1)
    if table is not None:
        finite_frame(table)


# ---------------------------------------------------------------------------------------- files
@SETTINGS
@given(st.one_of(st.binary(max_size=64),
                 st.dictionaries(st.sampled_from(["model", "params", "unit", "init", "format_version"]),
                                 st.one_of(st.text(max_size=8), st.integers(), st.floats(), st.none(),
                                           st.dictionaries(st.sampled_from(["r", "alpha", "a", "b", "p"]),
                                                           extreme_floats, max_size=5)),
                                 max_size=5).map(lambda d: json.dumps({"model": "BetaGeo", **d}).encode())))
def test_load_any_bytes(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("load") / "model.json"
    path.write_bytes(raw)
    model = outcome(ck.load, path)
    if model is not None:
        assert np.isfinite(model.params_).all() and (model.params_ > 0).all()


@pytest.fixture(scope="module")
def cdnow_published_summary():
    return ck.CustomerData.from_frame(ck.datasets.load_cdnow_summary(), unit="W")


@SETTINGS
@given(st.lists(st.sampled_from([1e-8, 1e-3, 0.5, 1.0, 3.0, 1e3, 1e8]), min_size=4, max_size=4),
       st.integers(1, 50), st.sampled_from([0, 1, 5, 100]))
def test_bgbb_at_extreme_parameters(values, n_periods, horizon):
    model = outcome(ck.BetaGeoBetaBinom.from_params,
                    dict(zip(("alpha", "beta", "gamma", "delta"), values, strict=True)), unit="Y")
    if model is None:
        return
    frame = pd.DataFrame({"frequency": [0, 1, n_periods], "recency": [0, 1, n_periods],
                          "n_periods": [n_periods] * 3})
    pred = outcome(model.predict, ck.CustomerData.from_frame(frame, unit="Y"), horizon)
    if pred is not None:
        finite_frame(pred)
        assert ((pred["p_alive"] >= 0) & (pred["p_alive"] <= 1)).all()


@settings(SETTINGS, max_examples=25)
@given(st.lists(st.one_of(st.integers(0, 10**6), st.floats(-5, 1e6), st.just(float("nan"))), min_size=1, max_size=8))
def test_shifted_beta_geo_on_any_alive_counts(alive):
    table = pd.DataFrame({"period": np.arange(len(alive)), "alive": alive})
    model = outcome(ck.ShiftedBetaGeo(unit="Y").fit, table)
    if model is not None:
        pred = outcome(model.predict, table, 10)
        if pred is not None:
            assert np.isfinite(pred["survival"]).all()
            assert ((pred["survival"] >= 0) & (pred["survival"] <= 1)).all()


@settings(SETTINGS, max_examples=25)
@given(st.sampled_from(["52", "inf", "-1", "nan", "1e300", "x", "0"]),
       st.sampled_from(["0.1", "10", "-1", "nan", "x", "0"]), st.sampled_from(["0.3", "-1", "inf", "x"]),
       st.sampled_from(["W", "D", "fortnight", None]))
def test_cli_score_with_any_settings(tmp_path_factory, horizon, rate, margin_rate, unit):
    """Every combination ends with exit 0 and finite scores, or one error line and a non-zero code."""
    import contextlib as _contextlib
    import io

    from clvkit.cli import main

    folder = tmp_path_factory.mktemp("cli")
    summary = folder / "summary.csv"
    ck.datasets.load_cdnow_summary().head(50).to_csv(summary)
    model = folder / "bgnbd.json"
    ck.BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, unit="W").save(model)
    out = folder / "scores.csv"
    args = ["score", str(summary), "--model", str(model), "--out", str(out), "--horizon", horizon,
            "--discount-rate", rate, "--margin-rate", margin_rate, "--quiet", *(["--unit", unit] if unit else [])]
    err = io.StringIO()
    with _contextlib.redirect_stderr(err), _contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with bounded():
                code = main(args)
        except SystemExit as exc:  # argparse refuses a malformed number before clvkit sees it
            code = exc.code
    assert "Traceback" not in err.getvalue()
    if code == 0:
        finite_frame(pd.read_csv(out, index_col=0))
    else:
        assert code in (2, 3, 4, 5) and not out.exists()
