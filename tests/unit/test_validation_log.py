"""Bad transaction logs raise a DataError (a ValueError) that names the column and the count.

One test per kind of bad input, through both validate_transactions and summarize. Nothing is
dropped silently; the one thing that is left out on purpose (transactions after ``end``) is
counted and announced.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from clvkit.data.summarize import summarize
from clvkit.data.transactions import validate_transactions
from clvkit.errors import DataError, DataWarning


def make_log(**overrides) -> pd.DataFrame:
    """Five clean transactions of two customers; ``overrides`` replace whole columns."""
    columns = {
        "customer_id": [1, 1, 2, 2, 2],
        "date": pd.to_datetime(["2020-01-01", "2020-01-08", "2020-01-02", "2020-01-05", "2020-02-01"]),
        "amount": [10.0, 20.0, 5.0, 7.5, 2.5],
    }
    columns.update(overrides)
    return pd.DataFrame(columns)


def raises_both(match: str):
    """pytest.raises for a DataError that is also caught as a ValueError."""
    return pytest.raises(ValueError, match=match)


def check(tx: pd.DataFrame, match: str, **kwargs) -> DataError:
    """Both entry points raise a DataError whose message matches ``match``."""
    with raises_both(match) as info:
        validate_transactions(tx, "customer_id", "date", kwargs.pop("amount", "amount"), **kwargs)
    assert isinstance(info.value, DataError)
    with raises_both(match) as info2:
        summarize(tx, unit="W", **kwargs)
    assert isinstance(info2.value, DataError)
    return info.value


def test_clean_log_passes():
    out = validate_transactions(make_log(), "customer_id", "date", "amount")
    assert list(out.columns) == ["customer", "date", "amount"]
    assert out["amount"].dtype == np.float64
    assert len(out) == 5


def test_negative_amount():
    err = check(make_log(amount=[10.0, -1.0, 5.0, -2.0, 2.5]), r"column 'amount' is negative in 2 of 5 rows")
    assert "index 1" in str(err)  # one example row


def test_nan_amount():
    check(make_log(amount=[10.0, np.nan, 5.0, 7.5, 2.5]), r"column 'amount' is NaN in 1 of 5 rows")


def test_non_numeric_amount():
    check(make_log(amount=[10.0, "ten", 5.0, "n/a", 2.5]), r"column 'amount' is not numeric in 2 of 5 rows")


def test_unparseable_date():
    dates = ["2020-01-01", "2020-01-08", "not a date", "2020-01-05", "2020-13-45"]
    check(make_log(date=dates), r"column 'date' cannot be parsed as a date in 2 of 5 rows")


def test_unparseable_integer_date():
    check(make_log(date=[20200101, 20200108, 20200102, 20200132, 20200201]),
          r"column 'date' cannot be parsed as a date in 1 of 5 rows.*20200132")


def test_nan_date():
    dates = pd.to_datetime(["2020-01-01", None, "2020-01-02", None, None])
    check(make_log(date=dates), r"column 'date' is NaN \(no date\) in 3 of 5 rows")


def test_nan_customer():
    check(make_log(customer_id=[1, 1, None, 2, 2]),
          r"column 'customer_id' is NaN \(no customer id\) in 1 of 5")


def test_empty_log():
    check(make_log().iloc[:0], r"transaction log is empty \(0 rows")


def test_missing_column():
    tx = make_log().rename(columns={"amount": "spend"})
    err = check(tx, r"1 column\(s\) not found in the transaction log: amount='amount'")
    assert "['customer_id', 'date', 'spend']" in str(err)  # lists the available columns


def test_not_a_dataframe():
    with raises_both(r"expected the transaction log as a pandas DataFrame, got list"):
        summarize([(1, "2020-01-01", 1.0)])


def test_calibration_end_after_end():
    with raises_both(r"calibration_end=2020-03-01 00:00:00 is after end=2020-02-01 00:00:00: 1 date") as info:
        summarize(make_log(), calibration_end="2020-03-01", end="2020-02-01")
    assert isinstance(info.value, DataError)


def test_calibration_end_after_last_date_when_end_not_given():
    with raises_both(r"calibration_end=2020-03-01 00:00:00 is after end \(the last transaction date"):
        summarize(make_log(), calibration_end="2020-03-01")


@pytest.mark.parametrize("unit", ["weeks", "S", "", None])
def test_unknown_unit(unit):
    with raises_both(r"unit must be one of \['D', 'M', 'Q', 'W', 'Y'\], got") as info:
        summarize(make_log(), unit=unit)
    assert isinstance(info.value, DataError)
    assert repr(unit) in str(info.value)


@pytest.mark.parametrize("grain", ["H", "day", 7])
def test_unknown_grain(grain):
    with raises_both(r"grain must be one of \['D', 'W', 'M', 'Q', 'Y'\] or None") as info:
        summarize(make_log(), grain=grain)
    assert isinstance(info.value, DataError)
    assert repr(grain) in str(info.value)


def test_unparseable_end():
    with raises_both(r"end='soon' is not a date"):
        summarize(make_log(), end="soon")


def test_end_before_every_transaction():
    with raises_both(r"all 5 transactions are after end=2019-12-31"), warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        summarize(make_log(), end="2019-12-31")


def test_transactions_after_end_are_left_out_and_counted():
    with pytest.warns(DataWarning, match=r"left out 3 of 5 transactions dated after end=2020-01-04"):
        data = summarize(make_log(), unit="D", end="2020-01-04")
    assert data.provenance["left_out_after_end"] == 3
    assert data.provenance["n_transactions"] == 5
    assert data.provenance["n_transactions_in_window"] == 2
    f = data.frame
    # customer 1: only 2020-01-01 is in the window; customer 2: only 2020-01-02
    assert f.loc[1, "frequency"] == 0 and f.loc[1, "T"] == 3.0
    assert f.loc[2, "frequency"] == 0 and f.loc[2, "T"] == 2.0


def test_customer_entirely_after_end_is_counted():
    tx = pd.concat([make_log(), make_log(customer_id=[3], date=pd.to_datetime(["2021-01-01"]), amount=[1.0])],
                   ignore_index=True)
    with pytest.warns(DataWarning, match=r"left out 1 of 6"):
        data = summarize(tx, end="2020-12-31")
    assert 3 not in data.frame.index
    assert data.provenance["customers_first_seen_after_end"] == 1


def test_no_warning_when_nothing_is_after_end():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        data = summarize(make_log(), end="2020-02-01")
    assert data.provenance["left_out_after_end"] == 0


def test_infinite_amount():
    check(make_log(amount=[10.0, np.inf, 5.0, 7.5, 2.5]), r"column 'amount' is infinite in 1 of 5 rows")


def test_same_column_for_two_roles():
    with raises_both(r"column 'date' was given both as date and as amount"):
        validate_transactions(make_log(), "customer_id", "date", "date")


# ------------------------------------------------------------ issue 9: ids, dates, time zones
def test_ids_keep_leading_zeros():
    tx = make_log(customer_id=["007", "7", "0007", "7", "007"])
    data = summarize(tx, unit="D")
    assert sorted(data.frame.index) == ["0007", "007", "7"]
    assert data.frame.loc["7", "frequency"] == 1 and data.frame.loc["0007", "frequency"] == 0
    assert list(validate_transactions(tx, "customer_id", "date", "amount")["customer"]) == list(tx["customer_id"])


def test_mixed_id_types_are_refused():
    tx = make_log(customer_id=pd.Series([1, "1", 2, 2, 2], dtype=object))
    err = check(tx, r"column 'customer_id' holds ids of another type than most ids \(number\) in 1 of 5 rows")
    assert "index 1" in str(err) and "1 and '1'" in str(err)


@pytest.mark.parametrize("bad, count", [("9999-12-31", 1), ("1066-10-14", 1)])
def test_dates_outside_the_plausible_range(bad, count):
    dates = ["2020-01-01", bad, "2020-01-02", "2020-01-05", "2020-02-01"]
    err = check(make_log(date=dates),
                rf"column 'date' is outside the plausible range 1900-01-01..2200-12-31 in {count} of 5 rows")
    assert bad in str(err)


def test_integer_date_in_9999_is_refused():
    check(make_log(date=[20200101, 99991231, 20200102, 20200105, 20200201]),
          r"column 'date' is outside the plausible range .* in 1 of 5 rows")


@pytest.mark.parametrize("end", ["9999-12-31", 99991231, "1066-10-14"])
def test_end_outside_the_plausible_range(end):
    with raises_both(r"end=.* is outside the plausible range 1900-01-01..2200-12-31"):
        summarize(make_log(), end=end)
    with raises_both(r"calibration_end=.* is outside the plausible range"):
        summarize(make_log(), calibration_end=end)


@pytest.mark.parametrize("dtype", ["date32[pyarrow]", "timestamp[us][pyarrow]", "timestamp[ns][pyarrow]"])
def test_pyarrow_date_columns_work(dtype):
    pytest.importorskip("pyarrow")
    tx = make_log()
    expected = summarize(tx, unit="D").frame
    got = summarize(make_log(date=tx["date"].astype(dtype)), unit="D").frame
    pd.testing.assert_frame_equal(got, expected)


def test_pyarrow_zone_aware_timestamps_are_wall_clock():
    pytest.importorskip("pyarrow")
    aware = make_log()["date"].dt.tz_localize("Europe/Paris")
    expected = summarize(make_log(date=aware), unit="D").frame
    got = summarize(make_log(date=aware.astype("timestamp[us, tz=Europe/Paris][pyarrow]")), unit="D").frame
    pd.testing.assert_frame_equal(got, expected)


def test_pyarrow_date_in_9999_is_refused():
    pytest.importorskip("pyarrow")
    dates = pd.Series(pd.to_datetime(["2020-01-01", "9999-01-01", "2020-01-02", "2020-01-05", "2020-02-01"]))
    check(make_log(date=dates.astype("date32[pyarrow]")), r"column 'date' is outside the plausible range")


def test_mixed_time_zones_name_count_and_example():
    dates = ["2020-01-01T10:00+01:00", "2020-01-08T10:00+01:00", "2020-01-02T10:00+02:00",
             "2020-01-05T10:00+01:00", "2020-02-01T10:00+0100"]
    err = check(make_log(date=dates),
                r"column 'date' is in another time zone than most rows \(\+01:00\) in 1 of 5 rows")
    assert "index 2" in str(err) and "utc=True" in str(err)


def test_aware_and_naive_times_are_refused():
    dates = ["2020-01-01T10:00", "2020-01-08T10:00", "2020-01-02T10:00Z", "2020-01-05T10:00", "2020-02-01T10:00"]
    check(make_log(date=dates), r"column 'date' is in another time zone than most rows \(no time zone\) in 1 of 5")


def test_one_offset_everywhere_is_local_wall_clock():
    dates = ["2020-01-01T23:30+05:00", "2020-01-08T10:00+05:00", "2020-01-02T10:00+05:00",
             "2020-01-05T10:00+05:00", "2020-02-01T00:30+05:00"]
    data = summarize(make_log(date=dates), unit="D")
    assert data.frame.loc[1, "recency"] == 7.0  # 01-01 to 01-08 in local days
    assert data.provenance["time_zone"] == "UTC+05:00"
