"""clvkit.plotting.events and the tables behind it (clvkit.evaluate.diagnostics).

Each figure is rendered headless (Agg) and the data drawn is compared with its table; each
table is checked against an independent computation: REFERENCE.md's CDNOW facts, counts from
the raw log with pandas, simulation of the BG/NBD process, lifetimes 0.11.3 with our
parameters, clvkit.summarize on a cut log, and closed-form Gini coefficients.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.data.summarize import summarize
from clvkit.errors import DataError
from clvkit.evaluate import (
    expected_purchases_matrix,
    gini,
    holdout_by_frequency,
    holdout_predictions,
    lorenz_curve,
    p_alive_history,
    p_alive_matrix,
    period_transactions,
    tracking_table,
)
from clvkit.plotting import events as pe
from clvkit.simulate import simulate_beta_geo

lifetimes = pytest.importorskip("lifetimes")

CAL, END = "1997-09-30", "1998-06-30"


@pytest.fixture(scope="module")
def bg(cdnow_sample_data):
    return ck.BetaGeo().fit(cdnow_sample_data)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _render(ax) -> None:
    ax.figure.canvas.draw()  # a real headless render, not only artist creation


# ---------------------------------------------------------------------------------- period transactions
def test_period_transactions_table_and_bars(bg, cdnow_sample_data):
    table = period_transactions(bg, cdnow_sample_data)
    # REFERENCE.md: 1,411 customers without a repeat purchase among 2,357
    assert table.loc["0", "actual"] == 1411 and table["actual"].sum() == 2357
    assert table["model"].sum() == pytest.approx(2357, rel=1e-10)
    ax = pe.plot_period_transactions(bg, cdnow_sample_data)
    _render(ax)
    heights = np.array([p.get_height() for p in ax.patches])
    np.testing.assert_allclose(heights[:8], table["actual"])
    np.testing.assert_allclose(heights[8:], table["model"])
    assert [t.get_text() for t in ax.get_xticklabels()] == list(table.index)


def test_period_transactions_model_matches_simulation(bg, cdnow_sample_data):
    """Expected counts vs the BG/NBD process simulated for the same T's (40 copies of the cohort)."""
    table = period_transactions(bg, cdnow_sample_data)
    T = cdnow_sample_data.frame["T"].to_numpy()
    copies = 40
    sim = simulate_beta_geo(bg.params_, len(T) * copies, T=np.tile(T, copies), random_seed=17)
    counts = np.bincount(np.minimum(sim["frequency"], 7), minlength=8) / copies
    share = table["model"].to_numpy() / 2357
    se = np.sqrt(share * (1 - share) * 2357 / copies)  # multinomial standard error of a mean count
    assert np.all(np.abs(counts - table["model"].to_numpy()) < 4 * se + 1e-9), (counts, table["model"])


# ---------------------------------------------------------------------------------- calibration vs holdout
def test_calibration_vs_holdout_plot(bg, cdnow_sample_data):
    pred = holdout_predictions(bg, cdnow_sample_data)
    table = holdout_by_frequency(pred["frequency"], pred["frequency_holdout"],
                                 {"BetaGeo": pred["expected_purchases"]})
    ax = pe.plot_calibration_vs_holdout(bg, cdnow_sample_data)
    _render(ax)
    lines = {line.get_label(): line.get_ydata() for line in ax.get_lines()}
    np.testing.assert_allclose(lines["actual"], table["actual"])
    np.testing.assert_allclose(lines["BetaGeo"], table["BetaGeo"])
    # the model's conditional expectations are lifetimes' FHL (2005) eq. (10)
    lt = lifetimes.BetaGeoFitter()
    lt.params_ = bg.params_.copy()
    f = cdnow_sample_data.frame
    theirs = lt.conditional_expected_number_of_purchases_up_to_time(39.0, f["frequency"], f["recency"], f["T"])
    np.testing.assert_allclose(lines["BetaGeo"], theirs.groupby(np.minimum(f["frequency"], 7).to_numpy()).mean())


# ---------------------------------------------------------------------------------- tracking
@pytest.fixture(scope="module")
def tracking(bg, cdnow_sample_tx):
    return tracking_table(bg, cdnow_sample_tx, CAL, END)


def test_tracking_actual_counts(tracking, cdnow_sample_data):
    assert len(tracking) == 78 and tracking.attrs["calibration_periods"] == 39.0
    assert tracking["calibration"].sum() == 39
    # REFERENCE.md: 2,457 repeat purchases in calibration (weeks 1-39)
    assert tracking.loc[39, "actual_cumulative"] == 2457
    assert tracking.loc[78, "actual_cumulative"] == 2457 + cdnow_sample_data.frame["frequency_holdout"].sum()
    np.testing.assert_allclose(tracking["actual_incremental"].cumsum(), tracking["actual_cumulative"])
    assert tracking.loc[1, "period_end"] == pd.Timestamp("1997-01-08")


def test_tracking_expected_matches_summary_and_simulation(bg, tracking, cdnow_sample_data):
    T = cdnow_sample_data.frame["T"].to_numpy()
    # at the end of calibration: sum over customers of E[X(T_i)] with summarize's T
    assert tracking.loc[39, "expected_cumulative"] == pytest.approx(bg.expected_purchases_new(T).sum(), rel=1e-10)
    # and against the BG/NBD process simulated for the same acquisition days (30 copies)
    copies = 30
    sim = simulate_beta_geo(bg.params_, len(T) * copies, T=np.tile(T, copies), holdout=39.0, random_seed=23)
    per_copy_cal = sim["frequency"].to_numpy().reshape(copies, -1).sum(axis=1)
    per_copy_end = (sim["frequency"] + sim["frequency_holdout"]).to_numpy().reshape(copies, -1).sum(axis=1)
    for value, draws in [(tracking.loc[39, "expected_cumulative"], per_copy_cal),
                         (tracking.loc[78, "expected_cumulative"], per_copy_end)]:
        se = draws.std(ddof=1) / np.sqrt(copies)
        assert abs(draws.mean() - value) < 4 * se, (draws.mean(), value, se)


def test_tracking_plots(bg, cdnow_sample_tx, tracking):
    ax = pe.plot_cumulative_transactions(bg, cdnow_sample_tx, CAL, END)
    _render(ax)
    actual, expected = ax.get_lines()[:2]
    np.testing.assert_allclose(actual.get_ydata(), tracking["actual_cumulative"])
    np.testing.assert_allclose(expected.get_ydata(), tracking["expected_cumulative"])
    np.testing.assert_allclose(ax.get_lines()[2].get_xdata(), [39.0, 39.0])  # end of calibration
    ax = pe.plot_incremental_transactions(bg, cdnow_sample_tx, CAL, END)
    _render(ax)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), tracking["actual_incremental"])
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), np.diff(tracking["expected_cumulative"], prepend=0))


def test_tracking_rejects_bad_dates(bg, cdnow_sample_tx):
    with pytest.raises(DataError, match="after end"):
        tracking_table(bg, cdnow_sample_tx, "1998-09-30", END)
    with pytest.raises(DataError, match="not a date"):
        tracking_table(bg, cdnow_sample_tx, "yesterday-ish", END)


# ---------------------------------------------------------------------------------- heat maps
def _lifetimes_bg(model):
    lt = lifetimes.BetaGeoFitter()
    lt.params_ = model.params_.copy()
    return lt


def test_heat_maps_match_lifetimes_and_image(bg):
    lt = _lifetimes_bg(bg)
    exp = expected_purchases_matrix(bg, T=39.0, horizon=26.0, max_frequency=12, n_recency=14)
    alive = p_alive_matrix(bg, T=39.0, max_frequency=12, n_recency=14)
    assert exp.shape == (13, 14) and alive.shape == (13, 14)
    x, r = np.meshgrid(exp.index.to_numpy(float), exp.columns.to_numpy(float), indexing="ij")
    ok = ~((x == 0) & (r > 0))
    assert np.isnan(exp.to_numpy()[~ok]).all() and np.isnan(alive.to_numpy()[~ok]).all()
    theirs = lt.conditional_expected_number_of_purchases_up_to_time(26.0, x[ok], r[ok], np.full(ok.sum(), 39.0))
    np.testing.assert_allclose(exp.to_numpy()[ok], theirs, rtol=1e-7)
    np.testing.assert_allclose(alive.to_numpy()[ok], lt.conditional_probability_alive(x[ok], r[ok], 39.0),
                               rtol=1e-7)
    for draw, matrix in [(lambda: pe.plot_expected_purchases_matrix(bg, 39.0, 26.0, 12, 14), exp),
                         (lambda: pe.plot_p_alive_matrix(bg, 39.0, 12, 14), alive)]:
        ax = draw()
        _render(ax)
        image = ax.images[0].get_array()
        np.testing.assert_allclose(np.ma.filled(image, np.nan), matrix.to_numpy())
        assert image.mask[~ok].all() and not image.mask[ok].any()


def test_heat_map_rejects_bad_grid(bg):
    with pytest.raises(DataError, match="T must be > 0"):
        p_alive_matrix(bg, T=0.0)
    with pytest.raises(DataError, match="n_recency"):
        p_alive_matrix(bg, T=10.0, n_recency=1)


# ---------------------------------------------------------------------------------- P(alive) history
@pytest.mark.filterwarnings("ignore:left out:clvkit.errors.DataWarning")  # summarize of a cut log says so
def test_p_alive_history_matches_summaries_of_the_cut_log(bg, cdnow_sample_tx):
    history = p_alive_history(bg, cdnow_sample_tx, 4, END)
    mine = cdnow_sample_tx[cdnow_sample_tx["customer_id"] == 4]
    assert history.index[0] == mine["date"].min() + pd.Timedelta(days=1)
    assert history.index[-1] == pd.Timestamp(END)
    assert history["purchase"].sum() == mine["date"].nunique() - 1  # repeat purchase days
    for day in ["1997-01-17", "1997-01-18", "1997-05-01", "1997-09-30", "1998-06-30"]:
        data = summarize(mine, end=day)
        assert history.loc[day, "p_alive"] == pytest.approx(bg.p_alive(data).iloc[0], rel=1e-12)
        assert history.loc[day, ["frequency", "recency", "T"]].tolist() == pytest.approx(
            data.frame[["frequency", "recency", "T"]].iloc[0].tolist())
    # P(alive) decays between purchases and jumps up on each purchase day, except the first
    # repeat purchase: before it P(alive) = 1 (no chance to drop out yet, FHL 2005 eq. 11)
    p = history["p_alive"].to_numpy()
    up = np.flatnonzero(history["purchase"].to_numpy())
    assert p[up[0] - 1] == 1.0 and p[up[0]] == pytest.approx(1 / (1 + bg.params_["a"] / bg.params_["b"]))
    assert np.all(p[up[1:]] > p[up[1:] - 1])
    quiet = np.ones(len(p), dtype=bool)
    quiet[up] = False
    assert np.all(np.diff(p)[quiet[1:]] <= 1e-15)


def test_p_alive_history_plot(bg, cdnow_sample_tx):
    history = p_alive_history(bg, cdnow_sample_tx, 4, END)
    ax = pe.plot_p_alive_history(bg, cdnow_sample_tx, 4, END)
    _render(ax)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), history["p_alive"])
    assert len(ax.get_lines()) == 1 + history["purchase"].sum()  # one dotted line per purchase
    with pytest.raises(DataError, match="customer -1 has no transaction"):
        p_alive_history(bg, cdnow_sample_tx, -1)


# ---------------------------------------------------------------------------------- Lorenz
def test_gini_against_closed_forms():
    assert gini(np.full(50, 3.0)) == pytest.approx(0.0, abs=1e-12)
    one = np.zeros(100)
    one[7] = 5.0
    assert gini(one) == pytest.approx(1 - 1 / 100)  # one customer holds everything: (n - 1) / n
    v = np.random.default_rng(8).gamma(0.7, 10.0, 300)
    mean_abs_diff = np.abs(v[:, None] - v[None, :]).sum() / (2 * len(v) ** 2 * v.mean())
    assert gini(v) == pytest.approx(mean_abs_diff, rel=1e-10)
    # exponential values: Gini = 1/2
    assert gini(np.random.default_rng(9).exponential(size=200_000)) == pytest.approx(0.5, abs=0.005)


def test_clv_lorenz_plot(bg, cdnow_sample_data):
    spend = ck.GammaGamma().fit(cdnow_sample_data)
    values = ck.clv(bg, cdnow_sample_data, horizon=52.0, spend=spend)
    curve = lorenz_curve(values)
    assert curve.iloc[0].tolist() == [0.0, 0.0] and curve.iloc[-1].tolist() == pytest.approx([1.0, 1.0])
    assert np.all(np.diff(curve["share_of_value"]) >= 0)
    ax = pe.plot_clv_lorenz(values)
    _render(ax)
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_xdata(), curve["share_of_customers"])
    np.testing.assert_allclose(line.get_ydata(), curve["share_of_value"])
    assert f"Gini {gini(values['clv']):.2f}" in line.get_label()
    top = np.sort(values["clv"].to_numpy())[::-1]
    share_top20 = top[: int(0.2 * len(top))].sum() / top.sum()
    assert f"top 20% hold {share_top20:.0%}" in line.get_label()
    with pytest.raises(DataError, match="negative"):
        lorenz_curve([1.0, -2.0])


def test_every_plot_accepts_an_axes(bg, cdnow_sample_data, cdnow_sample_tx):
    fig, axes = plt.subplots(3, 3)
    axes = axes.ravel()
    calls = [
        lambda ax: pe.plot_period_transactions(bg, cdnow_sample_data, ax=ax),
        lambda ax: pe.plot_calibration_vs_holdout({"bg": bg}, cdnow_sample_data, ax=ax),
        lambda ax: pe.plot_cumulative_transactions(bg, cdnow_sample_tx, CAL, END, ax=ax),
        lambda ax: pe.plot_incremental_transactions(bg, cdnow_sample_tx, CAL, END, ax=ax),
        lambda ax: pe.plot_expected_purchases_matrix(bg, 39.0, 39.0, ax=ax),
        lambda ax: pe.plot_p_alive_matrix(bg, 39.0, ax=ax),
        lambda ax: pe.plot_p_alive_history(bg, cdnow_sample_tx, 4, ax=ax),
        lambda ax: pe.plot_clv_lorenz(np.arange(10.0), ax=ax),
        lambda ax: pe.plot_holdout_by_frequency(pd.DataFrame({"actual": [1.0, 2.0]}, index=["0", "1+"]), ax=ax),
    ]
    for ax, call in zip(axes, calls, strict=True):
        assert call(ax) is ax
    fig.canvas.draw()
    assert set(pe.__all__) <= set(dir(ck.plotting))


# ---------------------------------------------------------------------------------- discrete time (BG/BB)
def test_bg_bb_period_transactions_and_grid():
    """Donations (FHS 2010): 11,104 donors, 6 opportunities; model counts vs the simulated process."""
    from clvkit.data.datasets import load_donations
    from clvkit.models.beta_geo_beta_binom import BetaGeoBetaBinom
    from clvkit.simulate.beta_geo_beta_binom import simulate_beta_geo_beta_binom

    donations = load_donations()
    model = BetaGeoBetaBinom().fit(donations)
    table = period_transactions(model, donations)
    assert table["actual"].sum() == 11_104 and table.loc["7+", "actual"] == 0
    expected_actual = donations.groupby("frequency")["weight"].sum().reindex(range(8), fill_value=0)
    np.testing.assert_array_equal(table["actual"], expected_actual)
    copies = 20
    sim = simulate_beta_geo_beta_binom(model.params_, 11_104 * copies, n_periods=6, random_seed=41)
    counts = np.bincount(np.minimum(sim["frequency"], 7), minlength=8) / copies
    share = table["model"].to_numpy() / 11_104
    se = np.sqrt(share * (1 - share) * 11_104 / copies)
    assert np.all(np.abs(counts - table["model"].to_numpy()) < 4 * se + 1e-9), (counts, table["model"])
    # at most one transaction per opportunity: cells with frequency > recency are NaN
    alive = p_alive_matrix(model, T=6, max_frequency=6)
    assert list(alive.columns) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    x, r = np.meshgrid(alive.index.to_numpy(float), alive.columns.to_numpy(float), indexing="ij")
    possible = (x <= r) & ~((x == 0) & (r > 0))
    assert np.isnan(alive.to_numpy()[~possible]).all() and np.isfinite(alive.to_numpy()[possible]).all()
    np.testing.assert_allclose(alive.to_numpy()[possible],
                               model.p_alive(pd.DataFrame({"frequency": x[possible], "recency": r[possible],
                                                           "n_periods": 6.0})))
