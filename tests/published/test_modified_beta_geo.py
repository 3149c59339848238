"""MBG/NBD on the CDNOW 1/10 sample against REFERENCE.md.

Batislam, Denizel & Filiztekin (2007) model as fitted by BTYDplus (mbgcnbd, k = 1): r 0.525,
alpha 6.183, a 0.891, b 1.614. Tolerance: half a unit of the last printed digit.
"""

import pytest

from clvkit.models.modified_beta_geo import ModifiedBetaGeo

PUBLISHED = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}


@pytest.mark.parametrize("source", ["published_summary", "summarized_log"])
def test_mbgnbd_lands_on_published_parameters(source, cdnow_published_summary, cdnow_sample_data):
    data = cdnow_published_summary if source == "published_summary" else cdnow_sample_data
    m = ModifiedBetaGeo().fit(data)
    for name, value in PUBLISHED.items():
        assert m.params_[name] == pytest.approx(value, abs=5e-4), name
    assert m.converged_


def test_one_time_buyers_are_not_certainly_alive(cdnow_published_summary):
    # the point of the MBG/NBD: a customer may leave right after the first purchase, so unlike
    # the BG/NBD, P(alive) of customers with no repeat purchase is below 1 (and below that of a
    # customer who bought again recently).
    m = ModifiedBetaGeo().fit(cdnow_published_summary)
    frame = cdnow_published_summary.frame
    p = m.p_alive(cdnow_published_summary)
    assert (p[frame["frequency"] == 0] < 1).all()
    recent_repeaters = (frame["frequency"] > 0) & (frame["recency"] > frame["T"] - 2)
    assert p[recent_repeaters].min() > p[frame["frequency"] == 0].max()
