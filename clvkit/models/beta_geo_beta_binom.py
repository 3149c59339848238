"""BetaGeoBetaBinom: the BG/BB model of discrete transaction opportunities."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from clvkit._contract import register
from clvkit.data.customer_data import CustomerData, as_customer_data
from clvkit.data.units import check_unit
from clvkit.errors import DataError, fail_rows
from clvkit.models._event import ClosedFormDiscounting, EventModel
from clvkit.models._math import beta_geo_beta_binom as bgbb


@register("BetaGeoBetaBinom", "purchase")
class BetaGeoBetaBinom(ClosedFormDiscounting, EventModel):
    """BG/BB: at each discrete opportunity (a year's campaign, a weekly event) an alive
    customer transacts with probability p, and may die before the next one with probability
    theta; p ~ beta(alpha, beta) and theta ~ beta(gamma, delta) across customers.

    Parameters
    ----------
    unit : str, optional
        Length of one transaction opportunity (``"Y"`` for annual donations). A plain
        DataFrame is read in this unit (default ``"Y"``); :class:`~clvkit.CustomerData` keeps
        its own unit, which must then match.
    penalizer : float
        Optional L2 penalty on the log-parameters (0: plain maximum likelihood).

    Attributes
    ----------
    params_ : pandas.Series
        ``alpha, beta`` (transaction probability) and ``gamma, delta`` (drop-out probability).
    loglik_, covariance_, n_obs_, n_unique_, unit_, converged_, fit_info_
        See :class:`~clvkit.models._base.MLEModel`.

    Notes
    -----
    Fader, Hardie & Shang (2010), "Customer-base analysis in a discrete-time noncontractual
    setting", Marketing Science 29(6). Data columns ``frequency`` (x, opportunities with a
    transaction), ``recency`` (t_x, the last such opportunity, 0 if none) and ``n_periods``
    (n), plus an optional ``weight`` column as in :func:`clvkit.datasets.load_donations`.
    Likelihood, P(X(n)=x) (eq. 7), E[X(n)], P(alive), conditional expectation (eq. 13) and
    DERT (discounted expected residual transactions, with a 2F1).

    Time is counted in opportunities: every ``horizon`` (in ``expected_purchases``,
    ``predict``, ``purchase_pmf``, ``ck.clv``) is a whole number of future opportunities, one
    per ``unit``. In ``ck.clv`` the transaction at opportunity n+k is discounted by
    ``(1 + d)^-k`` with d the per-period rate equivalent to the annual ``discount_rate``
    (for annual data, d is the annual rate itself), as in FHS's DERT; ``p_alive`` is the
    probability of being alive at the last observed opportunity n.

    Examples
    --------
    >>> import clvkit as ck
    >>> m = ck.BetaGeoBetaBinom().fit(ck.datasets.load_donations())
    >>> m.params_.round(3).tolist(), round(m.loglik_, 2)
    ([1.204, 0.75, 0.657, 2.783], -33225.58)
    """

    param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta", "gamma", "delta")
    maths = bgbb
    columns: ClassVar[tuple[str, ...]] = ("frequency", "recency", "n_periods")

    def __init__(self, *, unit: str | None = None, penalizer: float = 0.0) -> None:
        super().__init__(penalizer=penalizer)
        self.unit = unit

    def _rows(self, data: Any, weights: Any) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        cd = as_customer_data(data, unit=check_unit(self.unit) if self.unit else "Y")
        if self.unit is not None and cd.unit != check_unit(self.unit):
            raise DataError(f"BetaGeoBetaBinom(unit={self.unit!r}) got data in unit {cd.unit!r}; "
                            "make them agree.")
        cd.require(self.columns, type(self).__name__)
        packed = cd.compressed(self.columns, weights)
        self._check_rows(packed.rows)
        return packed.rows, packed.weights, {"unit": cd.unit, "provenance": cd.provenance}

    def _check_rows(self, rows: np.ndarray) -> None:
        frame = pd.DataFrame(rows, columns=list(self.columns))
        x, t_x, n = rows[:, 0], rows[:, 1], rows[:, 2]
        fail_rows(frame, n < 1, "n_periods", "is below 1", "Each customer needs at least one opportunity.")
        fail_rows(frame, t_x != np.round(t_x), "recency", "is not a whole number",
                  "For the BG/BB recency is the opportunity (1..n_periods) of the last transaction.")
        fail_rows(frame, x > t_x, "frequency", "exceeds recency",
                  "Transactions happen at most once per opportunity, so frequency <= recency.")

    def _starts(self, rows: np.ndarray, weights: np.ndarray) -> list[np.ndarray]:
        return [np.array([1.0, 1.0, 1.0, 1.0]), np.array([0.5, 0.5, 0.5, 3.0])]

    def p_alive_next_period(self, data: CustomerData | pd.DataFrame) -> pd.Series:
        """P(alive at opportunity n + 1 | x, t_x, n): Fader, Hardie & Shang (2010)'s "probability of
        being alive in the next period" (their Table 6), beside :meth:`p_alive`, which is alive at the
        last opportunity observed (n), like the continuous-time models. The two differ by one more
        chance to drop out: ``p_alive_next_period <= p_alive``. Checked against lifetimes'
        ``conditional_probability_alive(1, ...)`` in tests/oracle/test_beta_geo_beta_binom_lifetimes.py.
        """
        return self._per_customer(self._data(data),
                                  lambda p, rows: self.maths.p_alive(p, rows[:, 0], rows[:, 1], rows[:, 2],
                                                                     ahead=1.0),
                                  "p_alive_next_period")
