"""bayes.ShiftedBetaGeo checks its rates and draws like the MLE models (issue 9, item 7).

A string rate raised a TypeError; a rate <= 0 gave DEL from the analytic continuation of 2F1
beyond x = 1 (a meaningless number) for a sum over an unbounded future.
"""

from __future__ import annotations

import pytest

from clvkit.data.datasets import load_retention_example
from clvkit.errors import DataError, DataWarning

pytest.importorskip("pymc")
pytestmark = pytest.mark.bayes


@pytest.fixture(scope="module")
def fit():
    from clvkit.bayes import ShiftedBetaGeo

    return ShiftedBetaGeo(unit="Y").fit(load_retention_example("regular"), periods=7, draws=300,
                                        tune=300, chains=2, random_seed=3)


@pytest.mark.parametrize("method", ["discounted_lifetime", "discounted_residual_lifetime"])
def test_bayes_sbg_rates(fit, method):
    call = getattr(fit, method)
    with pytest.raises(DataError, match=r"discount_rate must be a number.*got '0.1' \(a str\)"):
        call("0.1")
    for rate in (0.0, -0.5):
        with pytest.raises(DataError, match=r"an infinite-horizon value needs discount_rate > 0"):
            call(rate)
    with pytest.raises(DataError, match=r"discount_rate=10 is 1,000% a year.*did you mean 0.10\?"):
        call(10)
    with pytest.warns(DataWarning, match=r"discount_rate=2 is 200% a year; did you mean 0.02\?"):
        assert (call(2) > 0).all()


@pytest.mark.parametrize("n_draws", [0, 1, "100", 2.5, True])
def test_bayes_sbg_n_draws(fit, n_draws):
    with pytest.raises(DataError, match=r"n_draws must be a whole number >= 2"):
        fit.predict(n_draws=n_draws)
    with pytest.raises(DataError, match=r"n_draws must be a whole number >= 2"):
        fit.discounted_lifetime(0.1, n_draws=n_draws)
    with pytest.raises(DataError, match=r"n_draws must be a whole number >= 2"):
        fit.survival([1, 2], n_draws=n_draws)
