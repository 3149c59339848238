"""ModifiedBetaGeo: the MBG/NBD purchase model."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from clvkit.errors import fail_rows
from clvkit.models._event import EventModel
from clvkit.models._math import modified_beta_geo as mbg


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

    def _check_rows(self, rows: np.ndarray) -> None:
        frame = pd.DataFrame(rows, columns=list(self.columns))
        fail_rows(frame, rows[:, 2] <= 0, "T", "is 0",
                  "Every customer needs a positive observation time T.")

    def _starts(self, rows: np.ndarray, weights: np.ndarray) -> list[np.ndarray]:
        mean_T = float(np.average(rows[:, 2], weights=weights))
        return [np.array([1.0, mean_T / 4.0, 1.0, 2.0]), np.array([0.5, 1.0, 0.5, 1.0]),
                np.array([0.2, mean_T, 2.0, 5.0])]

    def _loglik_and_grad(self, params, rows):
        return mbg.loglik_and_grad(params, rows[:, 0], rows[:, 1], rows[:, 2])

    def _expected_purchases_rows(self, params, rows, t):
        return mbg.expected_purchases(params, rows[:, 0], rows[:, 1], rows[:, 2], t)

    def _p_alive_rows(self, params, rows):
        return mbg.p_alive(params, rows[:, 0], rows[:, 1], rows[:, 2])

    def _expected_purchases_new(self, params, t):
        return mbg.expected_purchases_new(params, t)

    def _purchase_pmf(self, params, n, t):
        return mbg.purchase_pmf(params, n, t)
