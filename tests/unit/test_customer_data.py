"""CustomerData: validation of summaries a user brings, and compression."""

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.data.customer_data import compress

GOOD = pd.DataFrame({"frequency": [0, 2, 2, 5], "recency": [0.0, 3.0, 3.0, 9.0], "T": [10.0, 10.0, 10.0, 12.0],
                     "monetary_value": [0.0, 12.5, 12.5, 30.0]}, index=["a", "b", "c", "d"])


def _bad(**changes):
    frame = GOOD.copy()
    for col, (row, value) in changes.items():
        frame[col] = frame[col].astype(object) if isinstance(value, str) else frame[col].astype(float)
        frame.loc[row, col] = value
    return frame


@pytest.mark.parametrize("frame, column, pattern", [
    (_bad(recency=("b", 11.0)), "recency", r"'recency' exceeds T in 1 of 4 rows.*'b'"),
    (_bad(frequency=("d", 2.5)), "frequency", r"'frequency' is not a whole number in 1 of 4 rows"),
    (_bad(T=("a", np.nan)), "T", r"'T' is NaN in 1 of 4 rows.*'a'"),
    (_bad(frequency=("c", -1.0)), "frequency", r"'frequency' is negative in 1 of 4 rows.*'c'"),
    (_bad(recency=("a", 2.0)), "recency", r"'recency' is positive for a customer with frequency 0 in 1 of 4"),
    (_bad(monetary_value=("b", "abc")), "monetary_value", r"'monetary_value' is not numeric in 1 of 4"),
])
def test_bad_summaries_name_column_count_and_example(frame, column, pattern):
    with pytest.raises(ck.DataError, match=pattern):
        ck.CustomerData.from_frame(frame, unit="W")


def test_duplicated_ids_are_refused():
    frame = GOOD.rename(index={"b": "a"})
    with pytest.raises(ValueError, match="duplicated in 2 of 4 rows.*'a'"):
        ck.CustomerData.from_frame(frame)


def test_empty_summary_is_refused():
    with pytest.raises(ck.DataError, match="empty"):
        ck.CustomerData.from_frame(GOOD.iloc[:0])


def test_missing_column_named():
    with pytest.raises(ck.DataError, match=r"needs column\(s\) \['T'\]"):
        ck.BetaGeo().fit(GOOD.drop(columns="T"))


def test_unknown_unit():
    with pytest.raises(ck.DataError, match="unit must be one of"):
        ck.CustomerData.from_frame(GOOD, unit="fortnight")


def test_compression_groups_identical_rows_and_keeps_the_map():
    cd = ck.CustomerData.from_frame(GOOD)
    packed = cd.compressed(("frequency", "recency", "T"))
    assert len(packed.rows) == 3
    assert packed.weights.sum() == 4
    np.testing.assert_array_equal(packed.rows[packed.inverse], GOOD[["frequency", "recency", "T"]].to_numpy())


def test_compress_sums_given_weights():
    values = np.array([[1.0, 2.0], [1.0, 2.0], [3.0, 4.0]])
    packed = compress(values, np.array([0.5, 2.0, 1.0]))
    assert sorted(packed.weights.tolist()) == [1.0, 2.5]


def test_compressed_fit_equals_expanded_fit(cdnow_published_summary):
    frame = cdnow_published_summary.frame[["frequency", "recency", "T"]]
    packed = cdnow_published_summary.compressed(("frequency", "recency", "T"))
    weighted = pd.DataFrame(packed.rows, columns=["frequency", "recency", "T"]).assign(weight=packed.weights)
    a = ck.BetaGeo().fit(frame)
    b = ck.BetaGeo().fit(weighted)
    np.testing.assert_allclose(a.params_, b.params_, rtol=1e-6)
    assert a.loglik_ == pytest.approx(b.loglik_, rel=1e-10)
    assert a.n_obs_ == b.n_obs_ == len(frame)


def test_messages_show_plain_numbers_not_numpy_reprs():

    frame = pd.DataFrame({"frequency": [1, -1], "recency": [1.0, 0.0], "T": [2.0, 3.0]},
                         index=pd.Index(np.array([3, 4], dtype=np.int64), name="customer_id"))
    with pytest.raises(ck.DataError) as err:
        ck.CustomerData.from_frame(frame, unit="W")
    assert "np." not in str(err.value) and "index 4" in str(err.value)
    dup = frame.assign(frequency=[1, 1]).set_axis(pd.Index(np.array([5, 5], dtype=np.int64)))
    with pytest.raises(ck.DataError) as err:
        ck.CustomerData.from_frame(dup, unit="W")
    assert "np." not in str(err.value) and "first: 5" in str(err.value)


def test_the_unit_rule_for_plain_dataframes():
    """A frame that says its unit keeps it; one that does not is taken in the model's unit, with a warning."""
    import warnings

    tx = ck.datasets.load_cdnow(sample=True)
    weeks = ck.summarize(tx, unit="W", calibration_end="1997-09-30", end="1998-06-30")
    days = ck.summarize(tx, unit="D", calibration_end="1997-09-30", end="1998-06-30")
    model = ck.BetaGeo().fit(weeks)
    assert days.frame.attrs["unit"] == "D"
    with pytest.raises(ck.DataError, match="unit 'W' but this data is in 'D'"):
        model.predict(days.frame, horizon=39)  # the frame alone still says "days"
    bare = pd.DataFrame(days.frame)  # a copy that has lost its attrs
    assert "unit" not in bare.attrs
    with pytest.warns(ck.DataWarning, match="does not say in which unit .* taking 'W'"):
        model.predict(bare, horizon=39)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict(weeks.frame, horizon=39)
        model.predict(ck.CustomerData.from_frame(bare.assign(recency=bare["recency"] / 7, T=bare["T"] / 7),
                                                 unit="W"), horizon=39)
    with pytest.raises(ck.DataError, match="frame.attrs"):
        ck.CustomerData(frame=days.frame.copy(), unit="W")


def test_nan_customer_id_is_refused():
    frame = GOOD.rename(index={"b": np.nan})
    with pytest.raises(ck.DataError, match=r"'customer id \(index\)' is NaN in 1 of 4 rows"):
        ck.CustomerData.from_frame(frame)


def test_mixed_customer_id_types_are_refused():
    frame = GOOD.set_axis(pd.Index([1, "1", 2, 3], dtype=object))
    with pytest.raises(ck.DataError, match=r"'customer id \(index\)' holds ids of another type than most ids "
                                           r"\(number\) in 1 of 4 rows.*index '1'"):
        ck.CustomerData.from_frame(frame)


def test_ids_with_leading_zeros_are_kept():
    frame = GOOD.set_axis(pd.Index(["007", "7", "0007", "07"]))
    assert list(ck.CustomerData.from_frame(frame).index) == ["007", "7", "0007", "07"]
