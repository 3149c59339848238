"""AlwaysAShare: chain structure, finite sums, convergence to the infinite-horizon solution,
the optimal contact policy against brute force, and fitting on a hand-sized log.

Expected values come from the inputs (formulas written out here) or from exhaustive search."""

import itertools

import numpy as np
import pandas as pd
import pytest

import clvkit.dwyer as dw
from clvkit.errors import DataError, NotFittedError

P = [0.3, 0.2, 0.15, 0.05, 0.02]
LOG = pd.DataFrame({  # the log of tests/unit/test_periods.py
    "customer_id": ["A", "A", "A", "A", "A", "B", "C", "C", "D", "D", "E", "E"],
    "date": pd.to_datetime(["1997-01-05", "1997-04-02", "1997-05-20", "1997-08-01", "1997-12-31",
                            "1997-02-01", "1997-03-31", "1997-07-01", "1997-06-30", "1997-09-30",
                            "1997-07-15", "1997-10-01"]),
    "amount": [10.0, 20.0, 5.0, 30.0, 40.0, 7.0, 8.0, 9.0, 11.0, 12.0, 13.0, 14.0],
})


def test_transition_matrix_structure():
    m = dw.AlwaysAShare.from_params(P, margin=40, cost=2)
    T = m.transition_matrix_.to_numpy()
    np.testing.assert_allclose(T.sum(axis=1), 1.0)
    np.testing.assert_allclose(T[:, 0], P)
    for k in range(4):
        assert T[k, k + 1] == pytest.approx(1 - P[k])
    assert T[4, 4] == pytest.approx(0.98)   # "5 or more" is absorbing when nothing is bought
    assert list(m.transition_matrix_.index) == [1, 2, 3, 4, 5]


def test_finite_horizon_sums_by_hand():
    m = dw.AlwaysAShare.from_params(P, margin=40, cost=2, unit="Y")
    x = 1 / 1.25
    R = np.array(P) * 40 - 2
    np.testing.assert_allclose(m.value(0.25, horizon=0), 0.0)
    np.testing.assert_allclose(m.value(0.25, horizon=1), R)
    # two periods: R_k + x (p_k R_1 + (1 - p_k) R_next)
    nxt = [1, 2, 3, 4, 4]
    two = R + x * (np.array(P) * R[0] + (1 - np.array(P)) * R[nxt])
    np.testing.assert_allclose(m.value(0.25, horizon=2), two, rtol=1e-12)


@pytest.mark.parametrize("period", ["M", "Q", "Y"])
def test_finite_horizon_converges_to_infinite(period):
    m = dw.AlwaysAShare.from_params(P, margin=40, cost=1, unit=period)
    inf = m.value(0.2).to_numpy()
    x = 1 / (1.2 ** (1 / {"M": 12, "Q": 4, "Y": 1}[period]))
    horizons = (1, 10, 100, 1000, 5000)
    gaps = np.array([np.max(np.abs(m.value(0.2, horizon=h).to_numpy() - inf)) for h in horizons])
    # V - V_H = (x T)^H V, and T is stochastic: the gap is at most x^H max|V|
    bound = np.array([x**h for h in horizons]) * np.max(np.abs(inf))
    assert np.all(gaps <= bound * (1 + 1e-9) + 1e-11)
    assert gaps[0] > 0.01 * np.max(np.abs(inf))   # one period is far from the answer
    assert gaps[-1] < 1e-9 * np.max(np.abs(inf))
    # the infinite-horizon value satisfies its own Bellman equation V = R + x T V
    R = np.array(P) * 40 - 1
    np.testing.assert_allclose(inf, R + x * m.transition_matrix_.to_numpy() @ inf, rtol=1e-10)


@pytest.mark.parametrize("cost", [0.0, 2.0, 4.0, 9.0])
def test_policy_is_the_best_of_all_contact_sets(cost):
    m = dw.AlwaysAShare.from_params(P, margin=40, cost=cost)
    pol = m.policy(0.2)
    best = np.full(5, -np.inf)
    for flags in itertools.product([False, True], repeat=5):
        v = m.value(0.2, contact=list(flags)).to_numpy()
        best = np.maximum(best, v)
    np.testing.assert_allclose(pol["value_policy"], best, atol=1e-9)
    np.testing.assert_allclose(m.value(0.2, contact=pol["contact"].tolist()), pol["value_policy"])
    np.testing.assert_allclose(pol["value_all"], m.value(0.2))
    assert (pol["value_policy"] >= pol["value_all"] - 1e-12).all()
    assert (pol["value_policy"] >= -1e-12).all()   # never worse than stopping altogether


def test_policy_stops_negative_states_and_iterates():
    m = dw.AlwaysAShare.from_params(P, margin=40, cost=2)
    pol = m.policy(0.2)
    # marketing to all gives states 3-5 a negative value; stopping state 5 alone is optimal and
    # lifts states 3 and 4 above zero (the policy iteration goes past the first cut)
    assert (pol["value_all"].to_numpy()[2:] < 0).all()
    assert pol["contact"].tolist() == [True, True, True, True, False]
    assert (pol["value_policy"].to_numpy()[:4] > 0).all()
    # finite horizon: backward induction; long horizons give the infinite-horizon policy
    long = m.policy(0.2, horizon=2000)
    assert long["contact"].tolist() == pol["contact"].tolist()
    np.testing.assert_allclose(long["value_policy"], pol["value_policy"], rtol=1e-9)
    one = m.policy(0.2, horizon=1)  # a single period: market where p_k * margin > cost
    assert one["contact"].tolist() == [p * 40 >= 2 for p in P]


def test_fit_on_a_log():
    m = dw.AlwaysAShare(unit="Q", states=2).fit(LOG)
    # opportunities / purchases worked out in tests/unit/test_periods.py
    np.testing.assert_allclose(m.p_, [5 / 9, 1 / 3])
    # purchase periods after acquisition: A Q2 25, Q3 30, Q4 40; C Q3 9; D Q3 12; E Q4 14
    assert m.margin_ == pytest.approx(130 / 6)
    assert m.states_.tolist() == [1, 2, 2, 2, 1]
    assert m.transitions_["opportunities"].tolist() == [9, 3]
    values = m.customer_values(0.1, cost_per_period=1.0)
    v = m.value(0.1, cost_per_period=1.0).to_numpy()
    np.testing.assert_allclose(values["value"], v[[0, 1, 1, 1, 0]])
    assert list(values.columns) == ["state", "value", "contact", "value_policy"]
    fixed = dw.AlwaysAShare(unit="Q", states=2, margin=10.0, cost=0.5).fit(LOG)
    assert fixed.margin_ == 10.0
    np.testing.assert_allclose(fixed.value(0.1), fixed.value(0.1, cost_per_period=0.5))


@pytest.mark.parametrize(("p", "message"), [
    ([0.3, 1.2, 0.1], r"in \[0, 1\]: 1 of 3 are not \(first: state 2, p = 1.2\)"),
    ([-0.1, 0.2], r"first: state 1"),
    ([0.2, float("nan")], r"first: state 2"),
    ([], "at least one"),
])
def test_probabilities_outside_unit_interval(p, message):
    with pytest.raises(DataError, match=message):
        dw.AlwaysAShare.from_params(p, margin=10)


def test_other_errors():
    with pytest.raises(NotFittedError, match="AlwaysAShare is not fitted yet"):
        dw.AlwaysAShare().value(0.1)
    m = dw.AlwaysAShare.from_params(P, margin=40, cost=2)
    with pytest.raises(DataError, match="discount_rate"):
        m.value(-1.0)
    with pytest.raises(DataError, match="discount_rate"):
        m.policy(-3.0)
    with pytest.raises(DataError, match="needs discount_rate > 0"):
        m.value(0.0)
    assert m.value(0.0, horizon=3).notna().all()
    with pytest.raises(DataError, match="cost_per_period"):
        m.value(0.1, cost_per_period=-1)
    with pytest.raises(DataError, match="one flag per state"):
        m.value(0.1, contact=[True, False])
    with pytest.raises(DataError, match="horizon"):
        m.value(0.1, horizon=2.5)
    with pytest.raises(DataError, match="margin"):
        dw.AlwaysAShare.from_params(P, margin=float("inf"))
    with pytest.raises(DataError, match="states must be"):
        dw.AlwaysAShare(states=0).fit(LOG)
    with pytest.raises(DataError, match="period unit"):
        dw.AlwaysAShare(unit="W").fit(LOG)
    # 4 quarters cannot show a customer 5 quarters without a purchase
    with pytest.raises(DataError, match=r"too few periods: recency state\(s\) \[4, 5\]"):
        dw.AlwaysAShare(unit="Q", states=5).fit(LOG)
    with pytest.raises(DataError, match="too few periods: the log spans 1"):
        dw.AlwaysAShare(unit="Y", states=2).fit(LOG)
    with pytest.raises(DataError, match="transaction log"):
        m.customer_values(0.1)


# ---------------------------------------------------------------------- the model contract
def test_registered_keyword_only_and_params_round_trip():
    from clvkit._contract import MODELS

    assert MODELS["AlwaysAShare"].cls is dw.AlwaysAShare and MODELS["AlwaysAShare"].kind == "migration"
    with pytest.raises(TypeError):
        dw.AlwaysAShare("Q", 5)  # hyper-parameters are keyword-only
    model = dw.AlwaysAShare(unit="M", states=3, cost=1.5)
    assert model.get_params() == {"unit": "M", "states": 3, "margin": None, "margin_rate": 1.0,
                                  "cost": 1.5}
    assert repr(model) == ("AlwaysAShare(unit='M', states=3, margin=None, margin_rate=1.0, "
                           "cost=1.5) [not fitted]")
    assert model.set_params(unit="Q", states=2) is model
    assert model.fit(LOG).unit_ == "Q" and len(model.p_) == 2
    with pytest.raises(DataError, match="no hyper-parameter"):
        model.set_params(period="Q")


def test_deprecated_period_keyword():
    with pytest.warns(FutureWarning, match=r"AlwaysAShare\(period=\).*AlwaysAShare\(unit=\)"):
        old = dw.AlwaysAShare(period="Q", states=2)
    assert "period" not in old.get_params() and old.unit == "Q"
    new = dw.AlwaysAShare(unit="Q", states=2)
    pd.testing.assert_frame_equal(old.fit(LOG).policy(0.1, 1.0), new.fit(LOG).policy(0.1, 1.0))
    with pytest.raises(DataError, match="give unit= only"), pytest.warns(FutureWarning):
        dw.AlwaysAShare(unit="M", period="Q")


def test_deprecated_from_probabilities():
    with pytest.warns(FutureWarning, match=r"from_probabilities.*from_params"):
        old = dw.AlwaysAShare.from_probabilities(P, margin=40, cost=2, period="Y")
    new = dw.AlwaysAShare.from_params(P, margin=40, cost=2, unit="Y")
    pd.testing.assert_series_equal(old.value(0.2), new.value(0.2))
    pd.testing.assert_frame_equal(old.policy(0.2, horizon=4), new.policy(0.2, horizon=4))
    assert old.unit_ == new.unit_ == "Y"


def test_fitted_attributes_and_summary():
    import json

    m = dw.AlwaysAShare(unit="Q", states=2).fit(LOG)
    assert list(m.params_.index) == ["p_1", "p_2"]
    np.testing.assert_allclose(m.params_, m.p_)
    assert m.n_obs_ == 5 and m.converged_ is True and m.unit_ == "Q"
    assert json.loads(json.dumps(m.data_provenance_)) == m.data_provenance_
    assert m.data_provenance_["source"] == "transaction log"
    summary = m.summary()
    assert list(summary.columns) == ["estimate", "std_error", "lower", "upper"]
    p, n = np.array([5 / 9, 1 / 3]), np.array([9, 3])
    np.testing.assert_allclose(summary["std_error"], np.sqrt(p * (1 - p) / n))
    assert ((summary["lower"] <= summary["estimate"]) & (summary["estimate"] <= summary["upper"])).all()
    assert summary["lower"].min() >= 0 and summary["upper"].max() <= 1
    assert "p_1" in repr(m) and "fitted on 5 customers" in repr(m)
    hand = dw.AlwaysAShare.from_params(P, margin=40)
    assert hand.n_obs_ == 0 and "stated by hand" in repr(hand)
    assert hand.summary()["std_error"].isna().all()
    np.testing.assert_allclose(hand.summary()["estimate"], P)


def test_predict_by_state_and_by_customer():
    m = dw.AlwaysAShare(unit="Q", states=2, cost=1.0).fit(LOG)
    by_state = m.predict(discount_rate=0.1)
    assert list(by_state.columns) == ["value"] and by_state.index.name == "state"
    pd.testing.assert_series_equal(by_state["value"], m.value(0.1))
    pd.testing.assert_series_equal(m.predict(horizon=3)["value"], m.value(0.1, horizon=3))
    by_customer = m.predict(LOG, discount_rate=0.1)
    assert list(by_customer.columns) == ["value"]
    assert by_customer.index.names == ["customer_id", "state"]
    assert list(by_customer.index.get_level_values("customer_id")) == list("ABCDE")
    assert list(by_customer.index.get_level_values("state")) == m.states_.tolist()
    np.testing.assert_allclose(by_customer["value"], m.customer_values(0.1)["value"])
    framed = m.predict(LOG, interval=0.9, n_draws=400, random_seed=3)
    assert list(framed.columns) == ["value", "value_lower", "value_upper"]
    assert ((framed["value_lower"] <= framed["value"]) & (framed["value"] <= framed["value_upper"])).all()
    assert (framed["value_upper"] > framed["value_lower"]).all()
    pd.testing.assert_frame_equal(framed, m.predict(LOG, interval=0.9, n_draws=400, random_seed=3))
    finite = m.predict(horizon=5, interval=0.9, n_draws=400, random_seed=3)
    assert ((finite["value_lower"] <= finite["value"]) & (finite["value"] <= finite["value_upper"])).all()
    hand = dw.AlwaysAShare.from_params(P, margin=40)
    assert list(hand.predict().index) == [1, 2, 3, 4, 5]
    with pytest.raises(DataError, match="stated by hand"):
        hand.predict(interval=0.9)


def test_batch_values_equal_the_single_solution():
    from clvkit.dwyer._markov import batch_state_values, state_values

    draws = np.array([P, [0.5, 0.4, 0.3, 0.2, 0.1]])
    on = np.ones(5, dtype=bool)
    for h in (None, 0, 1, 7):
        expected = [state_values(row, 40.0, 2.0, 0.9, on, h) for row in draws]
        np.testing.assert_allclose(batch_state_values(draws, 40.0, 2.0, 0.9, h), expected, rtol=1e-12)


@pytest.mark.parametrize("ids", ["str", "int"])
def test_save_load_gives_identical_results(tmp_path, ids):
    import json

    import clvkit as ck

    log = LOG if ids == "str" else LOG.assign(customer_id=LOG["customer_id"].map(
        {c: 100 + i for i, c in enumerate("ABCDE")}))
    m = dw.AlwaysAShare(unit="Q", states=2, cost=0.5).fit(log)
    path = tmp_path / "aas.json"
    m.save(path)
    assert json.loads(path.read_text())["model"] == "AlwaysAShare"
    back = ck.load(path)
    assert type(back) is dw.AlwaysAShare and back.get_params() == m.get_params()
    pd.testing.assert_series_equal(back.params_, m.params_)
    pd.testing.assert_series_equal(back.states_, m.states_)
    pd.testing.assert_frame_equal(back.transitions_, m.transitions_)
    pd.testing.assert_frame_equal(back.predict(interval=0.9, random_seed=5),
                                  m.predict(interval=0.9, random_seed=5))
    pd.testing.assert_frame_equal(back.policy(0.1), m.policy(0.1))
    pd.testing.assert_series_equal(back.value(0.1, horizon=4), m.value(0.1, horizon=4))
    pd.testing.assert_frame_equal(back.customer_values(0.1), m.customer_values(0.1))
    assert repr(back) == repr(m)
    hand = dw.AlwaysAShare.from_params(P, margin=40, cost=2, unit="Y")
    hand.save(tmp_path / "hand.json")
    again = ck.load(tmp_path / "hand.json")
    pd.testing.assert_frame_equal(again.policy(0.2), hand.policy(0.2))
    assert again.transitions_ is None and again.states_ is None and again.n_obs_ == 0


def test_from_dict_validates():
    state = dw.AlwaysAShare.from_params(P, margin=40).to_dict()
    with pytest.raises(DataError, match=r"lacks \['margin'\]"):
        dw.AlwaysAShare.from_dict({k: v for k, v in state.items() if k != "margin"})
    with pytest.raises(DataError, match=r"in \[0, 1\]: 1 of 5"):
        dw.AlwaysAShare.from_dict({**state, "params": {**state["params"], "p_2": 1.5}})
    with pytest.raises(DataError, match="margin"):
        dw.AlwaysAShare.from_dict({**state, "margin": float("nan")})


def test_negative_money_is_refused():
    with pytest.raises(DataError, match="margin must be a finite number >= 0"):
        dw.AlwaysAShare.from_params(P, margin=-40)
    with pytest.raises(DataError, match="margin must be a finite number >= 0"):
        dw.AlwaysAShare(unit="Q", states=2, margin=-1.0).fit(LOG)
    with pytest.raises(DataError, match=r"margin_rate must be a share in \[0, 1\]"):
        dw.AlwaysAShare(unit="Q", states=2, margin_rate=-0.2).fit(LOG)
    with pytest.raises(DataError, match="weights"):
        dw.AlwaysAShare(unit="Q", states=2).fit(LOG, weights=np.ones(12))
