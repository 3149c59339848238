"""Shared fixtures: the CDNOW sample as a log, as our summary, and as the published summary.

Session-scoped and read-only by convention: a test that needs to modify one copies it first.
"""

from __future__ import annotations

import pandas as pd
import pytest

from clvkit.data.customer_data import CustomerData
from clvkit.data.datasets import load_cdnow, load_cdnow_summary
from clvkit.data.summarize import summarize

#: The literature's CDNOW split: calibration weeks 1-39, holdout weeks 40-78.
CDNOW_CALIBRATION_END = "1997-09-30"
CDNOW_END = "1998-06-30"


@pytest.fixture(scope="session")
def cdnow_sample_tx() -> pd.DataFrame:
    """The 1/10 CDNOW sample log (6,919 rows; customer_id = master id, plus sample_id)."""
    return load_cdnow(sample=True)


@pytest.fixture(scope="session")
def cdnow_sample_data(cdnow_sample_tx: pd.DataFrame) -> CustomerData:
    """Our summary of the CDNOW sample: weeks, same-day purchases merged, 39 + 39 weeks.

    Indexed by the master customer id; has the holdout columns.
    """
    return summarize(cdnow_sample_tx, customer="customer_id", date="date", amount="amount",
                     unit="W", grain="D", calibration_end=CDNOW_CALIBRATION_END, end=CDNOW_END)


@pytest.fixture(scope="session")
def cdnow_published_summary() -> CustomerData:
    """The published calibration summary of the CDNOW sample (indexed by sample id 1..2357)."""
    return CustomerData.from_frame(load_cdnow_summary(), unit="W")
