"""CRM segmentations (clvkit.crm.segments) on hand-computable cases, CDNOW, and their plots.

Every expected value below is written out from a hand computation explained in the comment
next to it; none comes from running the code.
"""

import matplotlib

matplotlib.use("Agg")

import itertools

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.crm import (
    RFM_SEGMENTS,
    abc_classes,
    concentration,
    customer_pyramid,
    lorenz_curve,
    profitability_chain,
    profitability_matrix,
    rfm_scores,
    rfm_segment,
    rfm_table,
    value_matrix,
)
from clvkit.errors import DataError
from clvkit.plotting import crm_segments as cp


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def cdnow():
    return ck.summarize(ck.datasets.load_cdnow(), unit="W")


# ----------------------------------------------------------------------------- ABC
def test_abc_hand_case():
    # total 100; value held by the customers ranked above each one ("before"):
    # a 0, b .40, c .65, d .80, e .88, f .93, g .96, h .98, i .99, j 1.00
    # A: before < .80 -> a b c; B: before < .95 -> d (exactly .80 is the lower class) e f; C: the rest
    values = pd.Series([40, 25, 15, 8, 5, 3, 2, 1, 1, 0], index=list("abcdefghij"), name="revenue")
    out = abc_classes(values)
    assert out["abc_class"].tolist() == list("AAABBBCCCC")
    assert out["rank"].tolist() == list(range(1, 11))
    np.testing.assert_allclose(out["cumulative_share"], [.40, .65, .80, .88, .93, .96, .98, .99, 1.0, 1.0])
    assert list(out.columns) == ["value", "rank", "cumulative_share", "abc_class"]


def test_abc_straddler_goes_to_higher_class_and_order_is_kept():
    # input order y, x, z; sorted: x 50 (before 0), y 40 (before .5, holds .5 -> .9: straddles .8 -> A),
    # z 10 (before .9 -> B)
    out = abc_classes(pd.Series({"y": 40.0, "x": 50.0, "z": 10.0}))
    assert out.index.tolist() == ["y", "x", "z"]
    assert out["abc_class"].tolist() == ["A", "A", "B"]
    assert out["rank"].tolist() == [2, 1, 3]


def test_abc_ties_share_the_class_of_the_first():
    # sorted 70, 10, 10, 10: befores 0, .7, .8, .9. Without the tie rule the 10s would be A, B, B;
    # as one block starting at .7 they are all A.
    out = abc_classes(pd.Series([10.0, 70.0, 10.0, 10.0]))
    assert out["abc_class"].tolist() == ["A", "A", "A", "A"]
    # the ranks of tied customers follow input order
    assert out["rank"].tolist() == [2, 1, 3, 4]


def test_abc_custom_shares_and_bad_inputs():
    # shares (.5, .5): before 0, .5 (exactly .5 -> B), .8
    out = abc_classes(pd.Series([50.0, 30.0, 20.0]), shares=(0.5, 0.5))
    assert out["abc_class"].tolist() == ["A", "B", "B"]
    with pytest.raises(DataError, match="'spend'.*negative.*1 of 3"):
        abc_classes(pd.Series([1.0, -2.0, 3.0], name="spend"))
    with pytest.raises(DataError, match="'spend'.*NaN"):
        abc_classes(pd.Series([1.0, np.nan], name="spend"))
    with pytest.raises(DataError, match="sums to zero"):
        abc_classes(pd.Series([0.0, 0.0]))
    with pytest.raises(DataError, match="add up to 1"):
        abc_classes(pd.Series([1.0, 2.0]), shares=(0.8, 0.1))
    with pytest.raises(DataError, match="empty"):
        abc_classes(pd.Series([], dtype=float))


# ----------------------------------------------------------------------------- pyramid
def test_pyramid_hundred_customers():
    # 100 distinct values: rank 1 VIP, 2-5 large, 6-20 medium, 21-100 small
    out = customer_pyramid(pd.Series(np.arange(100, 0, -1.0)))
    assert out["tier"].value_counts(sort=False).tolist() == [1, 4, 15, 80]
    assert out["tier"].iloc[0] == "VIP" and out["tier"].iloc[4] == "large" and out["tier"].iloc[5] == "medium"
    assert out["tier"].iloc[19] == "medium" and out["tier"].iloc[20] == "small"


def test_pyramid_straddling_customer_goes_up():
    # 150 customers: 1% is 1.5 customers -> ranks 1-2 VIP ((i-1)/150 < .01 for i <= 2);
    # 5% is 7.5 -> ranks 3-8 large; 20% is 30 -> ranks 9-30 medium; 120 small
    out = customer_pyramid(pd.Series(np.arange(150, 0, -1.0)))
    assert out["tier"].value_counts(sort=False).tolist() == [2, 6, 22, 120]


def test_pyramid_tie_at_boundary_goes_up_as_a_block():
    # ranks 5 and 6 tied: rank 6 would be medium alone, the block starts at rank 5 (large)
    values = np.arange(100, 0, -1.0)
    values[5] = values[4]
    out = customer_pyramid(pd.Series(values))
    assert out["tier"].value_counts(sort=False).tolist() == [1, 5, 14, 80]


def test_pyramid_custom_tiers_and_errors():
    out = customer_pyramid(pd.Series([5.0, 1.0, 3.0, 2.0]), tiers=(("top", 0.5), ("rest", 0.5)))
    assert out["tier"].tolist() == ["top", "rest", "top", "rest"]
    with pytest.raises(DataError, match="distinct"):
        customer_pyramid(pd.Series([1.0]), tiers=(("a", 0.5), ("a", 0.5)))
    with pytest.raises(DataError, match="'clv'.*negative"):
        customer_pyramid(pd.Series([1.0, -1.0], name="clv"))


# ----------------------------------------------------------------------------- concentration
def test_concentration_hand_values():
    values = pd.Series([5.0, 60.0, 10.0, 20.0, 5.0])  # total 100, sorted 60 20 10 5 5
    assert concentration(values) == pytest.approx(0.60)  # top 20% = 1 customer
    assert concentration(values, top=0.3) == pytest.approx(0.70)  # 60 + half of 20
    assert concentration(values, top=1.0) == pytest.approx(1.0)
    assert concentration(pd.Series([1.0] * 10)) == pytest.approx(0.2)  # equal values: no concentration
    curve = lorenz_curve(values)
    np.testing.assert_allclose(curve["value_share"], [0, .6, .8, .9, .95, 1.0])
    with pytest.raises(DataError, match="top"):
        concentration(values, top=0)
    with pytest.raises(DataError, match="'m'.*negative"):
        concentration(pd.Series([1.0, -1.0], name="m"))


# ----------------------------------------------------------------------------- RFM
def _rfm_frame():
    # 10 distinct customers; score = quintile of the rank midpoint: 2 customers per score
    return pd.DataFrame({
        "recency_days": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],   # smaller is better: r = 5 5 4 4 3 3 2 2 1 1
        "frequency": [10, 9, 8, 7, 6, 5, 4, 3, 2, 1],        # f = 5 5 4 4 3 3 2 2 1 1
        "monetary": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10.0],       # m = 1 1 2 2 3 3 4 4 5 5
    }, index=[f"c{i}" for i in range(10)])


def test_rfm_hand_case():
    out = rfm_scores(_rfm_frame())
    assert out["r_score"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert out["f_score"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert out["m_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # fm = (f + m + 1) // 2 = (5+1+1)//2 = 3, (4+2+1)//2 = 3, 3, (2+4+1)//2 = 3, (1+5+1)//2 = 3
    assert out["fm_score"].tolist() == [3] * 10
    # R5 FM3, R4 FM3 -> Potential loyalist; R3 FM3 -> Need attention; R2/R1 FM3 -> At risk
    assert out["rfm_segment"].tolist() == (["Potential loyalist"] * 4 + ["Need attention"] * 2
                                           + ["At risk"] * 4)


def test_rfm_ties_use_average_rank():
    df = _rfm_frame()
    # six customers tied at 0 share ranks 1-6 (average 3.5, midpoint share .3 -> score 2);
    # ranks 7..10 have midpoints .65 .75 .85 .95 -> scores 4 4 5 5; score 1 and 3 are empty
    df["frequency"] = [0, 0, 0, 0, 0, 0, 1, 2, 3, 4]
    assert rfm_scores(df)["f_score"].tolist() == [2, 2, 2, 2, 2, 2, 4, 4, 5, 5]
    # row order does not change a tied customer's score
    shuffled = df.iloc[::-1]
    assert rfm_scores(shuffled)["f_score"].tolist() == [5, 5, 4, 4, 2, 2, 2, 2, 2, 2]


def test_rfm_few_distinct_values():
    df = pd.DataFrame({"recency_days": [3.0, 3.0, 3.0], "frequency": [1, 1, 2, ], "monetary": [5.0, 5.0, 5.0]})
    out = rfm_scores(df)
    assert out["r_score"].tolist() == [3, 3, 3]     # everyone equal: midpoint .5 -> 3
    assert out["m_score"].tolist() == [3, 3, 3]
    # frequency 1, 1 share ranks 1-2 (midpoint 1/3 -> 2), frequency 2 rank 3 (midpoint 5/6 -> 5)
    assert out["f_score"].tolist() == [2, 2, 5]
    # 4 customers, two values: midpoints .25 -> 2 and .75 -> 4 only
    four = pd.DataFrame({"recency_days": [1, 1, 2, 2], "frequency": [1, 1, 2, 2], "monetary": [1, 1, 2, 2]})
    assert rfm_scores(four)["f_score"].tolist() == [2, 2, 4, 4]
    assert rfm_scores(four)["r_score"].tolist() == [4, 4, 2, 2]


def test_rfm_segments_partition_the_grid():
    cells = {}
    for name, ((r_lo, r_hi), (fm_lo, fm_hi)) in RFM_SEGMENTS.items():
        for r, fm in itertools.product(range(r_lo, r_hi + 1), range(fm_lo, fm_hi + 1)):
            assert (r, fm) not in cells, (name, r, fm, cells.get((r, fm)))
            cells[(r, fm)] = name
    assert set(cells) == set(itertools.product(range(1, 6), range(1, 6)))
    assert len(RFM_SEGMENTS) == 11
    expected = {(5, 5): "Champions", (4, 5): "Loyal", (5, 2): "Potential loyalist", (5, 1): "New customers",
                (4, 1): "Promising", (3, 3): "Need attention", (3, 1): "About to sleep", (2, 4): "At risk",
                (1, 5): "Can't lose them", (2, 1): "Hibernating", (1, 1): "Lost"}
    for (r, fm), name in expected.items():
        assert rfm_segment(r, fm) == name
    with pytest.raises(DataError, match="1..5"):
        rfm_segment(0, 3)


def test_rfm_bad_inputs():
    df = _rfm_frame()
    with pytest.raises(DataError, match="'monetary'.*not found"):
        rfm_scores(df.drop(columns="monetary"))
    df.loc["c3", "frequency"] = np.nan
    with pytest.raises(DataError, match="'frequency'.*NaN.*c3"):
        rfm_scores(df)
    with pytest.raises(DataError, match="DataFrame"):
        rfm_scores(df["frequency"])
    renamed = _rfm_frame().rename(columns={"recency_days": "days_since"})
    assert rfm_scores(renamed, recency="days_since")["r_score"].iloc[0] == 5


def test_rfm_table_from_summary():
    # x buys on Jan 1 and Jan 15, y on Jan 1; end Jan 29 in weeks:
    # x: T 4, recency 2 -> last purchase 2 weeks = 14 days ago; y: 4 weeks = 28 days ago
    tx = pd.DataFrame({"customer_id": ["x", "x", "y"],
                       "date": pd.to_datetime(["2020-01-01", "2020-01-15", "2020-01-01"]),
                       "amount": [10.0, 30.0, 5.0]})
    table = rfm_table(ck.summarize(tx, unit="W", end="2020-01-29"))
    assert table.to_dict("index") == {"x": {"recency_days": 14.0, "frequency": 1, "monetary": 30.0},
                                      "y": {"recency_days": 28.0, "frequency": 0, "monetary": 0.0}}
    # two customers: x better on all three -> midpoints .75 -> 4, y .25 -> 2
    scores = rfm_scores(table)
    assert scores[["r_score", "f_score", "m_score"]].to_numpy().tolist() == [[4, 4, 4], [2, 2, 2]]
    with pytest.raises(DataError, match="CustomerData"):
        rfm_table(table)


# ----------------------------------------------------------------------------- matrices
def test_value_matrix_hand_case_and_thresholds():
    current = pd.Series([10.0, 10.0, 1.0, 1.0], index=list("abcd"))
    potential = pd.Series([5.0, 0.0, 5.0, 0.0], index=list("abcd"))
    out = value_matrix(current, potential)  # medians 5.5 and 2.5
    assert out["strategy"].tolist() == ["invest / develop", "maintain / retain", "grow / upgrade",
                                        "reduce cost / divest"]
    assert out.attrs["thresholds"] == {"current_value": 5.5, "growth_potential": 2.5}
    # a customer exactly at the threshold is "low": medians 2 and 2 -> b is low/low
    out = value_matrix(pd.Series([1.0, 2.0, 3.0]), pd.Series([3.0, 2.0, 1.0]))
    assert out["strategy"].tolist() == ["grow / upgrade", "reduce cost / divest", "maintain / retain"]
    # given thresholds replace the medians
    out = value_matrix(current, potential, current_threshold=0.0, potential_threshold=10.0)
    assert out["strategy"].tolist() == ["maintain / retain"] * 4
    with pytest.raises(DataError, match="same customers"):
        value_matrix(current, potential.iloc[:3])
    with pytest.raises(DataError, match="'growth_potential'.*missing"):
        value_matrix(current, pd.Series([1.0, np.nan, 1.0, 1.0], index=list("abcd")))


def test_profitability_matrix_hand_case():
    nsv = pd.Series([9.0, 9.0, 1.0, 1.0], name="nsv")
    cost = pd.Series([1.0, 8.0, 1.0, 8.0], name="cts")
    out = profitability_matrix(nsv, cost)  # medians 5 and 4.5
    assert out["quadrant"].tolist() == ["protect", "cost-adjust", "develop", "danger"]
    out = profitability_matrix(nsv, cost, nsv_threshold=0.0, cost_threshold=100.0)
    assert out["quadrant"].tolist() == ["protect"] * 4


def test_profitability_chain_hand_case():
    gross = pd.Series({"a": 100.0, "b": 50.0})
    # a: NSV 100 - 10 = 90, GP 90 - 60 = 30, NP 30 - 5 = 25; b: NSV 50 - 0 = 50, GP 50 - 30 = 20, NP 20 - 5 = 15
    out = profitability_chain(gross, discounts=pd.Series({"b": 0.0, "a": 10.0}),
                              cost_of_goods=pd.Series({"a": 60.0, "b": 30.0}), cost_to_serve=5)
    assert out.loc["a"].tolist() == [100.0, 10.0, 90.0, 60.0, 30.0, 5.0, 25.0]
    assert out.loc["b"].tolist() == [50.0, 0.0, 50.0, 30.0, 20.0, 5.0, 15.0]
    # without costs every level equals gross sales; profits may be negative
    assert profitability_chain(gross)["net_profit"].tolist() == [100.0, 50.0]
    assert profitability_chain(gross, cost_to_serve=80)["net_profit"].tolist() == [20.0, -30.0]
    with pytest.raises(DataError, match="'discounts'.*negative"):
        profitability_chain(gross, discounts=-1)
    with pytest.raises(DataError, match="'cost_of_goods'.*no entry.*'b'"):
        profitability_chain(gross, cost_of_goods=pd.Series({"a": 1.0}))
    with pytest.raises(DataError, match="'gross_sales'.*negative"):
        profitability_chain(pd.Series([-1.0]))


# ----------------------------------------------------------------------------- CDNOW
def test_cdnow_worked_example(cdnow):
    revenue = cdnow.frame["frequency"] * cdnow.frame["monetary_value"]  # historical repeat revenue
    share = concentration(revenue)
    assert 0.5 < share < 0.9
    abc = abc_classes(revenue)
    assert abc.index.equals(revenue.index)
    counts = abc["abc_class"].value_counts()
    assert counts.sum() == len(revenue) and (counts > 0).all()
    held = revenue.groupby(abc["abc_class"], observed=False).sum() / revenue.sum()
    assert held["A"] >= 0.8 and held["A"] - 0.8 < 0.01  # A holds the first 80%, and just about
    pyramid = customer_pyramid(revenue)
    assert pyramid["tier"].value_counts().sum() == len(revenue)
    scores = rfm_scores(rfm_table(cdnow))
    assert scores["rfm_segment"].notna().all()
    assert set(scores["r_score"]) <= {1, 2, 3, 4, 5}


# ----------------------------------------------------------------------------- plots
def test_plot_pyramid():
    pyramid = customer_pyramid(pd.Series(np.arange(100, 0, -1.0)))
    ax = cp.plot_pyramid(pyramid)
    assert [p.get_width() for p in ax.patches] == [1, 4, 15, 80]
    assert len(ax.texts) == 4


def test_plot_abc():
    abc = abc_classes(pd.Series([40, 25, 15, 8, 5, 3, 2, 1, 1, 0], dtype=float))
    ax = cp.plot_abc(abc)
    curve = ax.lines[0]
    np.testing.assert_allclose(curve.get_xdata(), np.arange(11) / 10)
    np.testing.assert_allclose(curve.get_ydata(), [0, .40, .65, .80, .88, .93, .96, .98, .99, 1.0, 1.0])
    assert len(ax.lines) == 2 and len(ax.patches) == 3


def test_plot_rfm_heatmap_counts_and_means():
    scores = rfm_scores(_rfm_frame())
    ax = cp.plot_rfm_heatmap(scores)
    grid = ax.images[0].get_array()
    assert grid.shape == (5, 5) and grid.sum() == 10
    # r = f for every customer here: two customers on each diagonal cell
    np.testing.assert_array_equal(np.diag(grid), [2, 2, 2, 2, 2])
    ax = cp.plot_rfm_heatmap(scores, value="monetary")
    grid = ax.images[0].get_array()
    # cell (f=5, r=5) holds monetary 1 and 2 -> mean 1.5; off-diagonal cells are empty (masked)
    assert grid[4, 4] == pytest.approx(1.5) and grid.mask[0, 4]
    assert len(ax.texts) == 5


def test_plot_value_and_profitability_matrix():
    vm = value_matrix(pd.Series([10.0, 10.0, 1.0, 1.0, 2.0]), pd.Series([5.0, 0.0, 5.0, 0.0, 0.5]))
    ax = cp.plot_value_matrix(vm)
    assert len(ax.collections) == 4 and len(ax.lines) == 2 and len(ax.texts) == 4
    assert ax.lines[0].get_xdata()[0] == vm.attrs["thresholds"]["current_value"]
    pm = profitability_matrix(pd.Series([9.0, 1.0]), pd.Series([1.0, 8.0]))
    ax = cp.plot_value_matrix(pm)
    assert len(ax.collections) == 2  # protect and danger have customers
    assert {t.get_text() for t in ax.texts} == {"protect", "cost-adjust", "develop", "danger"}
    with pytest.raises(DataError, match="value_matrix"):
        cp.plot_value_matrix(pd.DataFrame({"x": [1]}))
