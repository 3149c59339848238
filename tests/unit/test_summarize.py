"""summarize() on a small hand-made log whose answers are worked out by hand below.

The log (customers A, B, C; end of observation Tuesday 2020-03-31):

    A  Mon 2020-01-06 10:00  10   \\ same day: one purchase of 15 at grain D
    A  Mon 2020-01-06 15:00   5   /
    A  Wed 2020-01-08        20   same Monday-to-Sunday week as 01-06
    A  Mon 2020-01-20        30
    A  Mon 2020-03-02        40
    B  Mon 2020-01-13         8
    C  Tue 2020-03-10        50   first seen after a calibration end of 2020-02-02

Day counts used below: 01-06 -> 03-02 = 56, 01-06 -> 03-31 = 85, 01-13 -> 03-31 = 78,
03-10 -> 03-31 = 21, 01-06 -> 02-02 = 27, 01-13 -> 02-02 = 20, 02-02 -> 03-31 = 58.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest

from clvkit.data.customer_data import CustomerData
from clvkit.data.summarize import summarize
from clvkit.data.units import DAYS_PER_UNIT
from clvkit.errors import DataWarning

END = "2020-03-31"


@pytest.fixture
def log() -> pd.DataFrame:
    return pd.DataFrame({
        "cust": ["A", "A", "A", "A", "A", "B", "C"],
        "when": pd.to_datetime(["2020-01-06 10:00", "2020-01-06 15:00", "2020-01-08 00:00",
                                "2020-01-20 00:00", "2020-03-02 00:00", "2020-01-13 00:00",
                                "2020-03-10 00:00"]),
        "value": [10.0, 5.0, 20.0, 30.0, 40.0, 8.0, 50.0],
    })


def run(log: pd.DataFrame, **kwargs) -> CustomerData:
    kwargs.setdefault("amount", "value")
    kwargs.setdefault("end", END)
    return summarize(log, customer="cust", date="when", **kwargs)


def expect(frame: pd.DataFrame, rows: dict[str, tuple], columns: list[str]) -> None:
    want = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    assert list(frame.index) == list(want.index)
    for col in columns:
        np.testing.assert_allclose(frame[col].to_numpy(float), want[col].to_numpy(float),
                                   rtol=0, atol=1e-12, err_msg=col)


COLS = ["frequency", "recency", "T", "monetary_value"]


def test_same_day_merge_in_days(log):
    data = run(log, unit="D", grain="D")
    expect(data.frame, {
        "A": (3, 56, 85, (20 + 30 + 40) / 3),
        "B": (0, 0, 78, 0),
        "C": (0, 0, 21, 0),
    }, COLS)
    assert data.provenance["n_transactions"] == 7
    assert data.provenance["n_purchases_after_merge"] == 6
    assert data.provenance["merged"] == 1
    assert data.provenance["grain"] == "D" and data.provenance["unit"] == "D"
    assert data.provenance["n_customers"] == 3


def test_frame_layout(log):
    data = run(log, unit="D", grain="D")
    f = data.frame
    assert f.index.name == "customer_id"
    assert list(f.columns) == COLS
    assert f["frequency"].dtype == np.int64
    assert f["recency"].dtype == f["T"].dtype == f["monetary_value"].dtype == np.float64
    assert isinstance(data, CustomerData)
    assert data.unit == "D" and data.grain == "D" and data.end == pd.Timestamp(END)
    assert data.calibration_end is None


@pytest.mark.parametrize("unit", ["D", "W", "M", "Q", "Y"])
def test_units_divide_whole_days(log, unit):
    days = DAYS_PER_UNIT[unit]
    data = run(log, unit=unit, grain="D")
    expect(data.frame, {
        "A": (3, 56 / days, 85 / days, 30.0),
        "B": (0, 0, 78 / days, 0),
        "C": (0, 0, 21 / days, 0),
    }, COLS)
    assert data.unit == unit


def test_week_is_exactly_seven_days(log):
    data = run(log, unit="W", grain="D")
    assert data.frame.loc["A", "T"] == 85 / 7
    assert data.frame.loc["A", "recency"] == 8.0


def test_weekly_grain_merges_monday_to_sunday(log):
    data = run(log, unit="D", grain="W")
    # A: weeks of Jan 6 (10+5+20), Jan 20 (30), Mar 2 (40); the end floors to Monday Mar 30
    expect(data.frame, {
        "A": (2, 56, 84, (30 + 40) / 2),
        "B": (0, 0, 77, 0),
        "C": (0, 0, 21, 0),   # Tue Mar 10 floors to Mon Mar 9
    }, COLS)
    assert data.provenance["merged"] == 2
    assert data.end == pd.Timestamp("2020-03-30")


def test_monthly_grain(log):
    data = run(log, unit="D", grain="M")
    # A: January (65) and March (40); B: January; C: March; the end floors to Mar 1
    expect(data.frame, {
        "A": (1, 60, 60, 40),
        "B": (0, 0, 60, 0),
        "C": (0, 0, 0, 0),
    }, COLS)


@pytest.mark.parametrize(("grain", "n_purchases"), [("Q", 3), ("Y", 3)])
def test_quarter_and_year_grains_merge_everything_here(log, grain, n_purchases):
    data = run(log, unit="D", grain=grain)
    assert data.provenance["n_purchases_after_merge"] == n_purchases
    assert data.frame["frequency"].tolist() == [0, 0, 0]
    assert data.frame["T"].tolist() == [0.0, 0.0, 0.0]  # 2020 Q1 / 2020: everything floors to Jan 1


def test_no_grain_keeps_every_transaction_and_exact_times(log):
    data = run(log, unit="D", grain=None)
    f = data.frame
    assert f.loc["A", "frequency"] == 4
    assert f.loc["A", "recency"] == pytest.approx(56 - 10 / 24, abs=1e-12)
    assert f.loc["A", "T"] == pytest.approx(85 - 10 / 24, abs=1e-12)
    assert f.loc["A", "monetary_value"] == pytest.approx((5 + 20 + 30 + 40) / 4)
    assert data.provenance["merged"] == 0 and data.grain is None


def test_holdout_columns(log):
    data = run(log, unit="D", grain="D", calibration_end="2020-02-02")
    cols = [*COLS, "frequency_holdout", "monetary_value_holdout", "duration_holdout"]
    assert list(data.frame.columns) == cols
    expect(data.frame, {
        "A": (2, 14, 27, (20 + 30) / 2, 1, 40, 58),
        "B": (0, 0, 20, 0, 0, 0, 58),
    }, cols)
    assert data.frame["frequency_holdout"].dtype == np.int64
    assert data.calibration_end == pd.Timestamp("2020-02-02")
    assert data.has_holdout


def test_customer_first_seen_after_calibration_is_excluded_and_counted(log):
    data = run(log, unit="W", grain="D", calibration_end="2020-02-02")
    assert "C" not in data.frame.index
    assert data.provenance["customers_first_seen_after_calibration"] == 1
    assert data.provenance["n_customers"] == 2
    assert data.frame.loc["A", "T"] == 27 / 7
    assert data.frame.loc["A", "duration_holdout"] == 58 / 7


def test_calibration_end_equal_to_end_gives_empty_holdout(log):
    data = run(log, unit="D", grain="D", calibration_end=END)
    assert data.frame["frequency_holdout"].sum() == 0
    assert np.all(data.frame["duration_holdout"] == 0)
    expect(data.frame, {"A": (3, 56, 85, 30.0), "B": (0, 0, 78, 0), "C": (0, 0, 21, 0)}, COLS)


def test_amount_none_has_no_monetary_columns(log):
    data = run(log, unit="D", grain="D", amount=None, calibration_end="2020-02-02")
    assert list(data.frame.columns) == ["frequency", "recency", "T", "frequency_holdout", "duration_holdout"]
    assert data.frame.loc["A", "frequency"] == 2
    assert data.frame.loc["A", "frequency_holdout"] == 1


def test_amount_none_ignores_bad_amounts(log):
    log = log.assign(value=["x"] * len(log))  # not read when amount=None
    data = run(log, unit="D", grain="D", amount=None)
    assert data.frame.loc["A", "frequency"] == 3


def test_row_order_does_not_matter(log):
    shuffled = log.sample(frac=1.0, random_state=3)
    pd.testing.assert_frame_equal(run(shuffled, unit="W").frame, run(log, unit="W").frame)


@pytest.mark.parametrize(
    ("dates", "fmt"),
    [(["2020-01-06", "2020-01-06", "2020-01-08", "2020-01-20", "2020-03-02", "2020-01-13", "2020-03-10"],
      None),
     ([20200106, 20200106, 20200108, 20200120, 20200302, 20200113, 20200310], None),
     (["06/01/2020", "06/01/2020", "08/01/2020", "20/01/2020", "02/03/2020", "13/01/2020", "10/03/2020"],
      "%d/%m/%Y")],
)
def test_date_representations_agree(log, dates, fmt):
    want = run(log, unit="W", grain="D").frame
    got = run(log.assign(when=dates), unit="W", grain="D", date_format=fmt).frame
    pd.testing.assert_frame_equal(got, want)


def test_integer_end_is_read_as_yyyymmdd(log):
    a = summarize(log, customer="cust", date="when", amount="value", end=20200331, calibration_end=20200202)
    b = run(log, calibration_end="2020-02-02")
    pd.testing.assert_frame_equal(a.frame, b.frame)


def test_time_zone_aware_dates_use_local_days(log):
    # shifted by 23:30, A buys on local days Jan 7, 7, 8, 20 and Mar 2 (New York time); in UTC
    # the last three fall on the next day, so recency would be 56 days instead of 55
    shift = pd.Timedelta(hours=23, minutes=30)
    local = log.assign(when=log["when"].dt.tz_localize("America/New_York") + shift)
    data = run(local, unit="D", grain="D")  # end 2020-03-31 is read as New York wall time
    assert data.frame.loc["A", "frequency"] == 3
    assert data.frame.loc["A", "recency"] == 55
    assert data.frame.loc["A", "T"] == 84
    assert data.provenance["time_zone"] == "America/New_York"
    utc = run(local.assign(when=local["when"].dt.tz_convert("UTC")), unit="D", grain="D")
    assert utc.frame.loc["A", "recency"] == 56


def test_default_end_is_last_transaction_day(log):
    data = summarize(log, customer="cust", date="when", amount="value", unit="D")
    assert data.end == pd.Timestamp("2020-03-10")
    assert data.frame.loc["C", "T"] == 0.0
    assert data.frame.loc["A", "T"] == 64.0


def test_index_keeps_customer_id_dtype_and_sorts():
    tx = pd.DataFrame({"customer_id": [30, 4, 30, 200], "date": pd.to_datetime(["2020-01-01"] * 4),
                       "amount": [1.0, 2.0, 3.0, 4.0]})
    data = summarize(tx)
    assert data.frame.index.tolist() == [4, 30, 200]
    assert data.frame.index.dtype == np.int64
    assert data.frame.loc[30, "frequency"] == 0  # same day: merged, amounts summed
    assert data.provenance["merged"] == 1


def test_does_not_modify_input(log):
    before = log.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        run(log, unit="W", end="2020-02-01")
    pd.testing.assert_frame_equal(log, before)


def test_large_log_is_vectorised():
    """300,000 customers, 1.5 million rows: a per-customer Python loop would take minutes."""
    rng = np.random.default_rng(7)
    n = 1_500_000
    tx = pd.DataFrame({
        "customer_id": rng.integers(0, 300_000, n),
        "date": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D"),
        "amount": rng.gamma(2.0, 10.0, n),
    })
    start = time.perf_counter()
    data = summarize(tx, unit="W", grain="D", calibration_end="2021-01-01", end="2021-12-31")
    elapsed = time.perf_counter() - start
    f = data.frame
    in_cal = tx[tx["date"] <= "2021-01-01"]
    assert len(f) == in_cal["customer_id"].nunique()
    n_cal_purchases = len(in_cal.drop_duplicates(["customer_id", "date"]))
    assert int(f["frequency"].sum()) == n_cal_purchases - len(f)
    assert elapsed < 30.0, f"summarize took {elapsed:.1f}s for {n} rows"


def test_docstring_examples_run():
    import doctest

    import clvkit.data.summarize as summarize_module
    import clvkit.data.transactions as transactions_module

    for module in (summarize_module, transactions_module):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted >= 2 and result.failed == 0, module.__name__
