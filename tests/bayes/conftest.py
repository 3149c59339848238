"""Fitted Bayesian models shared by the tests in this folder (fitted once per session).

Few draws and compressed data keep the whole folder within about three minutes on two cores;
every fit uses a fixed seed, so a ConvergenceWarning (an error under the project's pytest
settings) would show up deterministically.
"""

from __future__ import annotations

import pytest

from clvkit.data.customer_data import CustomerData
from clvkit.data.datasets import load_cdnow_summary, load_retention_example

#: Small but sufficient NUTS settings for the tests.
DRAWS = 500
TUNE = 500


@pytest.fixture(scope="session")
def sbg_fits():
    """bayes.ShiftedBetaGeo fitted on years 1-7 of each Fader & Hardie (2007) segment."""
    from clvkit.bayes import ShiftedBetaGeo

    fits = {}
    for seed, segment in enumerate(("regular", "high_end")):
        counts = load_retention_example(segment)
        fits[segment] = ShiftedBetaGeo(unit="Y").fit(counts, periods=7, draws=DRAWS, tune=TUNE,
                                                     chains=2, random_seed=10 + seed)
    return fits


@pytest.fixture(scope="session")
def cdnow_summary() -> CustomerData:
    """The published CDNOW calibration summary (2,357 customers, weeks)."""
    return CustomerData.from_frame(load_cdnow_summary(), unit="W")


@pytest.fixture(scope="session")
def bg_fit(cdnow_summary):
    """bayes.BetaGeo on the CDNOW sample summary (1,016 unique rows)."""
    from clvkit.bayes import BetaGeo

    return BetaGeo().fit(cdnow_summary, draws=DRAWS, tune=TUNE, chains=2, random_seed=3)
