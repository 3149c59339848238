"""ModifiedBetaGeo: the MBG/NBD purchase model."""

from __future__ import annotations

from typing import ClassVar

from clvkit._contract import register
from clvkit.models._event import EventModel
from clvkit.models._math import modified_beta_geo as mbg
from clvkit.models.beta_geo import BetaGeo


@register("ModifiedBetaGeo", "purchase")
class ModifiedBetaGeo(EventModel):
    """MBG/NBD: the BG/NBD in which a customer may also leave right after the first purchase.

    Useful for customer bases where many buy once and never again: unlike the BG/NBD, a
    customer with no repeat purchase is not certainly alive.

    Parameters
    ----------
    penalizer : float
        Optional L2 penalty on the log-parameters (0: plain maximum likelihood).

    Attributes
    ----------
    params_ : pandas.Series
        ``r, alpha, a, b``: gamma(r, alpha) purchase rates (``alpha`` in the data's time
        unit) and beta(a, b) drop-out probabilities after each purchase, the first included.
    loglik_, covariance_, n_obs_, n_unique_, unit_, converged_, fit_info_
        See :class:`~clvkit.models._base.MLEModel`.

    Notes
    -----
    Batislam, Denizel & Filiztekin (2007), "Empirical validation and comparison of models for
    customer base analysis", International Journal of Research in Marketing 24(3); the same
    model as BTYDplus' MBG/CNBD-k with k = 1. Likelihood, E[X(t)], P(alive) (their appendix)
    and the conditional expectation, derived as in the BG/NBD paper. Discounted purchases for ``ck.clv`` use
    Gauss-Legendre integration of the conditional expectation (no closed form published).

    Examples
    --------
    >>> import clvkit as ck
    >>> data = ck.CustomerData.from_frame(ck.datasets.load_cdnow_summary(), unit="W")
    >>> m = ck.ModifiedBetaGeo().fit(data)
    >>> m.params_.round(3).tolist()
    [0.525, 6.183, 0.891, 1.614]
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    time_scale_params: ClassVar[tuple[str, ...]] = ("alpha",)
    maths = mbg
    _starts = BetaGeo._starts  # same parameters, same scales
