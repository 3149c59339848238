"""Generated rates, horizons and money at the Dwyer models and the rate check (hypothesis).

Invariant: a DataError, or finite numbers; a DataWarning only for a rate above 100% a year; no
other warning (RuntimeWarnings are errors here), no other exception, no call over a second.
Fixed seed (derandomize) and a bounded number of examples.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvkit.dwyer as dw
from clvkit.data.datasets import load_retention_example
from clvkit.data.units import RATE_CEILING, check_discount_rate
from clvkit.errors import DataError, DataWarning

SETTINGS = settings(max_examples=100, deadline=None, derandomize=True)
REGULAR = load_retention_example("regular")
MODELS = {kind: dw.LostForGood(retention=kind, unit="Y", margin=100.0).fit(REGULAR, periods=7)
          for kind in ("sbg", "constant", "empirical")}
AAS = dw.AlwaysAShare.from_params(p=[0.3, 0.2, 0.15, 0.05, 0.02], margin=40, cost=2, unit="M")

rates = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1.5, max_value=60.0),
    st.integers(min_value=-3, max_value=100),
    st.sampled_from(["0.1", "", None, True, b"1", [0.1], np.float32(0.2), np.int64(10)]),
)
horizons = st.one_of(st.none(), st.integers(min_value=0, max_value=10**12),
                     st.sampled_from([1e6, 1e9, 2.5, -1, "10", math.inf]))


def run(f, *args, **kwargs):
    """DataError or a finite result, with only DataWarnings, under a second."""
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        warnings.simplefilter("error", RuntimeWarning)
        try:
            out = f(*args, **kwargs)
        except DataError as exc:
            assert str(exc)
            out = None
    assert time.perf_counter() - start < 1.0, (args, kwargs)
    assert all(issubclass(w.category, DataWarning) for w in seen), [str(w.message) for w in seen]
    if out is not None:
        assert np.all(np.isfinite(np.asarray(out, dtype=float))), (args, kwargs, out)
    return out, seen


@SETTINGS
@given(rate=rates)
def test_check_discount_rate_accepts_only_real_rates_in_range(rate):
    out, seen = run(check_discount_rate, rate)
    if out is not None:
        assert not isinstance(rate, str | bytes | bool)
        assert -1.0 < out <= RATE_CEILING
        assert bool(seen) == (out > 1.0)


@SETTINGS
@given(rate=rates, horizon=horizons, kind=st.sampled_from(sorted(MODELS)))
def test_lost_for_good_value_is_finite_or_a_data_error(rate, horizon, kind):
    out, _ = run(MODELS[kind].value, rate, horizon=horizon)
    if out is not None and horizon is None:
        assert rate > 0
    if out is not None and isinstance(horizon, int) and horizon > 0:
        assert out >= 100.0 - 1e-9      # the acquisition period's margin, undiscounted


@SETTINGS
@given(rate=rates, horizon=horizons)
def test_always_a_share_value_and_policy_are_finite_or_a_data_error(rate, horizon):
    run(AAS.value, rate, horizon=horizon)
    run(AAS.policy, rate, horizon=horizon)


@SETTINGS
@given(money=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=3),
                       st.integers(min_value=-10, max_value=10)))
def test_money_is_nonnegative_or_a_data_error(money):
    model = MODELS["constant"]
    out, _ = run(model.value, 0.1, margin=money)
    assert out is None or (isinstance(money, int | float) and money >= 0)
    out, _ = run(model.value, 0.1, acquisition_cost=money)
    assert out is None or (isinstance(money, int | float) and money >= 0)


@pytest.mark.parametrize("rate", [2.0, 4.99])
def test_rates_between_one_and_the_ceiling_give_exactly_one_warning(rate):
    _, seen = run(MODELS["sbg"].value, rate)
    assert len(seen) == 1 and "did you mean" in str(seen[0].message)
