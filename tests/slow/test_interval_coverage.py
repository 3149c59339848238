"""Coverage of 90% intervals for BG/NBD expected purchases over simulated data sets (slow).

Data sets are drawn from the BG/NBD at FHL (2005)'s CDNOW estimates, so the truth is known; a
90% interval must contain the expected purchases at the true parameters 85-95% of the time.
The full study (more data sets, and the parametric bootstrap) is benchmarks/interval_coverage.py.
"""

from __future__ import annotations

import pandas as pd
import pytest

from clvkit.evaluate import interval_coverage
from clvkit.models import BetaGeo
from clvkit.simulate import simulate_beta_geo

TRUE = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
ROWS = pd.DataFrame([(0, 0.0, 39.0), (1, 30.0, 39.0), (2, 20.0, 33.0), (3, 37.0, 39.0), (5, 15.0, 39.0),
                     (7, 35.0, 39.0), (12, 38.0, 39.0)], columns=["frequency", "recency", "T"])


@pytest.mark.slow
def test_asymptotic_intervals_cover_the_truth():
    result = interval_coverage(BetaGeo, simulate_beta_geo, TRUE, ROWS, 39.0, n_customers=2000,
                               T=(27.0, 39.0), resolution=1 / 7, reps=100, level=0.9, n_draws=500,
                               random_seed=31)
    overall = result.attrs["overall"]
    assert 0.85 <= overall <= 0.95, result
    # no history is badly off, and misses are not all on one side overall
    assert result["coverage"].min() >= 0.75, result
    assert result.attrs["convergence_warnings"] == 0
    # the truth is the model's own eq. (10) at the true parameters; the fits are nearly unbiased
    assert ((result["mean_estimate"] - result["truth"]).abs() < result["mean_width"] / 3).all(), result
