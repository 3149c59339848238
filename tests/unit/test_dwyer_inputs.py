"""Dwyer models refuse bad rates, money, counts and draws with a DataError naming the argument.

Issue 9 items 5 and 7. Values a rate <= 0 may still produce (finite horizons) are checked
against direct sums written out here.
"""

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
import clvkit.dwyer as dw
from clvkit.data.datasets import load_retention_example
from clvkit.errors import DataError

REGULAR = load_retention_example("regular")
ARGS = dict(customers=20_000, retention=[0.40, 0.45, 0.50], orders=[1.8, 2.6, 3.6],
            order_value=[85, 95, 105], cost_rate=[0.50, 0.45, 0.40], discount_rate=0.20)


@pytest.fixture(scope="module", params=["sbg", "constant", "empirical"])
def lfg(request):
    return dw.LostForGood(retention=request.param, unit="Y", margin=100.0).fit(REGULAR, periods=7)


@pytest.fixture(scope="module")
def aas():
    return dw.AlwaysAShare.from_params(p=[0.3, 0.2, 0.15, 0.05, 0.02], margin=40, cost=2)


# ---------------------------------------------------------------------- rates
@pytest.mark.parametrize("rate", [-0.5, 0.0, -0.01])
def test_lost_for_good_infinite_horizon_needs_a_positive_rate(lfg, rate):
    # value(-0.5) returned -182.5 (then inf) before: the sum does not converge
    msg = r"an infinite-horizon value needs discount_rate > 0, got -?0(\.\d+)?: "
    with pytest.raises(DataError, match=msg):
        lfg.value(rate)
    with pytest.raises(DataError, match=msg):
        lfg.residual_value(rate, [0, 2])


def test_lost_for_good_finite_horizon_takes_a_rate_in_minus_one_to_zero(lfg):
    s = lfg.survival(np.arange(12)).to_numpy()
    x = 1.0 / (1.0 - 0.5)                     # unit "Y": the per-period factor is 1 / (1 + d)
    assert lfg.value(-0.5, horizon=12) == pytest.approx(100 * np.sum(s * x ** np.arange(12)), rel=1e-12)
    assert lfg.value(0.0, horizon=12) == pytest.approx(100 * s.sum(), rel=1e-12)


def test_always_a_share_negative_rate_overflow_is_an_error(aas):
    with pytest.raises(DataError, match=r"the value overflows: with a discount_rate <= 0"):
        aas.value(-0.5, horizon=100_000)      # x = 1.19 per quarter: 1e7500
    with pytest.raises(DataError, match=r"the value overflows"):
        aas.policy(-0.5, horizon=20_000)


# ---------------------------------------------------------------------- money
def test_acquisition_cost_is_money_that_must_be_nonnegative(lfg):
    # a negative cost raised the value before (374.49 instead of 369.49 - 5)
    with pytest.raises(DataError, match=r"acquisition_cost must be a finite number >= 0, got -5"):
        lfg.value(0.1, acquisition_cost=-5)
    with pytest.raises(DataError, match=r"acquisition_cost must be a finite number >= 0"):
        lfg.projection(0.1, acquisition_cost=-1.0)
    assert lfg.value(0.1, acquisition_cost=50) == pytest.approx(lfg.value(0.1) - 50)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"margin": "5"}, r"margin must be a finite number >= 0, got '5' \(a str\)"),
    ({"margin": True}, r"margin must be a finite number >= 0, got True \(a bool\)"),
    ({"acquisition_cost": "5"}, r"acquisition_cost must be a finite number >= 0, got '5'"),
    ({"horizon": "5"}, r"horizon must be a whole number of periods >= 0 or None \(infinite\), got '5'"),
])
def test_string_money_and_horizons_are_refused_not_converted(lfg, kwargs, message):
    with pytest.raises(DataError, match=message):
        lfg.value(0.1, **kwargs)


def test_always_a_share_string_money_is_refused(aas):
    with pytest.raises(DataError, match=r"cost_per_period must be a finite number >= 0, got '1'"):
        aas.value(0.1, cost_per_period="1")
    with pytest.raises(DataError, match=r"margin must be a finite number >= 0, got '40'"):
        dw.AlwaysAShare.from_params(p=[0.3, 0.2], margin="40")


# ---------------------------------------------------------------------- counts
@pytest.mark.parametrize("customers", [-5, 10.5, 0, "10", np.nan])
def test_projection_customers_is_a_whole_number_of_customers(lfg, customers):
    with pytest.raises(DataError, match=r"customers must be > 0, a whole number of customers"):
        lfg.projection(0.1, customers=customers)


def test_survival_table_with_fractional_alive_counts_is_refused():
    table = pd.DataFrame({"period": [0, 1, 2], "alive": [10.5, 8.0, 5.0]})
    message = (r"column 'alive' is not a whole number of customers in 1 of 3 rows "
               r"\(first at index 0: \{'period': 0, 'alive': 10.5\}\)")
    with pytest.raises(DataError, match=message):
        dw.LostForGood(retention="constant", unit="Y", margin=1.0).fit(table)
    model = dw.LostForGood(retention="constant", unit="Y", margin=1.0).fit(REGULAR, periods=7)
    with pytest.raises(DataError, match=message):
        model.predict(table)


@pytest.mark.parametrize("n_draws", [0, 1, "100", 2.5, None, True])
def test_n_draws_is_checked_even_without_an_interval(lfg, aas, n_draws):
    with pytest.raises(DataError, match=r"n_draws must be a whole number >= 2"):
        lfg.predict(n_draws=n_draws)
    with pytest.raises(DataError, match=r"n_draws must be a whole number >= 2"):
        lfg.predict(n_draws=n_draws, interval=0.9)
    with pytest.raises(DataError, match=r"n_draws must be a whole number >= 2"):
        aas.predict(n_draws=n_draws)


# ---------------------------------------------------------------------- cohort_table
@pytest.mark.parametrize("name", ["retention", "orders", "order_value", "cost_rate"])
def test_cohort_table_empty_list_names_the_argument(name):
    with pytest.raises(DataError, match=rf"^{name} is empty; give one value per year"):
        dw.cohort_table(**{**ARGS, name: []})          # IndexError before (retention)


@pytest.mark.parametrize("name", ["retention", "orders", "order_value", "cost_rate"])
def test_cohort_table_2d_input_names_the_argument(name):
    table = np.tile(np.atleast_1d(ARGS[name]), (2, 1))
    with pytest.raises(DataError, match=rf"^{name} must be a number or a flat sequence .* shape \(2, 3\)"):
        dw.cohort_table(**{**ARGS, name: table})       # silently flattened before


@pytest.mark.parametrize("name", ["retention", "orders"])
def test_cohort_table_strings_name_the_argument(name):
    with pytest.raises(DataError, match=rf"^{name} must be a number or a sequence of numbers"):
        dw.cohort_table(**{**ARGS, name: ["0.4", "0.5", "0.5"]})


@pytest.mark.parametrize("customers", [10.5, "20000", True])
def test_cohort_table_customers_is_a_whole_number(customers):
    with pytest.raises(DataError, match=r"customers must be > 0, a whole number of customers"):
        dw.cohort_table(**{**ARGS, "customers": customers})


def test_cohort_table_percent_rate_is_refused():
    with pytest.raises(DataError, match=r"discount_rate=20 is 2,000% a year.*did you mean 0.20\?"):
        dw.cohort_table(**{**ARGS, "discount_rate": 20})
    assert ck.dwyer.cohort_table(**ARGS)["ltv"].round(2).tolist() == [76.5, 121.78, 150.13]


def test_cohort_table_refuses_amounts_that_would_overflow():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataError, match="order_value"):
            dw.cohort_table(customers=179_769_314, retention=[0.0], orders=[1.0], order_value=[1e300],
                            cost_rate=[0.5], discount_rate=0.1)
        with pytest.raises(DataError, match="orders"):
            dw.cohort_table(customers=1000, retention=[0.5], orders=[1e300], order_value=[10.0],
                            cost_rate=[0.5], discount_rate=0.1)
