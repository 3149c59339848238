"""BG/BB on the donations data against Fader, Hardie & Shang (2010) (REFERENCE.md):
alpha 1.204, beta 0.750, gamma 0.657, delta 2.783, LL -33225.58. Tolerance: half a unit of the
last printed digit for parameters, 0.01 for the log-likelihood."""

import pytest

from clvkit.data.customer_data import CustomerData
from clvkit.data.datasets import load_donations
from clvkit.models.beta_geo_beta_binom import BetaGeoBetaBinom

PUBLISHED = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


@pytest.mark.parametrize("wrap", [False, True])
def test_bgbb_lands_on_published_parameters(wrap):
    donations = load_donations()
    data = CustomerData.from_frame(donations, unit="Y") if wrap else donations
    m = BetaGeoBetaBinom().fit(data)
    assert m.n_obs_ == 11_104
    for name, value in PUBLISHED.items():
        assert m.params_[name] == pytest.approx(value, abs=5e-4), name
    assert m.loglik_ == pytest.approx(-33225.58, abs=0.01)
    assert m.unit_ == "Y"
    assert m.converged_
