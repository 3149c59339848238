"""AlwaysAShare: the recency-state Markov migration model of customer value (Dwyer 1989)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Self

import numpy as np
import pandas as pd

from clvkit.data.periods import (
    PeriodPanel,
    check_period_unit,
    period_panel,
    recency_state,
    recency_transitions,
)
from clvkit.dwyer._checks import check_amount, check_horizon, period_discount
from clvkit.errors import DataError, NotFittedError


class AlwaysAShare:
    """Customers who split their business, go quiet and return: a Markov chain on recency.

    At the start of each period a customer is in recency state k = 1..K, the number of periods
    since their last purchase (state K means "K or more"). If the firm markets to them (cost
    ``c`` per period) they buy with probability ``p_k``, bringing margin ``M``, and move to
    state 1; otherwise they move to state ``min(k + 1, K)``.

    Parameters
    ----------
    period : {"M", "Q", "Y"}
        Length of a period; annual discount rates are converted to it.
    states : int
        Number of recency states K.
    margin : float, optional
        Margin per purchase. Default: estimated from the log as the mean spend of a customer
        in a period with a purchase (after the acquisition period) times ``margin_rate``.
    margin_rate : float
        Share of spend that is margin when the margin is estimated.
    cost : float
        Marketing cost per customer per contacted period (the default of ``cost_per_period``).

    Attributes
    ----------
    p_ : pandas.Series
        Purchase probability by state 1..K.
    margin_ : float
        Margin per purchase.
    transition_matrix_ : pandas.DataFrame
        K x K one-period transition probabilities when every state is marketed to.
    transitions_ : pandas.DataFrame or None
        Opportunities and purchases per state counted in the log (None for a model stated by
        hand).
    states_ : pandas.Series or None
        Each customer's state at the end of the data (log only).
    unit_ : str

    Notes
    -----
    Pfeifer & Carraway (2000), "Modeling customer relationships as Markov chains", Journal of
    Interactive Marketing 14(2): the infinite horizon ``V = (I - P / (1 + d))^-1 R``
    and the finite sum ``V_H = sum_{t=0}^{H-1} (P / (1 + d))^t R``; Berger & Nasr (1998),
    "Customer lifetime value: marketing models and applications", case 5 (migration model).

    Timing: a value is taken at the start of a period. In that period the firm pays the
    marketing cost ``c`` and receives the expected margin ``p_k M``, both undiscounted; the
    flows of the period t later are discounted by ``(1 + d)^-t`` with ``d`` the per-period
    equivalent of the annual ``discount_rate``. So ``R_k = p_k M - c``. A customer who is not
    marketed to does not buy that period (the catalogue setting of Pfeifer & Carraway).

    Examples
    --------
    >>> import clvkit as ck
    >>> m = ck.AlwaysAShare.from_probabilities(p=[0.3, 0.2, 0.15, 0.05, 0.02], margin=40, cost=2)
    >>> m.value(discount_rate=0.2).round(2).tolist()      # marketing to every state
    [23.61, 10.23, -0.37, -9.55, -11.76]
    >>> pol = m.policy(discount_rate=0.2)                  # stop marketing to state 5 only
    >>> pol["contact"].tolist(), pol["value_policy"].round(2).tolist()
    ([True, True, True, True, False], [32.61, 19.83, 9.94, 1.56, 0.0])
    """

    def __init__(self, period: str = "Q", states: int = 5, *, margin: float | None = None,
                 margin_rate: float = 1.0, cost: float = 0.0) -> None:
        self.period = period
        self.states = states
        self.margin = margin
        self.margin_rate = margin_rate
        self.cost = cost

    def __repr__(self) -> str:
        state = "fitted" if hasattr(self, "p_") else "not fitted"
        return f"AlwaysAShare(period={self.period!r}, states={self.states!r}) [{state}]"

    # ------------------------------------------------------------------ construction
    def _check_params(self) -> tuple[str, int]:
        unit = check_period_unit(self.period)
        if not isinstance(self.states, (int, np.integer)) or self.states < 1:
            raise DataError(f"states must be a whole number >= 1, got {self.states!r}.")
        check_amount("cost", self.cost, nonnegative=True)
        return unit, int(self.states)

    def fit(self, data: pd.DataFrame | PeriodPanel, *, customer: Hashable = "customer_id",
            date: Hashable = "date", amount: Hashable | None = "amount", end: Any = None) -> Self:
        """Estimate p_k (purchases / opportunities per state) and the margin from a log.

        Parameters
        ----------
        data
            A transaction log or a :class:`~clvkit.data.periods.PeriodPanel`.
        customer, date, amount, end
            Passed to :func:`~clvkit.data.periods.period_panel`.

        Returns
        -------
        self

        Raises
        ------
        clvkit.errors.DataError
            When a state is never observed (too few periods for K states).
        """
        unit, K = self._check_params()
        panel = period_panel(data, customer, date, amount, unit=unit, end=end)
        if panel.purchases.shape[1] < 2:
            raise DataError(f"too few periods: the log spans {panel.purchases.shape[1]} {unit} "
                            "period; purchase probabilities need at least 2.")
        counts = recency_transitions(panel, K)
        empty = counts["opportunities"] == 0
        if empty.any():
            raise DataError(
                f"too few periods: recency state(s) {counts.index[empty].tolist()} of {K} never occur "
                f"in {panel.purchases.shape[1]} {unit} periods, so their purchase probability "
                f"cannot be estimated; use states <= {int(counts.index[~empty].max())} or a "
                "shorter period.")
        if self.margin is not None:
            margin = check_amount("margin", self.margin)
        else:
            if amount is None and not isinstance(data, PeriodPanel):
                raise DataError("no margin: give margin=... or an amount column to estimate it.")
            margin = _repeat_spend(panel) * check_amount("margin_rate", self.margin_rate)
        self._set(counts["p"].to_numpy(), margin, unit)
        self.transitions_ = counts
        self.states_ = recency_state(panel, K)
        return self

    @classmethod
    def from_probabilities(cls, p: Sequence[float], margin: float, cost: float = 0.0,
                           period: str = "Q") -> AlwaysAShare:
        """A model stated by hand: purchase probabilities by state, margin per purchase, cost.

        Parameters
        ----------
        p
            ``p_1..p_K``, each in [0, 1].
        margin
            Margin per purchase.
        cost
            Marketing cost per customer per period (>= 0).
        period
            Period length (for the conversion of annual discount rates).
        """
        probs = np.asarray(p, dtype=float).ravel()
        if probs.size == 0:
            raise DataError("p must hold at least one purchase probability.")
        frame = pd.Series(probs, index=pd.RangeIndex(1, probs.size + 1, name="state"))
        bad = ~np.isfinite(probs) | (probs < 0) | (probs > 1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"p must be probabilities in [0, 1]: {int(bad.sum())} of {probs.size} are "
                            f"not (first: state {frame.index[i]}, p = {float(probs[i])!r}).")
        model = cls(period=period, states=int(probs.size), margin=margin, cost=cost)
        unit, _ = model._check_params()
        model._set(probs, check_amount("margin", margin), unit)
        model.transitions_ = None
        model.states_ = None
        return model

    def _set(self, p: np.ndarray, margin: float, unit: str) -> None:
        K = len(p)
        idx = pd.RangeIndex(1, K + 1, name="state")
        self.p_ = pd.Series(p, index=idx, name="p")
        self.margin_ = float(margin)
        self.unit_ = unit
        self.transition_matrix_ = pd.DataFrame(transition_matrix(p, np.ones(K, dtype=bool)),
                                               index=idx, columns=idx)

    def _check_fitted(self) -> None:
        if not hasattr(self, "p_"):
            raise NotFittedError("AlwaysAShare is not fitted yet; call .fit(data) or use "
                                 "AlwaysAShare.from_probabilities(...).")

    # ------------------------------------------------------------------ values
    def _inputs(self, discount_rate: float, cost_per_period: float | None,
                horizon: int | None) -> tuple[float, float, int | None]:
        self._check_fitted()
        x = period_discount(discount_rate, self.unit_)
        c = check_amount("cost_per_period", self.cost if cost_per_period is None else cost_per_period,
                         nonnegative=True)
        h = check_horizon(horizon)
        if h is None and x >= 1.0:
            raise DataError(f"an infinite-horizon value needs discount_rate > 0, got {discount_rate!r}; "
                            "give a horizon for a rate <= 0.")
        return x, c, h

    def value(self, discount_rate: float, cost_per_period: float | None = None,
              horizon: int | None = None, contact: Sequence[bool] | None = None) -> pd.Series:
        """Expected discounted value of a customer by current recency state.

        Infinite horizon: ``V = (I - x P)^-1 R``; horizon H: ``V = sum_{t=0}^{H-1} (x P)^t R``
        (Pfeifer & Carraway 2000), with ``x = 1 / (1 + d)``, ``R_k = p_k M - c`` for marketed
        states and 0 for the others.

        Parameters
        ----------
        discount_rate
            ANNUAL effective rate, converted to the model's period.
        cost_per_period
            Marketing cost per contacted customer per period (default: the model's ``cost``).
        horizon
            Number of periods, or None for the infinite horizon.
        contact
            Which states are marketed to (default: all).
        """
        x, c, h = self._inputs(discount_rate, cost_per_period, horizon)
        p = self.p_.to_numpy()
        act = np.ones(len(p), dtype=bool) if contact is None else np.asarray(contact, dtype=bool)
        if act.shape != p.shape:
            raise DataError(f"contact must have one flag per state ({len(p)}), got {len(act)}.")
        v = state_values(p, self.margin_, c, x, act, h)
        return pd.Series(v, index=self.p_.index, name="value")

    def policy(self, discount_rate: float, cost_per_period: float | None = None,
               horizon: int | None = None) -> pd.DataFrame:
        """The contact policy that maximises value, and the value under it.

        Starts by marketing to every state, stops marketing to states where that loses value and
        repeats (policy iteration) until no state changes; for a finite horizon it solves the
        problem backwards in time (the policy shown is the one for the first period).

        Returns
        -------
        pandas.DataFrame
            Indexed by state: ``p``, ``value_all`` (marketing to everyone), ``contact`` (the
            optimal choice) and ``value_policy`` (value under the optimal policy).
        """
        x, c, h = self._inputs(discount_rate, cost_per_period, horizon)
        p = self.p_.to_numpy()
        all_on = np.ones(len(p), dtype=bool)
        contact, v_opt = optimal_policy(p, self.margin_, c, x, h)
        return pd.DataFrame({"p": p, "value_all": state_values(p, self.margin_, c, x, all_on, h),
                             "contact": contact, "value_policy": v_opt}, index=self.p_.index)

    def customer_values(self, discount_rate: float, cost_per_period: float | None = None,
                        horizon: int | None = None) -> pd.DataFrame:
        """Value of every customer of the fitted log from their recency state at its end.

        Returns
        -------
        pandas.DataFrame
            Indexed by customer: ``state``, ``value`` (marketing to all), ``contact`` and
            ``value_policy`` (under the optimal contact policy).
        """
        self._check_fitted()
        if self.states_ is None:
            raise DataError("customer_values needs a model fitted on a transaction log.")
        pol = self.policy(discount_rate, cost_per_period, horizon)
        s = self.states_.to_numpy()
        return pd.DataFrame({"state": s, "value": pol["value_all"].to_numpy()[s - 1],
                             "contact": pol["contact"].to_numpy()[s - 1],
                             "value_policy": pol["value_policy"].to_numpy()[s - 1]},
                            index=self.states_.index)


# ---------------------------------------------------------------------- pure maths
def transition_matrix(p: np.ndarray, contact: np.ndarray) -> np.ndarray:
    """One-period transition matrix on recency states 1..K (rows: from, columns: to).

    From state k a marketed customer buys with probability p_k (to state 1) or moves to
    ``min(k + 1, K)``; an unmarketed one moves to ``min(k + 1, K)``.
    """
    K = len(p)
    buy = np.where(contact, p, 0.0)
    P = np.zeros((K, K))
    P[:, 0] += buy
    nxt = np.minimum(np.arange(1, K + 1), K - 1)
    P[np.arange(K), nxt] += 1.0 - buy
    return P


def state_values(p: np.ndarray, margin: float, cost: float, x: float, contact: np.ndarray,
                 horizon: int | None) -> np.ndarray:
    """V = (I - xP)^-1 R (horizon None) or sum_{t<H} (xP)^t R, Pfeifer & Carraway (2000)."""
    P = transition_matrix(p, contact)
    R = np.where(contact, p * margin - cost, 0.0)
    if horizon is None:
        return np.linalg.solve(np.eye(len(p)) - x * P, R)
    v = np.zeros(len(p))
    for _ in range(horizon):
        v = R + x * (P @ v)
    return v


def optimal_policy(p: np.ndarray, margin: float, cost: float, x: float,
                   horizon: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Optimal contact flags and values: policy iteration (infinite) or backward induction."""
    K = len(p)
    nxt = np.minimum(np.arange(1, K + 1), K - 1)

    def q_values(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        q_on = p * margin - cost + x * (p * v[0] + (1.0 - p) * v[nxt])
        q_off = x * v[nxt]
        return q_on, q_off

    if horizon is not None:
        v = np.zeros(K)
        contact = np.ones(K, dtype=bool)
        for _ in range(horizon):
            q_on, q_off = q_values(v)
            contact = q_on >= q_off
            v = np.where(contact, q_on, q_off)
        return contact, v
    contact = np.ones(K, dtype=bool)
    for _ in range(10 * K + 10):
        v = state_values(p, margin, cost, x, contact, None)
        q_on, q_off = q_values(v)
        tol = 1e-12 * max(1.0, float(np.max(np.abs(v))))
        better = np.where(contact, q_off > q_on + tol, q_on > q_off + tol)
        if not better.any():
            return contact, v
        contact = np.where(better, ~contact, contact)
    return contact, state_values(p, margin, cost, x, contact, None)  # pragma: no cover


def _repeat_spend(panel: PeriodPanel) -> float:
    """Mean spend in a period with a purchase, over periods after each acquisition period."""
    amount = panel.amount.to_numpy()
    active = panel.active
    first = panel.first_period.to_numpy()
    after = np.arange(amount.shape[1])[None, :] > first[:, None]
    mask = active & after
    if not mask.any():
        raise DataError("no repeat purchase in the log, so no margin per purchase can be "
                        "estimated; give margin=... .")
    return float(amount[mask].mean())
