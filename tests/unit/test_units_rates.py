"""Annual discount rates are checked in one place, clvkit.data.units.check_discount_rate.

Issue 9 item 5/7: string rates raised TypeError, percents typed as numbers (10, 50) ran silently.
Expected messages are written out here, not taken from clvkit output.
"""

import math
import warnings

import numpy as np
import pytest

import clvkit as ck
from clvkit.data.datasets import load_retention_example
from clvkit.data.units import (
    RATE_CEILING,
    check_discount_rate,
    continuous_discount_rate,
    per_period_rate,
)
from clvkit.errors import DataError, DataWarning

REGULAR = load_retention_example("regular")


@pytest.mark.parametrize("rate", ["0.1", b"0.1", None, True, [0.1], {"rate": 0.1}])
def test_a_rate_that_is_not_a_number_is_a_data_error_not_a_type_error(rate):
    for convert in (check_discount_rate, lambda r: continuous_discount_rate(r, "W"),
                    lambda r: per_period_rate(r, "Q")):
        with pytest.raises(DataError, match=r"discount_rate must be a number, an annual effective rate"):
            convert(rate)


def test_string_rate_reaches_every_model_as_a_data_error():
    sbg = ck.ShiftedBetaGeo(unit="Y").fit(REGULAR, periods=7)
    with pytest.raises(DataError, match=r"got '0.1' \(a str\)"):
        sbg.discounted_lifetime("0.1")          # TypeError before
    lfg = ck.LostForGood(retention="sbg", unit="Y", margin=100.0).fit(REGULAR, periods=7)
    with pytest.raises(DataError, match=r"got '0.1' \(a str\)"):
        lfg.value("0.1")                        # accepted as 0.1 before
    aas = ck.AlwaysAShare.from_params(p=[0.3, 0.2], margin=40)
    with pytest.raises(DataError, match=r"got '0.1' \(a str\)"):
        aas.value("0.1")
    with pytest.raises(DataError, match=r"got '0.1' \(a str\)"):
        ck.dwyer.cohort_table(100, 0.5, 1, 10, 0.5, "0.1")


@pytest.mark.parametrize(("rate", "shown", "percent", "meant"), [
    (2, "2", "200%", "0.02"), (1.5, "1.5", "150%", "0.015"), (5, "5", "500%", "0.05"),
    (np.float64(3.0), "3", "300%", "0.03")])
def test_a_rate_above_100_percent_warns_naming_the_percent_typo(rate, shown, percent, meant):
    with pytest.warns(DataWarning, match=rf"discount_rate={shown} is {percent} a year; did you mean {meant}\?"):
        assert check_discount_rate(rate) == float(rate)


def test_the_warning_points_at_the_caller():
    lfg = ck.LostForGood(retention="constant", unit="Y", margin=1.0).fit(REGULAR, periods=7)
    with pytest.warns(DataWarning) as record:
        lfg.value(2.0)
    assert record[0].filename == __file__


@pytest.mark.parametrize(("rate", "percent", "meant"), [(10, "1,000%", "0.10"), (50, "5,000%", "0.50"),
                                                      (5.5, "550%", "0.055")])
def test_a_rate_above_the_ceiling_is_an_error_naming_the_percent_typo(rate, percent, meant):
    message = (rf"discount_rate={rate!r} is {percent} a year, above the ceiling of 500% \(5\); "
               rf"did you mean {meant}\?")
    with pytest.raises(DataError, match=message):
        check_discount_rate(rate)
    lfg = ck.LostForGood(retention="sbg", unit="Y", margin=100.0).fit(REGULAR, periods=7)
    with pytest.raises(DataError, match=message):
        lfg.value(rate)                         # 106.12 (rate 10) before, silently
    with pytest.raises(DataError, match=message):
        ck.ShiftedBetaGeo(unit="Y").fit(REGULAR, periods=7).discounted_lifetime(rate)


def test_ceiling_is_documented_and_huge_rates_get_no_silly_hint():
    assert RATE_CEILING == 5.0
    assert "500% a year" in check_discount_rate.__doc__
    with pytest.raises(DataError) as info:
        check_discount_rate(1e9)
    assert "did you mean" not in str(info.value)


@pytest.mark.parametrize("rate", [-1, -1.5, math.nan, math.inf, -math.inf])
def test_a_rate_at_or_below_minus_one_or_not_finite_is_an_error(rate):
    with pytest.raises(DataError, match=r"discount_rate must be > -1 and finite"):
        check_discount_rate(rate)


def test_negative_rates_are_allowed_for_finite_horizons_only():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_discount_rate(-0.5) == -0.5
        assert check_discount_rate(0) == 0.0
        assert check_discount_rate(np.array(0.1)) == 0.1
    for rate in (0, 0.0, -0.2):
        with pytest.raises(DataError, match=r"an infinite-horizon value needs discount_rate > 0"):
            check_discount_rate(rate, infinite_horizon=True)
        with pytest.raises(DataError, match=r"needs discount_rate > 0"):
            per_period_rate(rate, "Q", infinite_horizon=True)
    assert per_period_rate(0.10, "Q") == pytest.approx(1.10 ** 0.25 - 1.0, rel=1e-14)
