"""Discounted expected purchases of the BG/NBD and MBG/NBD at any horizon, infinite included.

``D(H) = integral_0^H exp(-delta t) dE(t)`` (Fader, Hardie & Lee 2005, "RFM and CLV", eq. 2 truncated
at H) by the graded Gauss-Legendre rule of ``clvkit.models._discount``, checked against adaptive
quadrature (scipy ``quad_vec``, Gauss-Kronrod, of the by-parts form) of the model's own
``E(t) = _expected_purchases_rows``; the infinite horizon also through ``u = exp(-delta t)``, which
maps (0, inf) onto (0, 1] without any truncation.
"""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

import clvkit as ck
from clvkit.models._discount import discount_rule, truncation_point
from clvkit.models._event import EventModel
from clvkit.models._math import beta_geo as bgnbd

#: 10% a year in weeks (the FHL 2005 setting), as ck converts it.
DELTA = math.log(1.1) / (365.25 / 7)
#: BG/NBD and MBG/NBD maximum-likelihood estimates on the CDNOW sample (weeks).
BG = {"r": 0.2426, "alpha": 4.4135, "a": 0.7929, "b": 2.4258}
MBG = {"r": 0.5248, "alpha": 6.1830, "a": 0.8914, "b": 1.6140}
HORIZONS = [1.0, 52.0, 520.0, 5200.0, 1e5, 1e9]
#: beyond this many weeks exp(-delta t) < 1e-79: the reference integrals stop there.
T_CUT = 1e5


def _model(cls, params):
    return cls.from_params(params, unit="W")


@pytest.fixture(scope="module")
def rows():
    """30 distinct customers: 24 CDNOW rows and extremes (x = 0, large x, small and large T)."""
    data = ck.CustomerData.from_frame(ck.datasets.load_cdnow_summary(), unit="W")
    unique = data.compressed(("frequency", "recency", "T")).rows
    rng = np.random.default_rng(7)
    picked = unique[rng.choice(len(unique), 22, replace=False)]
    extremes = np.array([
        unique[unique[:, 0].argmax()],            # x = 29
        unique[(unique[:, 0] == 0).argmax()],     # a CDNOW customer without repeat purchase
        [0.0, 0.0, 0.5], [1.0, 0.2, 0.5],         # just acquired
        [3.0, 1.0, 2.0], [0.0, 0.0, 300.0],       # short and very long observation
        [10.0, 20.0, 150.0], [60.0, 70.0, 75.0],  # long dormant, very frequent
    ])
    return np.unique(np.vstack([picked, extremes]), axis=0)


def _reference(model, rows, horizon, delta=DELTA):
    """Adaptive Gauss-Kronrod of ``exp(-delta H) E(H) + delta integral_0^H exp(-delta t) E(t) dt``."""
    params = model.params_.to_numpy()
    scale = model._expected_purchases_rows(params, rows, 1.0)  # each row's integrand ~ O(1)

    def integrand(t):
        return delta * math.exp(-delta * t) * model._expected_purchases_rows(params, rows, t) / scale

    if np.isinf(horizon):  # u = exp(-delta t): D = integral_0^1 E(-log(u) / delta) du
        def in_u(u):
            return model._expected_purchases_rows(params, rows, -math.log(u) / delta) / scale if u > 0 else 0 * scale
        cuts = np.exp(-delta * np.array([np.inf, 2e4, 5e3, 1e3, 2e2, 50.0, 10.0, 0.0]))
        total = sum(integrate.quad_vec(in_u, lo, hi, epsabs=0, epsrel=1e-12, norm="max", limit=2000)[0]
                    for lo, hi in itertools.pairwise(cuts))
        return total * scale
    end = min(horizon, T_CUT)
    grid = [g for g in [0.0, 0.5, 2.0, 8.0, 30.0, 100.0, 400.0, 1600.0, 6400.0, 25600.0] if g < end] + [end]
    total = sum(integrate.quad_vec(integrand, lo, hi, epsabs=0, epsrel=1e-12, norm="max", limit=2000)[0]
                for lo, hi in itertools.pairwise(grid))
    # end term; beyond T_CUT it (and the rest of the integral) is below exp(-182) E(H)
    end_term = math.exp(-delta * horizon) * model._expected_purchases_rows(params, rows, horizon) \
        if horizon <= T_CUT else 0.0
    return total * scale + end_term


@pytest.mark.parametrize(("cls", "params"), [(ck.BetaGeo, BG), (ck.ModifiedBetaGeo, MBG)])
def test_agrees_with_adaptive_quadrature_at_every_horizon(cls, params, rows):
    model = _model(cls, params)
    p = model.params_.to_numpy()
    for horizon in [*HORIZONS, np.inf]:
        ours = model._discounted_purchases_rows(p, rows, horizon, DELTA)
        np.testing.assert_allclose(ours, _reference(model, rows, horizon), rtol=1e-8, err_msg=f"H={horizon}")
        # the per-row generic path of EventModel (every E(t) from _expected_purchases_rows) agrees too
        generic = EventModel._discounted_purchases_rows(model, p, rows, horizon, DELTA)
        np.testing.assert_allclose(ours, generic, rtol=1e-10, err_msg=f"H={horizon}")


@pytest.mark.parametrize(("cls", "params"), [(ck.BetaGeo, BG), (ck.ModifiedBetaGeo, MBG)])
def test_infinite_horizon_is_the_limit(cls, params, rows):
    model = _model(cls, params)
    p = model.params_.to_numpy()
    far = model._discounted_purchases_rows(p, rows, 1e9, DELTA)
    infinite = model._discounted_purchases_rows(p, rows, np.inf, DELTA)
    np.testing.assert_allclose(infinite, far, rtol=1e-13)
    np.testing.assert_allclose(model._discounted_purchases_rows(p, rows, 1e5, DELTA), infinite, rtol=1e-12)
    assert np.all(np.isfinite(infinite)) and np.all(infinite > 0)
    # public API: None and inf are the infinite horizon
    frame = ck.CustomerData.from_frame(pd.DataFrame(rows, columns=["frequency", "recency", "T"]), unit="W")
    for horizon in (None, np.inf):
        np.testing.assert_allclose(model.discounted_expected_purchases(frame, horizon, 0.10).to_numpy(),
                                   infinite, rtol=1e-13)


def test_cdnow_totals_converge_near_the_pareto_nbd_closed_form():
    data = ck.CustomerData.from_frame(ck.datasets.load_cdnow_summary(), unit="W")
    pnbd = ck.ParetoNBD().fit(data).discounted_expected_purchases(data, None, 0.10).sum()
    assert pnbd == pytest.approx(9027, rel=1e-3)
    # different models of the same data: only a loose check. The MBG/NBD lets customers without a
    # repeat purchase be gone, and its long-run total is lower (~7,087 against ~8,296 for the BG/NBD).
    for cls, tolerance in [(ck.BetaGeo, 0.15), (ck.ModifiedBetaGeo, 0.25)]:
        model = cls().fit(data)
        totals = {h: model.discounted_expected_purchases(data, h, 0.10).sum() for h in (5200, 1e6, 1e9, None)}
        assert np.isfinite(totals[None]) and totals[None] > 0
        assert totals[1e9] == pytest.approx(totals[None], rel=1e-12)
        assert totals[1e6] == pytest.approx(totals[None], rel=1e-12)
        assert totals[5200] <= totals[None] and totals[5200] == pytest.approx(totals[None], rel=1e-4)
        assert totals[None] == pytest.approx(pnbd, rel=tolerance)


@pytest.mark.parametrize(("cls", "params"), [(ck.BetaGeo, BG), (ck.ModifiedBetaGeo, MBG)])
def test_zero_rate_at_a_finite_horizon_is_expected_purchases(cls, params, rows):
    model = _model(cls, params)
    p = model.params_.to_numpy()
    for horizon in (0.0, 1.0, 52.0, 5200.0):
        expected = model._expected_purchases_rows(p, rows, horizon)
        np.testing.assert_allclose(model._discounted_purchases_rows(p, rows, horizon, 0.0), expected, rtol=1e-13)
        np.testing.assert_allclose(EventModel._discounted_purchases_rows(model, p, rows, horizon, 0.0), expected,
                                   rtol=1e-13)


@pytest.mark.parametrize(("cls", "params"), [(ck.BetaGeo, BG), (ck.ModifiedBetaGeo, MBG)])
def test_monotone_in_the_horizon_and_below_undiscounted(cls, params, rows):
    model = _model(cls, params)
    p = model.params_.to_numpy()
    horizons = [*np.geomspace(0.1, 1e6, 45), np.inf]
    values = np.array([model._discounted_purchases_rows(p, rows, h, DELTA) for h in horizons])
    assert np.all(np.diff(values, axis=0) >= -1e-13 * values[1:])
    for h, v in zip(horizons[:-1], values[:-1], strict=True):
        if h <= T_CUT:
            assert np.all(v <= model._expected_purchases_rows(p, rows, h) * (1 + 1e-13))


def test_mbg_is_stable_for_heavy_buyers_over_an_infinite_horizon():
    """E(t) <= P(alive) (r+x)/(alpha+T) t (rates only fall), so D(inf) <= (r+x)/(alpha+T)/delta."""
    model = _model(ck.ModifiedBetaGeo, MBG)
    p = model.params_.to_numpy()
    x = np.array([0.0, 5.0, 100.0, 500.0, 2000.0])
    rows = np.column_stack([x, np.minimum(x, 150.0), np.full(5, 156.0)])
    value = model._discounted_purchases_rows(p, rows, np.inf, DELTA)
    bound = (MBG["r"] + x) / (MBG["alpha"] + 156.0) / DELTA
    assert np.all(np.isfinite(value)) and np.all(value > 0) and np.all(value <= bound)
    # and its bracket (BG/NBD's at b + 1, Euler-transformed) is the MBG/NBD conditional expectation
    shifted = np.array([MBG["r"], MBG["alpha"], MBG["a"], MBG["b"] + 1.0])
    for t in (1.0, 52.0, 5200.0):
        bracket = bgnbd.conditional_bracket(shifted, rows[:3, 0], rows[:3, 2], t)
        direct = model._expected_purchases_rows(p, rows[:3], t) / model._p_alive_rows(p, rows[:3])
        np.testing.assert_allclose(bracket, direct, rtol=1e-10)


@pytest.mark.parametrize("horizon", [0.3, 1.0, 52.0, 520.0, 5200.0, 1e5, 1e9, np.inf])
@pytest.mark.parametrize("delta", [DELTA, 0.05, 1e-6])
def test_rule_integrates_known_functions(horizon, delta):
    """E(t) = t and E(t) = 1 - exp(-mu t) (mu below 1/scale): D(H) in closed form."""
    if np.isinf(horizon) and delta == 0:
        return
    end, end_weight, nodes, weights = discount_rule(horizon, delta, 4.0)
    assert np.all(weights > 0) and end <= horizon
    eff = min(horizon, 700.0 / delta)
    linear = end_weight * end + weights @ nodes  # integral exp(-delta t) dt
    assert linear == pytest.approx(-math.expm1(-delta * eff) / delta, rel=1e-12)
    for mu in (0.01, 0.1, 0.25):
        saturating = end_weight * -math.expm1(-mu * end) + weights @ -np.expm1(-mu * nodes)
        assert saturating == pytest.approx(mu / (mu + delta) * -math.expm1(-(mu + delta) * eff), rel=1e-12)


def test_rule_work_is_bounded():
    # a year of weeks for CDNOW-like customers: a couple of panels; the infinite horizon: < 200 nodes
    assert len(discount_rule(52.0, DELTA, BG["alpha"] + 27.0)[2]) <= 16
    assert len(discount_rule(52.0, DELTA, BG["alpha"])[2]) <= 40
    assert len(discount_rule(np.inf, DELTA, BG["alpha"])[2]) <= 200
    # a tiny rate only adds doubling panels: logarithmic in 1/delta
    assert len(discount_rule(np.inf, 1e-9, 1.0)[2]) <= 400
    assert truncation_point(DELTA) * DELTA == pytest.approx(34.5, abs=0.1)
    with pytest.raises(ValueError):
        discount_rule(np.inf, 0.0, 1.0)
