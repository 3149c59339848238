"""ModifiedBetaGeo: the MBG/NBD purchase model."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from clvkit._contract import register
from clvkit.data.customer_data import compress
from clvkit.models._discount import discounted_pair_values
from clvkit.models._event import EventModel
from clvkit.models._math import beta_geo as bgnbd
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
    the graded Gauss-Legendre rule of :mod:`clvkit.models._discount` on the conditional expectation (no
    closed form published), any horizon, infinite included.

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

    def _discounted_purchases_rows(self, params, rows, horizon, delta):
        # E[X(t) | x, t_x, T] = bracket(x, T, t) * P(alive | x, t_x, T) with the bracket
        # (a+b+x)/(a-1) [1 - (1-z)^(r+x) 2F1(r+x, b+x+1; a+b+x; z)]: alive customers have
        # p ~ beta(a, b+x+1), so it is the BG/NBD bracket at b+1. bgnbd.conditional_bracket evaluates it
        # through Euler's transformation, (1-z)^(a-1) 2F1(a+b-r, a-1; a+b+x; z), which stays finite for
        # large x and z near 1 (long horizons); once per distinct (x, T) and node, as for the BG/NBD.
        if delta == 0.0 or horizon == 0.0 or len(rows) == 0:
            return self._expected_purchases_rows(params, rows, horizon)
        r, alpha, a, b = params
        shifted = np.array([r, alpha, a, b + 1.0])
        pairs = compress(rows[:, [0, 2]], np.ones(len(rows)))
        discounted = discounted_pair_values(
            lambda x, T, t: bgnbd.conditional_bracket(shifted, x, T, t), pairs.rows[:, 0], pairs.rows[:, 1],
            horizon, delta, float(alpha))
        return discounted[pairs.inverse] * mbg.p_alive(params, rows[:, 0], rows[:, 1], rows[:, 2])
