"""The textbook 20,000-customer lifetime-value table (Hughes' layout, as in CRM textbooks such as
Buttle & Maklan) against a hand computation written out here, line by line."""

import numpy as np
import pandas as pd
import pytest

import clvkit.dwyer as dw
from clvkit.errors import DataError

ARGS = dict(customers=20_000, retention=[0.40, 0.45, 0.50], orders=[1.8, 2.6, 3.6],
            order_value=[85, 95, 105], cost_rate=[0.50, 0.45, 0.40], discount_rate=0.20)


def test_twenty_thousand_customer_example_by_hand():
    table = dw.cohort_table(**ARGS)
    # year 1: 20,000 customers; revenue 20,000 * 1.8 * 85 = 3,060,000; cost 50% = 1,530,000;
    #         profit 1,530,000; undiscounted; LTV 1,530,000 / 20,000 = 76.50
    # year 2: 20,000 * 0.40 = 8,000 customers; revenue 8,000 * 2.6 * 95 = 1,976,000;
    #         cost 45% = 889,200; profit 1,086,800; / 1.2 = 905,666.67; cumulative 2,435,666.67;
    #         LTV 121.78
    # year 3: 8,000 * 0.45 = 3,600; revenue 3,600 * 3.6 * 105 = 1,360,800; cost 40% = 544,320;
    #         profit 816,480; / 1.44 = 567,000; cumulative 3,002,666.67; LTV 150.13
    by_hand = pd.DataFrame({
        "customers": [20_000, 8_000, 3_600],
        "retention_rate": [0.40, 0.45, 0.50],
        "orders_per_customer": [1.8, 2.6, 3.6],
        "average_order_value": [85, 95, 105],
        "revenue": [3_060_000, 1_976_000, 1_360_800],
        "variable_cost": [1_530_000, 889_200, 544_320],
        "marketing_cost": [0, 0, 0],
        "profit": [1_530_000, 1_086_800, 816_480],
        "discount_factor": [1, 1 / 1.2, 1 / 1.44],
        "npv": [1_530_000, 2_717_000 / 3, 567_000],                # 905,666.67
        "cumulative_npv": [1_530_000, 7_307_000 / 3, 9_008_000 / 3],  # 2,435,666.67; 3,002,666.67
        "ltv": [76.50, 365.35 / 3, 450.40 / 3],                    # 121.78; 150.13
    }, index=pd.Index([1, 2, 3], name="year"), dtype=float)
    pd.testing.assert_frame_equal(table, by_hand, rtol=1e-8)
    assert table["ltv"].round(2).tolist() == [76.50, 121.78, 150.13]


def test_hughes_lifetime_value_example_every_row():
    """REFERENCE.md, "The lifetime-value table as practitioners print it (Hughes)": 100,000 customers,
    retention 60% then 70%, $55 acquisition and $20 a year per retained customer, 16%."""
    table = dw.cohort_table(customers=100_000, retention=[0.6, 0.7], orders=[1.8, 2.5, 3.0],
                            order_value=[90, 95, 100], cost_rate=[0.70, 0.65, 0.65], discount_rate=0.16,
                            acquisition_cost=55, marketing_cost=20)
    # printed: customers, revenue and "gross profit" (after cost of sales and marketing)
    np.testing.assert_allclose(table["customers"], [100_000, 60_000, 42_000])
    np.testing.assert_allclose(table["revenue"], [16_200_000, 14_250_000, 12_600_000])
    np.testing.assert_allclose(table["profit"], [-640_000, 3_787_500, 3_570_000])
    # costs by hand: cost of sales 70/65/65% of revenue; marketing 55 * 100,000, 20 * 60,000, 20 * 42,000
    np.testing.assert_allclose(table["variable_cost"], [11_340_000, 9_262_500, 8_190_000])
    np.testing.assert_allclose(table["marketing_cost"], [5_500_000, 1_200_000, 840_000])
    # NPV: year 1 undiscounted, then / 1.16 and / 1.3456; cumulative; LTV per acquired customer
    np.testing.assert_allclose(table["npv"], [-640_000, 3_787_500 / 1.16, 3_570_000 / 1.3456])
    np.testing.assert_allclose(table["cumulative_npv"],
                               np.cumsum([-640_000, 3_787_500 / 1.16, 3_570_000 / 1.3456]))
    assert table["ltv"].round().tolist() == [-6.0, 26.0, 53.0]   # printed ($6) / $26 / $53


def test_marketing_cost_per_year_and_bad_costs():
    per_year = dw.cohort_table(customers=1000, retention=0.5, orders=[1, 1, 1], order_value=10, cost_rate=0.0,
                               discount_rate=0.0, acquisition_cost=3, marketing_cost=[99, 2, 1])
    np.testing.assert_allclose(per_year["marketing_cost"], [3000, 1000, 250])  # year-1 entry ignored
    with pytest.raises(DataError, match="acquisition_cost"):
        dw.cohort_table(**ARGS, acquisition_cost=-1)
    with pytest.raises(DataError, match="marketing_cost"):
        dw.cohort_table(**ARGS, marketing_cost=[1, -2, 3])


def test_scalars_broadcast_and_short_retention():
    table = dw.cohort_table(customers=1000, retention=0.5, orders=2, order_value=[10, 20],
                            cost_rate=0.25, discount_rate=0.10)
    assert table["customers"].tolist() == [1000, 500]
    np.testing.assert_allclose(table["profit"], [15_000, 15_000])
    np.testing.assert_allclose(table["npv"], [15_000, 15_000 / 1.1])
    short = dw.cohort_table(customers=1000, retention=[0.5], orders=2, order_value=[10, 20],
                            cost_rate=0.25, discount_rate=0.10)
    np.testing.assert_allclose(short["cumulative_npv"], table["cumulative_npv"])
    assert np.isnan(short["retention_rate"].iloc[-1])


@pytest.mark.parametrize(("change", "message"), [
    ({"retention": [0.4, 1.5, 0.5]}, r"retention must be finite and \[0, 1\]: 1 of 3 years"),
    ({"cost_rate": [0.5, -0.1, 0.4]}, "cost_rate must be finite"),
    ({"orders": [1.8, -2, 3.6]}, r"orders must be finite and >= 0: 1 of 3 years are not \(first: year 2"),
    ({"order_value": [85, 95]}, "order_value has 2 values but the table has 3 years"),
    ({"discount_rate": -1.0}, "discount_rate must be > -1"),
    ({"customers": -5}, "customers must be"),
    ({"customers": 0}, "customers must be > 0"),
])
def test_bad_inputs(change, message):
    with pytest.raises(DataError, match=message):
        dw.cohort_table(**{**ARGS, **change})
