"""Retention economics, the value triangle and lifecycle stages (clvkit.crm.value), with their plots.

Expected values come from closed forms (hypergeometric DEL/DERL, the constant-retention CLV
m (1 + d) / (1 + d - r)), direct sums and hand computation on tiny cases.
"""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.crm import value as cv
from clvkit.data.datasets import load_retention_example
from clvkit.data.units import per_period_rate
from clvkit.errors import DataError
from clvkit.models._math import shifted_beta_geo as sbg
from clvkit.plotting import crm_value as cp

PARAMS = [(0.704, 1.182), (1.0, 1.0), (3.8, 15.2), (0.3, 0.4)]


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def regular():
    return load_retention_example("regular")


# ---------------------------------------------------------------------------------- elasticity
def _del_scaled(params, d, c):
    """DEL when every renewal probability is multiplied by c: DEL at x' = c / (1 + d)."""
    return sbg.discounted_lifetime(np.array(params), (1.0 + d) / c - 1.0)


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize("unit", ["Y", "Q"])
def test_sbg_elasticity_matches_central_difference(params, unit):
    m = ck.ShiftedBetaGeo.from_params(dict(zip(("alpha", "beta"), params, strict=True)), unit=unit)
    d = per_period_rate(0.10, unit)

    def fd(h):  # central difference of log DEL in log c
        up, down = _del_scaled(params, d, math.exp(h)), _del_scaled(params, d, math.exp(-h))
        return (math.log(up) - math.log(down)) / (2 * h)

    h = 1e-4  # Richardson extrapolation removes the O(h^2) term
    assert cv.retention_elasticity(m, 0.10) == pytest.approx((4 * fd(h / 2) - fd(h)) / 3, abs=1e-6)


@pytest.mark.parametrize("params", PARAMS)
def test_sbg_elasticity_is_a_tenure_weighted_mean_of_a_direct_sum(params):
    m = ck.ShiftedBetaGeo.from_params(dict(zip(("alpha", "beta"), params, strict=True)), unit="Y")
    x = 1 / 1.1
    t = np.arange(4000)
    w = sbg.survival(np.array(params), t) * x ** t
    assert cv.retention_elasticity(m, 0.10) == pytest.approx((t * w).sum() / w.sum(), rel=1e-9)


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize("renewals", [0, 1, 4])
def test_derl_elasticity_matches_central_difference(params, renewals):
    m = ck.ShiftedBetaGeo.from_params(dict(zip(("alpha", "beta"), params, strict=True)), unit="Y")
    d = 0.10

    def derl(c):  # scaling renewal probabilities by c: c * DERL at x' = c x
        return c * sbg.discounted_residual_lifetime(np.array(params), (1 + d) / c - 1, renewals)

    def fd(h):
        return (math.log(derl(math.exp(h))) - math.log(derl(math.exp(-h)))) / (2 * h)

    h = 1e-4
    assert cv.retention_elasticity(m, d, renewals=renewals) == pytest.approx((4 * fd(h / 2) - fd(h)) / 3, abs=1e-6)


def test_elasticity_of_lost_for_good_sbg_and_refusals(regular):
    lfg = ck.LostForGood(retention="sbg", unit="Y", margin=100.0).fit(regular, periods=7)
    assert cv.retention_elasticity(lfg, 0.1) == cv.retention_elasticity(lfg.sbg_, 0.1)
    with pytest.raises(DataError, match="sBG retention"):
        cv.retention_elasticity(ck.LostForGood(retention="constant", unit="Y", margin=1.0).fit(regular), 0.1)
    with pytest.raises(DataError, match="renewals"):
        cv.retention_elasticity(lfg.sbg_, 0.1, renewals=1.5)


@pytest.fixture(scope="module")
def small_data():
    frame = pd.DataFrame({"frequency": [0, 1, 3, 6, 2], "recency": [0.0, 10.0, 25.0, 38.0, 5.0],
                          "T": [39.0, 39.0, 39.0, 39.0, 39.0]}, index=pd.Index(list("abcde"), name="id"))
    return ck.CustomerData.from_frame(frame, unit="W")


@pytest.mark.parametrize("cls, params", [(ck.BetaGeo, {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}),
                                         (ck.ParetoNBD, {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67})])
def test_purchase_elasticity_is_its_central_difference(cls, params, small_data):
    m = cls.from_params(params, unit="W")
    name = cv.DROPOUT_PARAMETER[cls.__name__]
    e = cv.purchase_retention_elasticity(m, small_data, 52, 0.10)

    def total(c):
        alt = cls.from_params({**params, name: params[name] * c}, unit="W")
        return ck.clv(alt, small_data, 52, discount_rate=0.10)["discounted_purchases"].sum()

    h = 1e-3
    assert e > 0
    assert e == pytest.approx((math.log(total(math.exp(h))) - math.log(total(math.exp(-h)))) / (2 * h), abs=1e-6)


# ---------------------------------------------------------------------------------- what-if
def test_what_if_zero_points_reproduces_the_models_value(regular):
    s = ck.ShiftedBetaGeo(unit="Y").fit(regular.query("period <= 7"))
    out = cv.retention_what_if(s, 0.10, points=[0.0], margin=100.0)
    assert out["value"].iloc[0] == pytest.approx(100 * s.discounted_lifetime(0.10), rel=1e-12)
    for kind in ("sbg", "constant", "empirical"):
        lfg = ck.LostForGood(retention=kind, unit="Y", margin=100.0).fit(regular, periods=7)
        for horizon in (None, 5, 200, 1000):  # 1000 > the ~435 terms summed: geometric tail to H
            zero = cv.retention_what_if(lfg, 0.10, points=[0.0], horizon=horizon)
            assert zero["value"].iloc[0] == pytest.approx(lfg.value(0.10, horizon=horizon), rel=1e-12), (kind, horizon)
            assert zero["change"].iloc[0] == 0.0


def test_what_if_rises_with_the_points(regular):
    lfg = ck.LostForGood(retention="sbg", unit="Y", margin=100.0).fit(regular, periods=7)
    out = cv.retention_what_if(lfg, 0.10)
    assert list(out.columns) == ["points", "value", "change", "change_pct"]
    assert out["points"].tolist() == [0.01, 0.05, 0.10]
    assert np.all(np.diff(out["value"]) > 0) and np.all(out["change"] > 0)
    np.testing.assert_allclose(out["change_pct"], 100 * out["change"] / lfg.value(0.10), rtol=1e-12)


def test_what_if_constant_retention_has_the_closed_form(regular):
    lfg = ck.LostForGood(retention="constant", unit="Y", margin=50.0).fit(regular, periods=7)
    r = float(lfg.params_["retention"])
    d = 0.12
    out = cv.retention_what_if(lfg, d, points=[0.01, 0.05, 0.10])
    for row in out.itertuples():
        rr = min(r + row.points, 1.0)
        assert row.value == pytest.approx(50.0 * (1 + d) / (1 + d - rr), rel=1e-12)


def test_what_if_always_a_share():
    m = ck.AlwaysAShare.from_params(p=[0.5, 0.2], margin=10, unit="Y")
    out = cv.retention_what_if(m, 0.10, points=[0.0, 0.1, 0.6])
    assert out["value"].iloc[0] == pytest.approx(m.value(0.10).iloc[0], rel=1e-12)
    raised = ck.AlwaysAShare.from_params(p=[0.6, 0.3], margin=10, unit="Y").value(0.10)
    assert out["value_state_2"].iloc[1] == pytest.approx(raised.iloc[1], rel=1e-12)
    capped = ck.AlwaysAShare.from_params(p=[1.0, 0.8], margin=10, unit="Y").value(0.10)
    assert out["value_state_1"].iloc[2] == pytest.approx(capped.iloc[0], rel=1e-12)
    assert np.all(np.diff(out["value"]) > 0)


def test_what_if_always_a_share_weights_the_customers_states(cdnow_sample_tx):
    m = ck.AlwaysAShare(unit="Q", states=4).fit(cdnow_sample_tx)
    out = cv.retention_what_if(m, 0.10, points=[0.0, 0.05])
    assert out["value"].iloc[0] == pytest.approx(m.customer_values(0.10)["value"].sum(), rel=1e-12)
    assert out["value"].iloc[1] > out["value"].iloc[0]


def test_what_if_refusals(regular):
    with pytest.raises(DataError, match="points"):
        cv.retention_what_if(ck.AlwaysAShare.from_params(p=[0.5], margin=1, unit="Y"), 0.1, points=[-0.1])
    with pytest.raises(DataError, match="ShiftedBetaGeo, LostForGood or AlwaysAShare"):
        cv.retention_what_if(ck.BetaGeo.from_params({"r": 1, "alpha": 1, "a": 1, "b": 1}), 0.1)


# ---------------------------------------------------------------------------------- value triangle
def test_value_triangle_by_hand():
    # ten customers, two per frequency quintile; top_share 0.5 -> the better one of each pair is the top tier
    freq = [0, 0, 1, 1, 2, 2, 3, 3, 5, 5]
    rec = [0, 0, 5, 30, 8, 35, 10, 36, 20, 38]
    frame = pd.DataFrame({"frequency": freq, "recency": np.array(rec, float), "T": 39.0,
                          "monetary_value": [0, 0, 20, 30, 10, 12, 8, 9, 40, 50]},
                         index=pd.Index(range(10), name="id"))
    data = ck.CustomerData.from_frame(frame, unit="W")
    m = ck.BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, unit="W")
    out = cv.value_triangle(data, m, 25.0, horizon=52, discount_rate=0.1, margin_rate=0.4, top_share=0.5)
    current = ck.clv(m, data, 52, spend=25.0, discount_rate=0.1, margin_rate=0.4)["clv"]
    np.testing.assert_allclose(out["current_value"], current, rtol=1e-14)
    # historical: 0.4 * (frequency + 1) * monetary_value; one-time buyers: 0.4 * the constant spend 25
    expected_hist = [10, 10, 16, 24, 12, 14.4, 12.8, 14.4, 96, 120]
    np.testing.assert_allclose(out["historical_value"], expected_hist, rtol=1e-14)
    assert out["peer_group"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    c = current.to_numpy()
    for i in range(0, 10, 2):
        hi, lo = max(c[i], c[i + 1]), min(c[i], c[i + 1])
        pair = out["potential_value"].to_numpy()[i:i + 2]
        assert sorted(pair) == pytest.approx([0.0, hi - lo], abs=1e-12)
        assert out["top_tier"].to_numpy()[i:i + 2].sum() == 1
    # an explicit historical series and a custom peer key
    hist = pd.Series(np.arange(10.0), index=frame.index)
    one = cv.value_triangle(data, m, 25.0, horizon=52, historical=hist, peer_key=pd.Series(1, index=frame.index),
                            top_share=0.1, margin_rate=0.4)
    assert one["historical_value"].tolist() == list(np.arange(10.0))
    np.testing.assert_allclose(one["potential_value"], c.max() - c, atol=1e-12)
    with pytest.raises(DataError, match="spend"):
        cv.value_triangle(data, m, None, horizon=52)


def test_value_triangle_on_cdnow(cdnow_published_summary):
    m = ck.BetaGeo().fit(cdnow_published_summary)
    g = ck.GammaGamma().fit(cdnow_published_summary.frame.query("frequency > 0"))
    out = cv.value_triangle(cdnow_published_summary, m, g, horizon=52, discount_rate=0.1, margin_rate=0.3)
    assert len(out) == 2357 and out.index.equals(cdnow_published_summary.frame.index)
    assert (out[["historical_value", "current_value", "potential_value"]] >= 0).all().all()
    assert out["peer_group"].nunique() <= 5
    # potential = max(0, mean current value of the group's top tier - own); the best of each group has none
    top_mean = out[out["top_tier"]].groupby("peer_group")["current_value"].mean()
    np.testing.assert_allclose(out["potential_value"],
                               np.maximum(0, out["peer_group"].map(top_mean) - out["current_value"]), atol=1e-12)
    assert (out.groupby("peer_group").apply(lambda g: g.loc[g["current_value"].idxmax(), "potential_value"]) == 0).all()
    top_min = out[out["top_tier"]].groupby("peer_group")["current_value"].min()
    rest_max = out[~out["top_tier"]].groupby("peer_group")["current_value"].max()
    assert (top_min.reindex(rest_max.index) >= rest_max).all()
    # the top tier is ceil(10%) of each group
    sizes = out.groupby("peer_group")["top_tier"].agg(["sum", "size"])
    assert (sizes["sum"] == np.ceil(0.1 * sizes["size"])).all()
    # repeat buyers' historical value is the margin on (frequency + 1) purchases of their mean
    f = cdnow_published_summary.frame
    rep = f["frequency"] > 0
    np.testing.assert_allclose(out.loc[rep, "historical_value"],
                               0.3 * (f.loc[rep, "frequency"] + 1) * f.loc[rep, "monetary_value"])


# ---------------------------------------------------------------------------------- lifecycle
def test_lifecycle_by_hand():
    frame = pd.DataFrame({"frequency": [0, 1, 5, 5, 8], "recency": [0.0, 38.0, 38.0, 2.0, 37.0], "T": 39.0},
                         index=pd.Index(list("abcde"), name="id"))
    data = ck.CustomerData.from_frame(frame, unit="W")
    m = ck.BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, unit="W")
    alive = m.p_alive(data)
    assert alive["a"] == 1.0 and alive["d"] < 0.5 and (alive[["b", "c", "e"]] >= 0.5).all()
    out = cv.lifecycle_stage(data, m)
    # repeat buyers' frequencies 1, 5, 5, 8: median 5 -> b (1) forms, c (5) and e (8) are stable
    assert out["stage"].astype(str).tolist() == ["exploration", "formation", "stability", "decline", "stability"]
    assert cv.lifecycle_stage(data, m, formation_below=6)["stage"]["c"] == "formation"
    assert (cv.lifecycle_stage(data, m, p_alive_threshold=1.0)["stage"].astype(str)[["b", "c", "d", "e"]]
            == "decline").all()


# ---------------------------------------------------------------------------------- plots
def test_plots_render_the_tables(regular, small_data):
    tri = pd.DataFrame({"historical_value": [1.0, 2.0, 3.0], "current_value": [4.0, 5.0, 6.0],
                        "potential_value": [0.0, 1.0, 0.0], "peer_group": [1, 1, 2]})
    ax = cp.plot_value_triangle(tri)
    heights = [[b.get_height() for b in c] for c in ax.containers]
    assert heights == [[1.5, 3.0], [4.5, 6.0], [0.5, 0.0]]
    lfg = ck.LostForGood(retention="sbg", unit="Y", margin=100.0).fit(regular, periods=7)
    table = cv.retention_what_if(lfg, 0.1)
    ax = cp.plot_what_if(table)
    assert [b.get_height() for b in ax.containers[0]] == pytest.approx(table["value"].tolist())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["+1 pts", "+5 pts", "+10 pts"]
    m = ck.BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, unit="W")
    stages = cv.lifecycle_stage(small_data, m)
    ax = cp.plot_lifecycle(stages)
    counts = stages["stage"].value_counts(sort=False).reindex(list(cv.STAGES)).tolist()
    assert [b.get_height() for b in ax.containers[0]] == counts
