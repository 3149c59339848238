"""ParetoNBD: the Pareto/NBD purchase model."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from clvkit._contract import register
from clvkit.models._event import ClosedFormDiscounting, EventModel
from clvkit.models._math import pareto_nbd as pnbd


@register("ParetoNBD", "purchase")
class ParetoNBD(ClosedFormDiscounting, EventModel):
    """Pareto/NBD: Poisson purchasing at a gamma-distributed rate, exponential lifetimes with
    gamma-distributed drop-out rates.

    Parameters
    ----------
    penalizer : float
        Optional L2 penalty on the log-parameters (0: plain maximum likelihood).

    Attributes
    ----------
    params_ : pandas.Series
        ``r, alpha, s, beta``: shape and scale of the gamma distribution of purchase rates
        (``r, alpha``) and of drop-out rates (``s, beta``); ``alpha`` and ``beta`` are in the
        data's time unit.
    loglik_, covariance_, n_obs_, n_unique_, unit_, converged_, fit_info_
        See :class:`~clvkit.models._base.MLEModel`.

    Notes
    -----
    Schmittlein, Morrison & Colombo (1987), "Counting your customers: who are they and what
    will they do next?", Management Science 33(1). Formulas as in Fader & Hardie (2005), "A
    note on deriving the Pareto/NBD model and related expressions": likelihood (Section 3),
    E[X(t)] (Section 4), P(alive) (Section 5), conditional expectation (Section 6); P(X(t)=x)
    from Fader & Hardie (2006), "Deriving an expression for P(X(t)=x) under the Pareto/NBD
    model", in its integral form. Discounted
    expected transactions: Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves",
    JMR 42(4), DET expression with Tricomi's U (:meth:`discounted_expected_transactions`; ``ck.clv`` uses the same
    closed form cut at the horizon).

    Differs from the paper: the likelihood's hypergeometric term is evaluated as a positive
    series with ratio below one on both branches (see :mod:`clvkit.models._math.pareto_nbd`),
    so customers with thousands of purchases and long T give finite values and gradients.

    Examples
    --------
    >>> import clvkit as ck
    >>> data = ck.CustomerData.from_frame(ck.datasets.load_cdnow_summary(), unit="W")
    >>> m = ck.ParetoNBD().fit(data)
    >>> round(float(m.params_["r"]), 3), round(m.loglik_, 2)
    (0.553, -9594.97)
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")
    time_scale_params: ClassVar[tuple[str, ...]] = ("alpha", "beta")
    maths = pnbd

    def _starts(self, rows: np.ndarray, weights: np.ndarray) -> list[np.ndarray]:
        mean_T = float(np.average(rows[:, 2], weights=weights))
        return [np.array([0.5, mean_T / 4.0, 0.5, mean_T / 4.0]),
                np.array([1.0, mean_T, 1.0, mean_T])]

    def _prepared(self, rows: np.ndarray) -> pnbd.Prepared:
        cached = getattr(self, "_prep_cache", None)
        if cached is not None and cached[0] is rows:
            return cached[1]
        prep = pnbd.prepare(rows[:, 0], rows[:, 1], rows[:, 2])
        self._prep_cache = (rows, prep)
        return prep

    def fit(self, data: Any, *, weights: Any = None, **kwargs: Any) -> ParetoNBD:
        """Fit by maximum likelihood; see :meth:`clvkit.models._base.MLEModel.fit`."""
        try:
            return super().fit(data, weights=weights, **kwargs)
        finally:
            self._prep_cache = None

    def _loglik_and_grad(self, params, rows):
        return pnbd.loglik_and_grad(params, self._prepared(rows))

    def _weighted_loglik_and_grad(self, params, rows, weights):
        return pnbd.weighted_loglik_and_grad(params, self._prepared(rows), weights)

    def _discounted_purchases_rows(self, params, rows, horizon, delta):
        # DET's Tricomi-U form needs a positive force of interest; a negative annual rate (finite
        # horizons only) integrates E[X(t)] by parts like the models without a closed form.
        if delta < 0.0:
            return EventModel._discounted_purchases_rows(self, params, rows, horizon, delta)
        return super()._discounted_purchases_rows(params, rows, horizon, delta)
