"""AlwaysAShare: the recency-state Markov migration model of customer value (Dwyer 1989)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Self

import numpy as np
import pandas as pd

from clvkit._contract import Model, _plain, check_interval, register, renamed
from clvkit.data.periods import (
    PeriodPanel,
    check_period_unit,
    period_panel,
    recency_state,
    recency_transitions,
)
from clvkit.dwyer._checks import (
    binomial_draws,
    binomial_summary,
    check_amount,
    check_horizon,
    check_n_draws,
    check_share,
    draw_bounds,
    period_discount,
    require_keys,
    series_from_json,
    series_to_json,
)
from clvkit.dwyer._markov import (
    arrival_rewards,
    batch_state_values,
    chain_values,
    optimal_policy,
    state_values,
    transition_matrix,
)
from clvkit.errors import DataError, NotFittedError
from clvkit.io import jsonable


@register("AlwaysAShare", "migration")
class AlwaysAShare(Model):
    """Customers who split their business, go quiet and return: a Markov chain on recency.

    At the start of each period a customer is in recency state k = 1..K, the number of periods
    since their last purchase (state K means "K or more"). If the firm markets to them (cost
    ``c`` per period) they buy with probability ``p_k``, bringing margin ``M``, and move to
    state 1; otherwise they move to state ``min(k + 1, K)``.

    Parameters
    ----------
    unit : {"M", "Q", "Y"}
        Length of a period; annual discount rates are converted to it.
    states : int
        Number of recency states K.
    margin : float, optional
        Margin per purchase: money, not a share (>= 0). Default: estimated from the log as the
        mean spend of a customer in a period with a purchase (after the acquisition period)
        times ``margin_rate``.
    margin_rate : float
        Share of spend that is margin (in [0, 1]) when the margin is estimated.
    cost : float
        Marketing cost (money) per customer per contacted period (the default of
        ``cost_per_period``).
    period : str, optional
        Deprecated spelling of ``unit`` (FutureWarning; removed in clvkit 0.3).

    Attributes
    ----------
    params_ : pandas.Series
        ``p_1..p_K``: purchase probability by state.
    p_ : pandas.Series
        The same probabilities indexed by state 1..K.
    margin_ : float
        Margin (money) per purchase.
    transition_matrix_ : pandas.DataFrame
        K x K one-period transition probabilities when every state is marketed to.
    transitions_ : pandas.DataFrame or None
        Opportunities and purchases per state counted in the log (None for a model stated by
        hand).
    states_ : pandas.Series or None
        Each customer's state at the end of the data (log only).
    unit_ : str
        Period of the data (or the one stated).
    n_obs_ : float
        Customers in the log fitted on (0 for a model stated by hand).
    converged_ : bool
        Always True (the estimates are closed-form ratios).
    data_provenance_ : dict
        ``source`` (transaction log, period panel or stated by hand), ``customers``,
        ``periods``, ``states`` and the counts of :func:`~clvkit.data.periods.period_panel`.

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
    Standard errors of ``p_k`` are binomial, ``sqrt(p (1 - p) / opportunities)``.

    Rates and horizons: ``discount_rate`` is checked by
    :func:`clvkit.data.units.check_discount_rate` (a number > -1; a DataWarning above 100% a
    year, a DataError above 500%); the infinite horizon needs a rate > 0, a finite one takes a
    rate in (-1, 0] too. Work is bounded whatever the horizon H: when ``x^H <= 1e-12``
    (``x = 1 / (1 + d)`` per period) the H-period values, and the optimal policy, are the
    infinite-horizon ones to 1e-12 of ``max|V|`` (``V - V_H = (xP)^H V``; value iteration
    contracts by ``x``); otherwise values are summed by doubling (``O(K^3 log H)``) and the
    optimal policy by backward induction up to
    :data:`~clvkit.dwyer._markov.MAX_POLICY_STEPS` periods (a DataError beyond). Values that
    overflow (a negative rate over a long horizon) are a DataError. Margin and cost are money
    >= 0.

    Examples
    --------
    >>> import clvkit as ck
    >>> m = ck.AlwaysAShare.from_params(p=[0.3, 0.2, 0.15, 0.05, 0.02], margin=40, cost=2)
    >>> m.value(discount_rate=0.2).round(2).tolist()      # marketing to every state
    [23.61, 10.23, -0.37, -9.55, -11.76]
    >>> pol = m.policy(discount_rate=0.2)                  # stop marketing to state 5 only
    >>> pol["contact"].tolist(), pol["value_policy"].round(2).tolist()
    ([True, True, True, True, False], [32.61, 19.83, 9.94, 1.56, 0.0])
    """

    def __init__(self, *, unit: str = "Q", states: int = 5, margin: float | None = None,
                 margin_rate: float = 1.0, cost: float = 0.0, period: str | None = None) -> None:
        if period is not None:
            renamed("AlwaysAShare(period=)", "AlwaysAShare(unit=)")
            if unit != "Q" and unit != period:
                raise DataError(f"AlwaysAShare got unit={unit!r} and the deprecated period={period!r}; "
                                "give unit= only.")
            unit = period
        self.unit = unit
        self.states = states
        self.margin = margin
        self.margin_rate = margin_rate
        self.cost = cost

    @classmethod
    def _param_names_init(cls) -> list[str]:
        return [name for name in super()._param_names_init() if name != "period"]

    def _repr_details(self) -> str:
        source = self.data_provenance_.get("source", "")
        return (f"{len(self.p_)} recency states   margin {self.margin_:,.4g} per purchase   "
                f"cost {_plain(self.cost)!r} per contacted period   {source}")

    # ------------------------------------------------------------------ construction
    def _check_params(self) -> tuple[str, int]:
        unit = check_period_unit(self.unit)
        if not isinstance(self.states, (int, np.integer)) or self.states < 1:
            raise DataError(f"states must be a whole number >= 1, got {self.states!r}.")
        check_amount("cost", self.cost, nonnegative=True)
        return unit, int(self.states)

    def fit(self, data: pd.DataFrame | PeriodPanel, *, weights: Any = None,
            customer: Hashable = "customer_id", date: Hashable = "date",
            amount: Hashable | None = "amount", end: Any = None) -> Self:
        """Estimate p_k (purchases / opportunities per state) and the margin from a log.

        Parameters
        ----------
        data
            A transaction log or a :class:`~clvkit.data.periods.PeriodPanel` (in the model's
            ``unit``).
        weights
            Not supported (every customer-period counts once); must be None.
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
        if weights is not None:
            raise DataError("AlwaysAShare.fit takes no weights: every customer-period counts "
                            "once; give weights=None.")
        if isinstance(data, PeriodPanel) and data.unit != unit:
            raise DataError(f"AlwaysAShare(unit={unit!r}) got a period panel in periods of "
                            f"{data.unit!r}; build the model with unit={data.unit!r}.")
        margin_arg = None if self.margin is None else check_amount("margin", self.margin,
                                                                   nonnegative=True)
        margin_rate = check_share("margin_rate", self.margin_rate)
        panel = period_panel(data, customer, date, amount, unit=unit, end=end)
        n_periods = panel.purchases.shape[1]
        if n_periods < 2:
            raise DataError(f"too few periods: the log spans {n_periods} {unit} "
                            "period; purchase probabilities need at least 2.")
        counts = recency_transitions(panel, K)
        empty = counts["opportunities"] == 0
        if empty.any():
            raise DataError(
                f"too few periods: recency state(s) {counts.index[empty].tolist()} of {K} never occur "
                f"in {n_periods} {unit} periods, so their purchase probability "
                f"cannot be estimated; use states <= {int(counts.index[~empty].max())} or a "
                "shorter period.")
        if margin_arg is not None:
            margin = margin_arg
        else:
            if amount is None and not isinstance(data, PeriodPanel):
                raise DataError("no margin: give margin=... or an amount column to estimate it.")
            margin = _repeat_spend(panel) * margin_rate
        source = "period panel" if isinstance(data, PeriodPanel) else "transaction log"
        self._set(counts["p"].to_numpy(), margin, unit, counts, recency_state(panel, K),
                  {"source": source, "customers": len(panel), "periods": n_periods, "states": K,
                   **panel.provenance})
        return self

    @classmethod
    def from_params(cls, p: Sequence[float], margin: float, cost: float = 0.0,
                    unit: str = "Q") -> AlwaysAShare:
        """A model stated by hand: purchase probabilities by state, margin per purchase, cost.

        It carries no counts, so ``summary()`` standard errors are NaN and ``predict`` gives
        no interval.

        Parameters
        ----------
        p
            ``p_1..p_K``, each in [0, 1].
        margin
            Margin per purchase: money, not a share (>= 0).
        cost
            Marketing cost (money) per customer per period (>= 0).
        unit
            Period length ``"M"``, ``"Q"`` or ``"Y"`` (for the conversion of annual discount
            rates).

        Examples
        --------
        >>> m = AlwaysAShare.from_params(p=[0.3, 0.1], margin=40, unit="Y")
        >>> m.params_.tolist(), m.n_obs_
        ([0.3, 0.1], 0)
        """
        probs = np.asarray(p, dtype=float).ravel()
        if probs.size == 0:
            raise DataError("p must hold at least one purchase probability.")
        _check_probabilities(probs)
        model = cls(unit=unit, states=int(probs.size), margin=margin, cost=cost)
        unit_, _ = model._check_params()
        model._set(probs, check_amount("margin", margin, nonnegative=True), unit_, None, None,
                   {"source": "stated by hand", "customers": 0, "states": int(probs.size)})
        return model

    @classmethod
    def from_probabilities(cls, p: Sequence[float], margin: float, cost: float = 0.0,
                           period: str = "Q") -> AlwaysAShare:
        """Deprecated: use :meth:`from_params` (``period=`` is ``unit=`` there)."""
        renamed("AlwaysAShare.from_probabilities(..., period=)", "AlwaysAShare.from_params(..., unit=)")
        return cls.from_params(p, margin=margin, cost=cost, unit=period)

    def _set(self, p: np.ndarray, margin: float, unit: str, transitions: pd.DataFrame | None,
             states: pd.Series | None, provenance: dict[str, Any]) -> None:
        K = len(p)
        idx = pd.RangeIndex(1, K + 1, name="state")
        self.p_ = pd.Series(p, index=idx, name="p")
        self.margin_ = float(margin)
        self.unit_ = unit
        self.transition_matrix_ = pd.DataFrame(transition_matrix(p, np.ones(K, dtype=bool)),
                                               index=idx, columns=idx)
        self.transitions_ = transitions
        self.states_ = states
        self.n_obs_ = int(provenance.get("customers", 0))
        self.converged_ = True
        self.data_provenance_ = jsonable(provenance)
        self.params_ = pd.Series(np.asarray(p, dtype=float), index=[f"p_{k}" for k in range(1, K + 1)],
                                 name="estimate")

    def _check_fitted(self) -> None:
        if not self._is_fitted():
            raise NotFittedError("AlwaysAShare is not fitted yet; call .fit(data) or use "
                                 "AlwaysAShare.from_params(...).")

    # ------------------------------------------------------------------ summary
    def _summary(self, level_: float) -> pd.DataFrame:
        """``p_1..p_K`` with binomial standard errors and a Wald interval clipped to [0, 1].

        ``std_error = sqrt(p (1 - p) / opportunities)`` from ``transitions_``; NaN for a model
        stated by hand (no counts behind it).
        """
        trials = None if self.transitions_ is None else self.transitions_["opportunities"].to_numpy()
        return binomial_summary(self.params_.to_numpy(), trials, self.params_.index, level_)

    # ------------------------------------------------------------------ predictions
    def predict(self, data: Any = None, horizon: int | None = None, *, interval: float | None = None,
                n_draws: int = 1000, random_seed: Any = None,
                discount_rate: float = 0.10) -> pd.DataFrame:
        """Value by recency state, or of each customer of a log from their state at its end.

        ``value`` is :meth:`value` (marketing to every state at the model's ``cost``).

        Parameters
        ----------
        data
            None: one row per state. A transaction log (columns ``customer_id, date``) or a
            :class:`~clvkit.data.periods.PeriodPanel` in the model's unit: one row per customer,
            valued from their recency state at the end of it (nothing is refitted).
        horizon
            Number of periods valued, or None for the infinite horizon.
        interval
            If given (e.g. 0.9), add ``value_lower, value_upper``: equal-tailed intervals over
            ``n_draws`` draws of ``p_k`` (normal with the binomial standard error, clipped to
            [0, 1]; the margin is held fixed), widened to contain the point value. A model
            stated by hand has no known uncertainty and raises a DataError.
        n_draws
            Number of draws for ``interval``: a whole number >= 2, checked even without one.
        random_seed
            Seed of the draws: the same seed gives the same frame; None is fresh randomness.
        discount_rate
            ANNUAL effective rate, converted to the model's period.

        Returns
        -------
        pandas.DataFrame
            Column ``value`` (then ``value_lower, value_upper`` if asked), indexed by ``state``
            or, for a log, by ``(customer, state)`` (``reset_index()`` gives the state as a
            column).
        """
        self._check_fitted()
        level = check_interval(interval)
        n_draws = check_n_draws(n_draws)
        value = self.value(discount_rate, horizon=horizon)
        out = pd.DataFrame({"value": value})
        if level is not None:
            if self.transitions_ is None:
                raise DataError("this AlwaysAShare was stated by hand (from_params), so the "
                                "uncertainty of p_1..p_K is unknown and predict cannot give an "
                                "interval; fit it on a log, or call predict(interval=None).")
            x, c, h = self._inputs(discount_rate, None, horizon)
            frame = self.summary()
            draws = binomial_draws(frame["estimate"].to_numpy(), frame["std_error"].to_numpy(),
                                   n_draws, random_seed)
            values = batch_state_values(draws, self.margin_, c, x, h)
            out["value_lower"], out["value_upper"] = draw_bounds(values, value.to_numpy(), level)
        if data is None:
            return out
        if isinstance(data, PeriodPanel) and data.unit != self.unit_:
            raise DataError(f"AlwaysAShare fitted in periods of {self.unit_!r} got a period panel "
                            f"in {data.unit!r}; rebuild the panel with unit={self.unit_!r}.")
        states = recency_state(period_panel(data, amount=None, unit=self.unit_), len(self.p_))
        rows = out.loc[states.to_numpy()]
        rows.index = pd.MultiIndex.from_arrays([states.index, states.to_numpy()],
                                               names=[states.index.name, "state"])
        return rows

    # ------------------------------------------------------------------ values
    def _inputs(self, discount_rate: float, cost_per_period: float | None,
                horizon: int | None) -> tuple[float, float, int | None]:
        self._check_fitted()
        h = check_horizon(horizon)
        x = period_discount(discount_rate, self.unit_, infinite_horizon=h is None)
        c = check_amount("cost_per_period", self.cost if cost_per_period is None else cost_per_period,
                         nonnegative=True)
        return x, c, h

    def value(self, discount_rate: float, cost_per_period: float | None = None,
              horizon: int | None = None, contact: Sequence[bool] | None = None, *,
              timing: str = "purchase") -> pd.Series:
        """Expected discounted value of a customer by current recency state.

        Infinite horizon: ``V = (I - x P)^-1 R``; horizon H: ``V = sum_{t=0}^{H-1} (x P)^t R``
        (Pfeifer & Carraway 2000), with ``x = 1 / (1 + d)``. Two timings of the margin:

        - ``timing="purchase"`` (the default): ``R_k = p_k M - c`` for marketed states, 0 for the
          others: a customer valued in state k at the start of a period is credited the expected
          margin of the purchase they make in that period.
        - ``timing="pfeifer_carraway"``: the paper's rewards, ``R_1 = M - c`` and ``R_k = -c``
          (``-c`` only for marketed states): the margin of the purchase that *put* the customer in
          state 1 is counted in state 1, on arrival. A state-1 customer's value then includes the
          purchase just made, and later purchases are credited one period after they are made.

        The relation (for K >= 2 states and an infinite horizon): ``V_pc = W + M e_1``, where
        ``W`` is the ``"purchase"`` value with the margin discounted one period (``x M`` in place
        of ``M``): the purchase made from state k lands in state 1 next period, where it is
        counted. Checked against a direct simulation of each chain in
        tests/oracle/test_always_a_share_simulation.py.

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
        if timing == "purchase":
            v = state_values(p, self.margin_, c, x, act, h)
        elif timing == "pfeifer_carraway":
            v = chain_values(transition_matrix(p, act), arrival_rewards(p, self.margin_, c, act), x, h)
        else:
            raise DataError(f"timing must be 'purchase' or 'pfeifer_carraway', got {timing!r}.")
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


    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """Everything needed to rebuild the model, as plain JSON types.

        The constructor arguments, ``params_``, unit, margin, provenance, the counts per
        state (``transitions``, records) and each customer's state at the end of the log
        (``states``: ids and states as lists, so integer ids stay integers and string ids
        strings).
        """
        self._check_fitted()
        transitions = None
        if self.transitions_ is not None:
            transitions = [{"state": int(k), "opportunities": int(row["opportunities"]),
                            "purchases": int(row["purchases"]), "p": float(row["p"])}
                           for k, row in self.transitions_.iterrows()]
        return {
            **self._state_header(),
            "margin": float(self.margin_),
            "transitions": transitions,
            "states": None if self.states_ is None else series_to_json(self.states_),
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> Self:
        """Rebuild a model from :meth:`to_dict` output, validating what it holds.

        Raises
        ------
        clvkit.errors.DataError
            Missing keys (named), probabilities outside [0, 1], a margin that is not a finite
            number >= 0, states outside 1..K.
        """
        require_keys(cls.__name__, state, ("params", "unit", "margin"))
        try:
            model = cls(**state.get("init", {}))
        except TypeError as exc:
            raise DataError(f"{cls.__name__}: the model file's init is not valid ({exc}).") from None
        unit = check_period_unit(state["unit"])
        raw = state["params"]
        try:
            probs = np.asarray(list(raw.values()) if isinstance(raw, dict) else raw, dtype=float).ravel()
        except (TypeError, ValueError):
            raise DataError(f"{cls.__name__}: params must be numbers, got {raw!r}.") from None
        if probs.size == 0:
            raise DataError(f"{cls.__name__}: the model file gives no purchase probabilities.")
        _check_probabilities(probs)
        margin = check_amount("margin", state["margin"], nonnegative=True)
        K = probs.size
        transitions = None
        if state.get("transitions") is not None:
            transitions = pd.DataFrame(state["transitions"])
            if list(transitions.get("state", [])) != list(range(1, K + 1)):
                raise DataError(f"{cls.__name__}: the model file's transitions must list states "
                                f"1..{K}.")
            transitions = transitions.set_index(pd.RangeIndex(1, K + 1, name="state"))[
                ["opportunities", "purchases", "p"]].astype({"opportunities": np.int64,
                                                              "purchases": np.int64, "p": float})
        states = None
        if state.get("states") is not None:
            states = series_from_json(state["states"], "state", "states").astype(np.int64)
            bad = (states < 1) | (states > K)
            if bad.any():
                raise DataError(f"{cls.__name__}: customer states must be in 1..{K}; "
                                f"{int(bad.sum())} of {len(states)} are not.")
        model._set(probs, margin, unit, transitions, states, state.get("data_provenance", {}))
        model.n_obs_ = int(state.get("n_obs", model.n_obs_))
        model.converged_ = bool(state.get("converged", True))
        return model


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


def _check_probabilities(probs: np.ndarray) -> None:
    bad = ~np.isfinite(probs) | (probs < 0) | (probs > 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"p must be probabilities in [0, 1]: {int(bad.sum())} of {probs.size} are "
                        f"not (first: state {i + 1}, p = {float(probs[i])!r}).")
