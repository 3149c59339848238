"""BetaGeo: the BG/NBD purchase model."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from clvkit._contract import register
from clvkit.data.customer_data import compress
from clvkit.models._discount import discounted_pair_values
from clvkit.models._event import EventModel
from clvkit.models._math import beta_geo as bgnbd
from clvkit.models._math.beta_geo_kernel import split_frequency, weighted_loglik_and_grad


@register("BetaGeo", "purchase")
class BetaGeo(EventModel):
    """BG/NBD: Poisson purchasing at a gamma-distributed rate, beta-geometric drop-out.

    Parameters
    ----------
    penalizer : float
        Optional L2 penalty on the log-parameters (0: plain maximum likelihood).

    Attributes
    ----------
    params_ : pandas.Series
        ``r, alpha, a, b``. ``r, alpha`` shape and scale of the gamma mixing distribution of
        purchase rates (``alpha`` is in the data's time unit); ``a, b`` of the beta
        distribution of the drop-out probability after each purchase.
    loglik_, covariance_, n_obs_, n_unique_, unit_, converged_, fit_info_
        See :class:`~clvkit.models._base.MLEModel`.

    Notes
    -----
    Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative to the
    Pareto/NBD model", Marketing Science 24(2). Likelihood eq. (6), P(X(t)=x) eq. (8),
    E[X(t)] eq. (9), conditional expectation eq. (10), P(alive) eq. (11).

    Examples
    --------
    >>> import clvkit as ck
    >>> tx = ck.datasets.load_cdnow(sample=True)
    >>> data = ck.summarize(tx, calibration_end="1997-09-30", end="1998-06-30")
    >>> m = ck.BetaGeo().fit(data)
    >>> round(float(m.params_["r"]), 3), round(m.loglik_, 2)
    (0.243, -9582.43)
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    maths = bgnbd
    time_scale_params: ClassVar[tuple[str, ...]] = ("alpha",)

    def _starts(self, rows: np.ndarray, weights: np.ndarray) -> list[np.ndarray]:
        mean_T = float(np.average(rows[:, 2], weights=weights))
        return [np.array([1.0, mean_T / 4.0, 1.0, 2.0]), np.array([0.5, 1.0, 0.5, 1.0]),
                np.array([0.2, mean_T, 2.0, 5.0])]

    def _weighted_loglik_and_grad(self, params, rows, weights):
        # the split of frequencies is the same at every evaluation of one fit: keep it
        key = (id(rows), rows.shape)
        if getattr(self, "_split_key", None) != key:
            self._split = split_frequency(rows[:, 0])
            self._split_key = key
        xs, code = self._split
        return weighted_loglik_and_grad(params, xs, code, rows[:, 1], rows[:, 2], weights)

    def _discounted_purchases_rows(self, params, rows, horizon, delta):
        # E[X(t) | x, t_x, T] = bracket(x, T, t) * P(alive | x, t_x, T): the bracket does not depend on
        # t_x, so it is evaluated once per distinct (x, T) for the end point and every quadrature node
        # of the graded rule of clvkit.models._discount (any horizon, inf included).
        if delta == 0.0 or horizon == 0.0 or len(rows) == 0:
            return self._expected_purchases_rows(params, rows, horizon)
        pairs = compress(rows[:, [0, 2]], np.ones(len(rows)))
        discounted = discounted_pair_values(
            lambda x, T, t: bgnbd.conditional_bracket(params, x, T, t), pairs.rows[:, 0], pairs.rows[:, 1],
            horizon, delta, float(params[1]))
        return discounted[pairs.inverse] * bgnbd.p_alive(params, rows[:, 0], rows[:, 1], rows[:, 2])
