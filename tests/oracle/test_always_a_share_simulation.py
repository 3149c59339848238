"""AlwaysAShare state values against a Monte-Carlo simulation of the recency chain.

The simulation below is written independently of clvkit: each path starts in a state, each
period pays the marketing cost if the state is contacted, buys with probability p_k (margin),
moves to state 1 on a purchase and to min(k+1, K) otherwise; flows of period t are discounted
by x^t (period 0 undiscounted). The mean over paths must match the closed form within
Monte-Carlo error (4 standard errors)."""

import numpy as np
import pytest

import clvkit.dwyer as dw
from clvkit.errors import DataError

P = np.array([0.35, 0.22, 0.12, 0.06, 0.02])
MARGIN, COST = 50.0, 3.0


def simulate(start, contact, x, periods, n_paths, rng):
    K = len(P)
    state = np.full(n_paths, start - 1)
    total = np.zeros(n_paths)
    for t in range(periods):
        on = contact[state]
        buy = on & (rng.random(n_paths) < P[state])
        total += x**t * (np.where(buy, MARGIN, 0.0) - np.where(on, COST, 0.0))
        state = np.where(buy, 0, np.minimum(state + 1, K - 1))
    return total.mean(), total.std(ddof=1) / np.sqrt(n_paths)


@pytest.mark.parametrize("policy", [False, True])
def test_infinite_horizon_values_match_simulation(policy):
    model = dw.AlwaysAShare.from_params(P, margin=MARGIN, cost=COST, unit="Y")
    table = model.policy(discount_rate=0.25)
    contact = table["contact"].to_numpy() if policy else np.ones(5, dtype=bool)
    exact = table["value_policy" if policy else "value_all"].to_numpy()
    if policy:
        assert not contact.all()  # the test exercises a policy that stops some state
    rng = np.random.default_rng(2024 + policy)
    x = 1 / 1.25
    periods = 110  # truncation error <= x^110 * (MARGIN + COST) / (1 - x) < 1e-8
    for k in range(1, 6):
        mean, se = simulate(k, contact, x, periods, 20_000, rng)
        assert abs(mean - exact[k - 1]) < 4 * se + 1e-8, (k, mean, exact[k - 1], se)


def test_finite_horizon_values_match_simulation():
    model = dw.AlwaysAShare.from_params(P, margin=MARGIN, cost=COST, unit="Q")
    exact = model.value(discount_rate=0.10, horizon=6).to_numpy()
    x = 1 / 1.10 ** 0.25
    rng = np.random.default_rng(11)
    for k in range(1, 6):
        mean, se = simulate(k, np.ones(5, dtype=bool), x, 6, 40_000, rng)
        assert abs(mean - exact[k - 1]) < 4 * se


def simulate_pfeifer_carraway(start, x, periods, n_paths, rng):
    """Their chain, simulated directly: in each period a customer in state 1 brings the margin of the
    purchase that put them there, every (marketed) customer costs c, then the state moves."""
    K = len(P)
    state = np.full(n_paths, start - 1)
    total = np.zeros(n_paths)
    for t in range(periods):
        total += x**t * (np.where(state == 0, MARGIN, 0.0) - COST)
        buy = rng.random(n_paths) < P[state]
        state = np.where(buy, 0, np.minimum(state + 1, K - 1))
    return total.mean(), total.std(ddof=1) / np.sqrt(n_paths)


@pytest.mark.parametrize("horizon", [None, 4])
def test_pfeifer_carraway_timing_matches_a_simulation_of_their_chain(horizon):
    model = dw.AlwaysAShare.from_params(P, margin=MARGIN, cost=COST, unit="Y")
    exact = model.value(discount_rate=0.25, horizon=horizon, timing="pfeifer_carraway").to_numpy()
    x = 1 / 1.25
    periods = 110 if horizon is None else horizon
    rng = np.random.default_rng(7 + (horizon or 0))
    for k in range(1, 6):
        mean, se = simulate_pfeifer_carraway(k, x, periods, 20_000, rng)
        assert abs(mean - exact[k - 1]) < 4 * se + 1e-8, (k, mean, exact[k - 1], se)


def test_the_two_timings_differ_by_the_margin_in_state_one_and_one_period_of_discounting():
    model = dw.AlwaysAShare.from_params(P, margin=MARGIN, cost=COST, unit="Y")
    x = 1 / 1.25
    pc = model.value(discount_rate=0.25, timing="pfeifer_carraway").to_numpy()
    shifted = dw.AlwaysAShare.from_params(P, margin=x * MARGIN, cost=COST, unit="Y").value(0.25).to_numpy()
    np.testing.assert_allclose(pc, shifted + MARGIN * np.eye(5)[0], rtol=1e-12)
    with pytest.raises(DataError, match="timing"):
        model.value(0.25, timing="arrival")
