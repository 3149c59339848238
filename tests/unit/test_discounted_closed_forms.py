"""Discounted expected purchases: closed forms against independent computations.

Pareto/NBD: DET of Fader, Hardie & Lee (2005, "RFM and CLV", eq. 4) as clvkit evaluates it
(Tricomi U through its integral) against (a) the paper's expression with scipy's ``hyperu``
where scipy is accurate, and (b) the generic path of every model, Gauss-Legendre integration of
E[X(t)] (EventModel._discounted_purchases_rows), for finite and long horizons.
BG/BB: DERT (Fader, Hardie & Shang 2010, eq. 14, with 2F1) against the direct discounted sum,
and ck.clv's discounted purchases against differences of the conditional expectation.
"""

import numpy as np
import pandas as pd
import pytest
from scipy.special import gammaln, hyperu

from clvkit.data.datasets import load_donations
from clvkit.data.units import continuous_discount_rate
from clvkit.models._event import EventModel
from clvkit.models._math import beta_geo_beta_binom as bgbb
from clvkit.models._math import pareto_nbd as pnbd
from clvkit.models.beta_geo_beta_binom import BetaGeoBetaBinom
from clvkit.models.pareto_nbd import ParetoNBD
from clvkit.value import clv

PNBD = np.array([0.553, 10.578, 0.606, 11.669])
BGBB = np.array([1.204, 0.750, 0.657, 2.783])


def _pnbd_model(params=PNBD) -> ParetoNBD:
    model = ParetoNBD()
    model.params_ = pd.Series(params, index=list(model.param_names))
    model.unit_ = "W"
    return model


def _rows(n=300, seed=11):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 30, n).astype(float)
    T = rng.uniform(1.0, 60.0, n)
    t_x = np.where(x > 0, rng.uniform(0, 1, n) * T, 0.0)
    return np.column_stack([x, t_x, T])


@pytest.mark.parametrize("s", [0.3, 0.606, 1.5])
def test_det_equals_the_papers_expression_with_scipy_hyperu(s):
    params = np.array([0.553, 10.578, s, 11.669])
    rows = _rows()
    x, t_x, T = rows.T
    r, alpha, _, beta = params
    delta = continuous_discount_rate(0.10, "W")
    ll = pnbd.loglik_and_grad(params, pnbd.prepare(x, t_x, T))[0]
    paper = np.exp(r * np.log(alpha) + s * np.log(beta) + (s - 1) * np.log(delta) + gammaln(r + x + 1)
                   + np.log(hyperu(s, s, delta * (beta + T))) - gammaln(r) - (r + x + 1) * np.log(alpha + T) - ll)
    ours = pnbd.discounted_expected_purchases(params, x, t_x, T, np.inf, delta)
    np.testing.assert_allclose(ours, paper, rtol=1e-8)


@pytest.mark.parametrize("params", [PNBD, np.array([1.5, 4.0, 2.5, 30.0])])
@pytest.mark.parametrize("horizon", [1.0, 52.0, 260.0])
def test_closed_form_matches_gauss_legendre_of_expected_purchases(params, horizon):
    model = _pnbd_model(params)
    rows = _rows()
    delta = continuous_discount_rate(0.10, "W")
    closed = model._discounted_purchases_rows(params, rows, horizon, delta)
    generic = EventModel._discounted_purchases_rows(model, params, rows, horizon, delta)
    np.testing.assert_allclose(closed, generic, rtol=1e-9)
    # and discounting only ever lowers the expectation
    assert np.all(closed <= model._expected_purchases_rows(params, rows, horizon) + 1e-12)


def test_infinite_horizon_det_is_the_limit_of_long_horizons():
    model = _pnbd_model()
    rows = _rows(n=100)
    frame = pd.DataFrame(rows, columns=["frequency", "recency", "T"])
    delta = continuous_discount_rate(0.25, "W")
    det = model.discounted_expected_transactions(frame, 0.25).to_numpy()
    # 50 years of weeks: exp(-delta H) ~ 1e-5 of the remaining value; GL over two halves
    half = 52.0 * 25
    first = EventModel._discounted_purchases_rows(model, PNBD, rows, half, delta)
    far = model._discounted_purchases_rows(PNBD, rows, 2 * half, delta)
    np.testing.assert_allclose(first, model._discounted_purchases_rows(PNBD, rows, half, delta), rtol=1e-8)
    assert np.all(far < det) and np.all(det - far < 1e-3 * det)


def test_dert_equals_direct_discounted_sum():
    donations = load_donations()
    x, t_x, n = (donations[c].to_numpy(float) for c in ("frequency", "recency", "n_periods"))
    d = 0.10
    alpha, beta, gamma, delta = BGBB
    ll = bgbb.loglik(BGBB, x, t_x, n)
    direct = sum(np.exp(betaln_(alpha + x + 1, beta + n - x) - betaln_(alpha, beta)
                        + betaln_(gamma, delta + n + k) - betaln_(gamma, delta) - ll) / (1 + d) ** k
                 for k in range(1, 3000))
    dert = bgbb.discounted_expected_purchases(BGBB, x, t_x, n, np.inf, np.log1p(d))
    np.testing.assert_allclose(dert, direct, rtol=1e-10)
    # beyond 2,000 opportunities the finite sum is DERT(n) minus discounted DERT(n + H)
    long = bgbb.discounted_expected_purchases(BGBB, x, t_x, n, 2500, np.log1p(0.001))
    direct_long = sum(np.exp(betaln_(alpha + x + 1, beta + n - x) - betaln_(alpha, beta)
                             + betaln_(gamma, delta + n + k) - betaln_(gamma, delta) - ll) / 1.001 ** k
                      for k in range(1, 2501))
    np.testing.assert_allclose(long, direct_long, rtol=1e-9)
    # iso-value logic of FHS (2010): among donors who gave last year (t_x = n = 6), DERT rises with x
    recent = ((donations["recency"] == 6) & (donations["frequency"] > 0)).to_numpy()
    by_x = pd.Series(dert[recent], index=donations["frequency"].to_numpy()[recent]).sort_index()
    assert by_x.is_monotonic_increasing


def test_hyp2f1_series_matches_scipy_where_scipy_converges():
    from scipy.special import hyp2f1

    b = np.array([0.5, 3.0, 9.78, 50.0, 100.0, 400.0])
    for gamma in (0.3, 0.657, 1.0, 2.5):
        for v in (0.0, 0.5, 1 / 1.1, 1 / 1.01, 1 / 1.0018):
            expected = hyp2f1(1.0, b, b + gamma, v)
            ok = np.isfinite(expected)
            assert ok.sum() >= 3
            np.testing.assert_allclose(bgbb.hyp2f1_unit(b, b + gamma, v)[ok], expected[ok], rtol=1e-10)


def betaln_(a, b):
    from scipy.special import betaln

    return betaln(a, b)


def test_clv_of_bgbb_discounts_each_opportunity_by_the_annual_rate():
    donations = load_donations()
    model = BetaGeoBetaBinom().fit(donations)
    out = clv(model, donations, horizon=5, discount_rate=0.10)
    # independent: expected transactions at opportunity n+k are differences of E[X(n, n+k)]
    cumulative = [np.zeros(len(donations))] + [model.expected_purchases(donations, k).to_numpy() for k in range(1, 6)]
    by_period = np.diff(np.array(cumulative), axis=0)
    direct = sum(by_period[k - 1] / 1.1 ** k for k in range(1, 6))
    np.testing.assert_allclose(out["discounted_purchases"].to_numpy(), direct, rtol=1e-10)
    np.testing.assert_allclose(out["expected_purchases"].to_numpy(), cumulative[-1], rtol=1e-12)


def test_clv_of_pareto_nbd_uses_the_closed_form(cdnow_published_summary):
    model = ParetoNBD().fit(cdnow_published_summary)
    out = clv(model, cdnow_published_summary, horizon=52, spend=10.0, discount_rate=0.10)
    rows = cdnow_published_summary.frame[["frequency", "recency", "T"]].to_numpy(float)
    delta = continuous_discount_rate(0.10, "W")
    generic = EventModel._discounted_purchases_rows(model, model.params_.to_numpy(), rows, 52.0, delta)
    np.testing.assert_allclose(out["discounted_purchases"].to_numpy(), generic, rtol=1e-9)
    np.testing.assert_allclose(out["clv"].to_numpy(), 10.0 * generic, rtol=1e-9)
