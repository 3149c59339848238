"""Pareto/NBD on the CDNOW 1/10 sample against the published table (REFERENCE.md).

Fader, Hardie & Lee (2005): r 0.553, alpha 10.578, s 0.606, beta 11.669, LL -9594.98. Tolerance:
half a unit of the last printed digit, 0.01 for the log-likelihood; beta sits on a flat ridge
(standard error about 6), so it is checked loosely (within 0.05) and through its standard error.
"""

import pytest

from clvkit.models.pareto_nbd import ParetoNBD

PUBLISHED = {"r": 0.553, "alpha": 10.578, "s": 0.606}


@pytest.mark.parametrize("source", ["published_summary", "summarized_log"])
def test_pareto_nbd_lands_on_published_parameters(source, cdnow_published_summary, cdnow_sample_data):
    data = cdnow_published_summary if source == "published_summary" else cdnow_sample_data
    m = ParetoNBD().fit(data)
    for name, value in PUBLISHED.items():
        assert m.params_[name] == pytest.approx(value, abs=5e-4), name
    assert m.params_["beta"] == pytest.approx(11.669, abs=0.05)
    assert m.loglik_ == pytest.approx(-9594.98, abs=0.01)
    assert m.converged_


def test_beta_is_on_a_flat_ridge(cdnow_published_summary):
    s = ParetoNBD().fit(cdnow_published_summary).summary()
    assert 4.0 < s.loc["beta", "std_error"] < 8.0
    assert s.loc["r", "std_error"] < 0.06
