"""Bayesian BG/NBD sampled on compressed weighted rows; predictions in memory-bounded chunks."""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from clvkit._contract import check_interval, register, renamed
from clvkit.bayes import _beta_geo_density as density
from clvkit.bayes._base import CHUNK_CELLS, BayesModel, PriorSpec, interval_frame, point_or_frame, thin_index
from clvkit.data.customer_data import CustomerData, as_customer_data
from clvkit.errors import DataError, fail_rows
from clvkit.models._event import check_horizon
from clvkit.models._math import beta_geo as bgnbd
from clvkit.models.beta_geo import BetaGeo as _MLEBetaGeo

#: the MLE BG/NBD whose per-row maths (which read only the ``params`` given) every draw uses.
_MATHS = _MLEBetaGeo()


@register("bayes.BetaGeo", "purchase")
class BetaGeo(BayesModel):
    """BG/NBD purchases with posterior uncertainty, sampled by NUTS on unique rows.

    Identical ``(frequency, recency, T)`` rows are compressed into one row with a weight, and
    the weighted log-likelihood is written in pytensor, so sampling cost grows with the number
    of unique rows, not of customers. Predictions loop over chunks of unique rows times a
    thinned set of posterior draws: at most ``CHUNK_CELLS`` (2M) values exist at once, never a
    chain x draw x customer array.

    It follows the purchase-model protocol of :class:`clvkit.models._event.EventModel`, so
    :func:`clvkit.clv`, :func:`clvkit.score` and the evaluation tools take it like an MLE
    model; its point values are posterior means (``point_is_posterior_mean``).

    Parameters
    ----------
    priors : dict, optional
        Overrides of :attr:`default_priors`:
        ``r ~ LogNormal(0, 2)``, ``alpha ~ LogNormal(0, 3)`` (in the data's time unit; the
        95% range exp(+-6) spans days to years), ``phi_dropout ~ Beta(1, 1)`` (the mean drop-out
        probability a/(a+b)) and ``kappa_dropout ~ LogNormal(1, 2)`` (a + b); then
        ``a = phi_dropout * kappa_dropout`` and ``b = (1 - phi_dropout) * kappa_dropout``. The
        (mean, concentration) form decorrelates a and b for the sampler.

    Attributes
    ----------
    idata_ : arviz.InferenceData
        Posterior of ``r, alpha, a, b`` (and ``phi_dropout, kappa_dropout``).
    params_ : pandas.Series
        Posterior means of ``r, alpha, a, b``.
    unit_ : str
        Time unit of the data the model was fitted on.
    n_obs_ : float
        Customers (sum of weights).
    n_unique_ : int
        Unique rows the likelihood was evaluated on.
    converged_, data_provenance_, divergences_, sampler_
        See :class:`~clvkit.bayes._base.BayesModel`.

    Notes
    -----
    Fader, Hardie & Lee (2005), "Counting your customers the easy way", Marketing Science 24(2):
    likelihood eq. (6) (as in :func:`clvkit.models._math.beta_geo.loglik_and_grad`), E[X(t)]
    eq. (9), conditional expectation eq. (10), P(alive) eq. (11). Per-draw predictions call the
    maths of :class:`clvkit.BetaGeo` (the MLE model) with each draw's parameters.

    Examples
    --------
    >>> import clvkit as ck
    >>> data = ck.CustomerData.from_frame(ck.datasets.load_cdnow_summary(), unit="W")
    >>> m = ck.bayes.BetaGeo().fit(data, draws=500, random_seed=1)  # doctest: +SKIP
    >>> m.summary()  # doctest: +SKIP
    >>> m.predict(data, horizon=39, interval=0.9)  # doctest: +SKIP
    """

    default_priors: ClassVar[dict[str, PriorSpec]] = {
        "r": {"dist": "LogNormal", "mu": 0.0, "sigma": 2.0},
        "alpha": {"dist": "LogNormal", "mu": 0.0, "sigma": 3.0},
        "phi_dropout": {"dist": "Beta", "alpha": 1.0, "beta": 1.0},
        "kappa_dropout": {"dist": "LogNormal", "mu": 1.0, "sigma": 2.0},
    }
    summary_vars: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    columns: ClassVar[tuple[str, ...]] = ("frequency", "recency", "T")
    point_is_posterior_mean: ClassVar[bool] = True

    def __init__(self, *, priors: dict[str, PriorSpec] | None = None) -> None:
        super().__init__(priors=priors)

    # ------------------------------------------------------------------ fitting
    def fit(self, data: CustomerData | pd.DataFrame, *, weights: Any = None, draws: int = 1000,
            tune: int = 1000, chains: int = 2, random_seed: int | None = None,
            sampler: str = "nutpie", target_accept: float = 0.8, progress: bool = False,
            init: str = "mle") -> Self:
        """Sample the posterior.

        Parameters
        ----------
        data
            :class:`~clvkit.CustomerData` or a DataFrame with ``frequency, recency, T``.
        weights
            Optional per-customer weights (default: the ``weight`` column, or one each).
        draws, tune, chains, random_seed
            NUTS settings: draws kept per chain, warm-up draws per chain, chains, seed.
        sampler
            ``"nutpie"`` (default) or ``"pymc"``.
        target_accept, progress
            NUTS target acceptance rate; show the progress bar.
        init
            ``"mle"`` (default): start every chain at the maximum-likelihood estimate
            (:class:`clvkit.BetaGeo` on the same compressed rows, about a second), which spares
            long warm-up trajectories when many customers make the posterior narrow;
            ``"prior"``: the sampler's default jittered start.

        Returns
        -------
        self
        """
        from clvkit.io import jsonable

        cd = as_customer_data(data)
        cd.require(self.columns, "bayes.BetaGeo")
        packed = cd.compressed(self.columns, weights)
        _check_rows(packed.rows)
        keep = packed.weights > 0
        rows, w = packed.rows[keep], packed.weights[keep]
        if w.sum() <= 0:
            raise DataError("bayes.BetaGeo: no rows to fit (total weight is 0).")
        if init not in ("mle", "prior"):
            raise DataError(f"init must be 'mle' or 'prior', got {init!r}.")
        self._check_sampling(draws=draws, tune=tune, chains=chains, sampler=sampler,
                             target_accept=target_accept)
        for name in ("idata_", "params_", "converged_"):  # a refit starts from scratch
            self.__dict__.pop(name, None)
        self.unit_ = cd.unit
        self.n_obs_ = float(w.sum())
        self.n_unique_ = len(rows)
        self.data_provenance_ = jsonable(dict(cd.provenance))
        start = _mle_start(rows, w, cd.unit) if init == "mle" else None
        priors = self._priors()
        if sampler == "nutpie" and density.supports(priors):
            # the default prior families: the posterior is written out around the compiled
            # likelihood kernel, so nothing is compiled per fit (see clvkit.bayes._beta_geo_density)
            u0 = None if start is None else density.to_unconstrained(
                start["r"], start["alpha"], start["phi_dropout"], start["kappa_dropout"])
            self.idata_ = density.sample(rows, w, priors, start=u0, draws=int(draws), tune=int(tune),
                                         chains=int(chains), random_seed=random_seed,
                                         target_accept=float(target_accept), progress=progress)
            self.sampler_ = "nutpie"
            self._diagnose()
            return self
        self._sample(self._build(rows, w), draws=draws, tune=tune, chains=chains, random_seed=random_seed,
                     sampler=sampler, target_accept=target_accept, progress=progress, initial_points=start)
        return self

    def _build(self, rows: np.ndarray, w: np.ndarray) -> Any:
        import pymc as pm

        priors = self._priors()
        with pm.Model() as model:
            r = self._prior_rv("r", priors["r"])
            alpha = self._prior_rv("alpha", priors["alpha"])
            phi = self._prior_rv("phi_dropout", priors["phi_dropout"])
            kappa = self._prior_rv("kappa_dropout", priors["kappa_dropout"])
            a = pm.Deterministic("a", phi * kappa)
            b = pm.Deterministic("b", (1.0 - phi) * kappa)
            pm.Potential("loglik", bgnbd_loglik_graph(r, alpha, a, b, rows[:, 0], rows[:, 1],
                                                      rows[:, 2], w))
        return model

    # ------------------------------------------------------------------ purchase-model protocol
    def param_draws(self, n_draws: int | None = None, random_seed: int | None = None) -> np.ndarray:
        """Posterior draws of ``(r, alpha, a, b)``, shape ``(n, 4)``, thinned evenly to ``n_draws``.

        The thinning is deterministic (evenly spaced draws of the stacked chains), so
        ``random_seed`` changes nothing; it is accepted for the MLE models' signature.
        """
        return np.column_stack([self._draws(v, n_draws) for v in self.param_names])

    def _point_params(self) -> np.ndarray:
        """Posterior mean of ``(r, alpha, a, b)``."""
        self._check_fitted()
        return self.params_[list(self.param_names)].to_numpy(dtype=float)

    def _parameter_draws(self, n_draws: int, random_seed: int | None = None) -> np.ndarray:
        """``n_draws`` evenly thinned posterior draws, shape ``(n, 4)`` (deterministic)."""
        return self.param_draws(n_draws, random_seed)

    def _expected_purchases_rows(self, params: np.ndarray, rows: np.ndarray, t: float) -> np.ndarray:
        """E[X(t) | x, t_x, T] on unique rows for one parameter vector, FHL (2005) eq. (10)."""
        return _MATHS._expected_purchases_rows(params, rows, t)

    def _p_alive_rows(self, params: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """P(alive | x, t_x, T) on unique rows for one parameter vector, FHL (2005) eq. (11)."""
        return _MATHS._p_alive_rows(params, rows)

    def _discounted_purchases_rows(self, params: np.ndarray, rows: np.ndarray, horizon: float,
                                   delta: float) -> np.ndarray:
        """Purchases in (0, horizon] discounted continuously at force ``delta`` (horizon may be inf)."""
        return _MATHS._discounted_purchases_rows(params, rows, horizon, delta)

    def _data(self, data: CustomerData | pd.DataFrame) -> CustomerData:
        self._check_fitted()
        cd = as_customer_data(data, unit=self.unit_)
        if cd.unit != self.unit_:
            raise DataError(f"bayes.BetaGeo was fitted with time in unit {self.unit_!r} but this data is "
                            f"in {cd.unit!r}; summarize the data again with unit={self.unit_!r}.")
        cd.require(self.columns, "bayes.BetaGeo")
        return cd

    def _posterior(self, data: CustomerData | pd.DataFrame, quantities: dict[str, Any],
                   level: float | None, n_draws: int | None, chunk_cells: int,
                   interval_draws: int | None = None) -> pd.DataFrame:
        """Posterior means (and intervals) of per-row ``quantities`` expanded to customers.

        Means over ``n_draws`` thinned draws (None: all); bounds over ``interval_draws`` of
        those (None: the same draws), widened if need be to hold the mean.
        """
        cd = self._data(data)
        packed = cd.compressed(self.columns, weights=np.ones(len(cd)))
        _check_rows(packed.rows)
        draws = self.param_draws(n_draws)
        subset = thin_index(len(draws), interval_draws)
        inv = packed.inverse
        out: dict[str, np.ndarray] = {}
        for name, fn in quantities.items():
            mean, lower, upper = chunked_posterior(fn, draws, packed.rows, level, chunk_cells, subset)
            out[name] = mean[inv]
            if level is not None:
                out[f"{name}_lower"] = lower[inv]
                out[f"{name}_upper"] = upper[inv]
        return pd.DataFrame(out, index=cd.index)

    def _quantity(self, data: Any, name: str, fn: Any, interval: float | None, n_draws: int | None,
                  chunk_cells: int, call: str) -> pd.Series | pd.DataFrame:
        if interval is not None:
            renamed(f"bayes.BetaGeo.{call}(..., interval=)", "bayes.BetaGeo.predict(data, horizon, interval=)",
                    stacklevel=4)
        frame = self._posterior(data, {name: fn}, check_interval(interval), n_draws, chunk_cells)
        return point_or_frame(frame, name, interval)

    # ------------------------------------------------------------------ predictions
    def predict(self, data: CustomerData | pd.DataFrame, horizon: float | None = None, *,
                interval: float | None = None, n_draws: int = 1000, random_seed: int | None = None,
                chunk_cells: int = CHUNK_CELLS) -> pd.DataFrame:
        """Posterior mean of expected purchases over ``horizon`` and of P(alive), per customer.

        Parameters
        ----------
        data
            Customer summary in the unit the model was fitted on.
        horizon
            Forecast length in the data's unit (required).
        interval
            If given (e.g. 0.9), each quantity ``q`` is followed by ``q_lower, q_upper``: the
            equal-tailed credible interval over the draws.
        n_draws
            Evenly thinned posterior draws for the interval (all when the posterior has fewer).
            The point value is the mean over every posterior draw, whatever ``n_draws``.
        random_seed
            Accepted for the contract; the thinning is deterministic, so the same call always
            gives the same frame.
        chunk_cells
            At most this many (draw x unique row) values are held at once.

        Returns
        -------
        DataFrame indexed by customer: ``expected_purchases`` (FHL 2005 eq. 10) and ``p_alive``
        (eq. 11), each the posterior mean, with ``_lower`` / ``_upper`` when ``interval`` is given.
        """
        if horizon is None:
            raise DataError(f"bayes.BetaGeo.predict needs a horizon (in the data's unit, "
                            f"{getattr(self, 'unit_', None)!r}), e.g. predict(data, horizon=52).")
        t = check_horizon(horizon)
        quantities = {"expected_purchases": lambda p, rows: self._expected_purchases_rows(p, rows, t),
                      "p_alive": self._p_alive_rows}
        return self._posterior(data, quantities, check_interval(interval), None, chunk_cells,
                               interval_draws=n_draws)

    def expected_purchases(self, data: CustomerData | pd.DataFrame, horizon: float,
                           interval: float | None = None, *, n_draws: int | None = None,
                           chunk_cells: int = CHUNK_CELLS) -> pd.Series:
        """Posterior mean of the purchases in the next ``horizon`` units, per customer.

        FHL (2005) eq. (10) evaluated for each of ``n_draws`` evenly thinned posterior draws
        (None, the default: all, as ``predict``), chunk by chunk over unique rows. ``horizon``
        is in the data's unit.

        Returns
        -------
        Series ``expected_purchases`` indexed by customer. ``interval=`` is deprecated (use
        ``predict(data, horizon, interval=)``): with it, a DataFrame ``expected_purchases,
        expected_purchases_lower, expected_purchases_upper`` and a FutureWarning.
        """
        t = check_horizon(horizon)
        return self._quantity(data, "expected_purchases",
                              lambda p, rows: self._expected_purchases_rows(p, rows, t),
                              interval, n_draws, chunk_cells, "expected_purchases")

    def p_alive(self, data: CustomerData | pd.DataFrame, interval: float | None = None, *,
                n_draws: int | None = None, chunk_cells: int = CHUNK_CELLS) -> pd.Series:
        """Posterior mean of P(alive), FHL (2005) eq. (11), per customer: a Series ``p_alive``.

        ``interval=`` is deprecated as in :meth:`expected_purchases`.
        """
        return self._quantity(data, "p_alive", self._p_alive_rows, interval, n_draws, chunk_cells, "p_alive")

    def clv(self, data: CustomerData | pd.DataFrame, horizon: float, discount_rate: float = 0.10,
            margin: float = 1.0, spend: Any = None, interval: float = 0.94, *,
            n_draws: int | None = 200, chunk_cells: int = CHUNK_CELLS) -> pd.DataFrame:
        """Deprecated: use ``ck.clv(model, data, horizon, spend=...)``, which this method calls.

        ``margin`` is ``ck.clv``'s ``margin_rate``; ``discount_rate`` is an ANNUAL effective
        rate; ``spend`` is None (value in purchases), a constant spend per purchase, a Series
        per customer or a spend model. ``chunk_cells`` is ignored.

        Returns
        -------
        DataFrame indexed by customer with ``mean, lower, upper``: ``ck.clv``'s ``clv,
        clv_lower, clv_upper`` in this method's old layout, kept until the method goes.
        """
        from clvkit.value import clv

        renamed("bayes.BetaGeo.clv(data, horizon, ...)", "ck.clv(model, data, horizon, spend=...)")
        check_interval(interval)
        out = clv(self, data, horizon, spend=spend, discount_rate=discount_rate, margin_rate=margin,
                  interval=interval, n_draws=len(self.param_draws(n_draws)))
        return pd.DataFrame({"mean": out["clv"], "lower": out["clv_lower"], "upper": out["clv_upper"]})

    def expected_purchases_new(self, horizon: Any, interval: float | None = None, *,
                               n_draws: int | None = None) -> pd.Series | pd.DataFrame:
        """Posterior mean of E[X(t)] for a just-acquired customer, FHL (2005) eq. (9).

        Returns
        -------
        Series ``expected_purchases_new`` indexed by ``horizon``; with ``interval`` (e.g. 0.9)
        a DataFrame that adds ``expected_purchases_new_lower, expected_purchases_new_upper``.
        """
        t = np.atleast_1d(np.asarray(horizon, dtype=float))
        if np.any(~np.isfinite(t)) or np.any(t < 0):
            raise DataError(f"horizon must be finite and >= 0, got {horizon!r}.")
        draws = self.param_draws(n_draws)
        values = np.array([bgnbd.expected_purchases_new(p, t) for p in draws])
        frame = interval_frame(values, check_interval(interval), pd.Index(t, name="horizon"),
                               "expected_purchases_new")
        return point_or_frame(frame, "expected_purchases_new", interval)

    def repeat_purchase_ppc(self, data: CustomerData | pd.DataFrame, max_frequency: int = 7,
                            interval: float = 0.9, *, n_draws: int | None = 200,
                            random_seed: int | None = None) -> pd.DataFrame:
        """Posterior predictive check: customers by number of repeat purchases in calibration.

        For each draw, the customers sharing an observation length ``T`` are split over
        0, 1, ..., ``max_frequency`` or more repeat purchases by a multinomial with
        probabilities ``P(X(T) = x)`` (FHL 2005 eq. 8), so the band holds parameter and
        sampling uncertainty. The same ``random_seed`` gives the same frame.

        Returns
        -------
        DataFrame indexed by ``frequency`` (the last row counts ``max_frequency`` or more) with
        ``observed, predicted, predicted_lower, predicted_upper``.
        """
        if not isinstance(max_frequency, (int, np.integer)) or max_frequency < 1:
            raise DataError(f"max_frequency must be a whole number >= 1, got {max_frequency!r}.")
        cd = self._data(data)
        freq = cd.column("frequency")
        T_values, T_counts = np.unique(cd.column("T"), return_counts=True)
        n = np.arange(max_frequency)
        rng = np.random.default_rng(random_seed)
        draws = self.param_draws(n_draws)
        sims = np.zeros((len(draws), max_frequency + 1))
        by_draw = draws.T[:, :, None]  # (4, draws, 1): the pmf broadcasts over draws x counts
        for T, count in zip(T_values, T_counts, strict=True):
            pmf = np.clip(bgnbd.purchase_pmf(by_draw, n, float(T)), 0.0, 1.0)
            probs = np.hstack([pmf, np.maximum(0.0, 1.0 - pmf.sum(axis=1, keepdims=True))])
            sims += rng.multinomial(int(count), probs / probs.sum(axis=1, keepdims=True))
        index = pd.Index(np.arange(max_frequency + 1), name="frequency")
        out = interval_frame(sims, check_interval(interval), index, "predicted")
        observed = np.bincount(np.minimum(freq, max_frequency).astype(int), minlength=max_frequency + 1)
        out.insert(0, "observed", observed)
        return out

    # ------------------------------------------------------------------ persistence
    def _state(self) -> dict[str, Any]:
        return {"unit": self.unit_, "n_obs": self.n_obs_, "n_unique": self.n_unique_}

    def _restore(self, state: dict[str, Any]) -> None:
        self.unit_ = state["unit"]
        self.n_obs_ = float(state["n_obs"])
        self.n_unique_ = int(state["n_unique"])


def bgnbd_loglik_graph(r: Any, alpha: Any, a: Any, b: Any, x: np.ndarray, t_x: np.ndarray,
                       T: np.ndarray, w: np.ndarray) -> Any:
    """Weighted total BG/NBD log-likelihood as a pytensor expression, FHL (2005) eq. (6).

    ``log L = A + logaddexp(l1, l2)`` with ``A = lnG(r+x) - lnG(r) + r ln(alpha)``,
    ``l1 = lnB(a, b+x) - lnB(a, b) - (r+x) ln(alpha+T)`` and, for x > 0,
    ``l2 = lnB(a+1, b+x-1) - lnB(a, b) - (r+x) ln(alpha+t_x)``: the same terms as
    :func:`clvkit.models._math.beta_geo.loglik_and_grad`. Terms that depend on x only are
    evaluated once per distinct x; rows without a repeat purchase need only ``l1``.
    (Gathering ``ln(alpha+T)`` per distinct T instead was measured slower under numba: the
    scatter-adds of its gradient cost more than the logarithms they save.)
    """
    import pytensor.tensor as pt

    def lbeta(p: Any, q: Any) -> Any:
        return pt.gammaln(p) + pt.gammaln(q) - pt.gammaln(p + q)

    xu, xi = np.unique(x, return_inverse=True)
    xm1 = np.maximum(xu - 1.0, 0.0)
    lnb_ab = lbeta(a, b)
    A_u = pt.gammaln(r + xu) - pt.gammaln(r) + r * pt.log(alpha)
    l1_u = lbeta(a, b + xu) - lnb_ab
    l2_u = lbeta(a + 1.0, b + xm1) - lnb_ab
    total = pt.dot(np.bincount(xi, weights=w, minlength=len(xu)), A_u)
    none = x == 0
    if none.any():
        total += pt.dot(w[none], l1_u[xi[none]] - (r + x[none]) * pt.log(alpha + T[none]))
    rep = ~none
    if rep.any():
        l1 = l1_u[xi[rep]] - (r + x[rep]) * pt.log(alpha + T[rep])
        l2 = l2_u[xi[rep]] - (r + x[rep]) * pt.log(alpha + t_x[rep])
        total += pt.dot(w[rep], pt.logaddexp(l1, l2))
    return total


def chunked_posterior(fn: Any, draws: np.ndarray, rows: np.ndarray, level: float | None,
                      chunk_cells: int = CHUNK_CELLS,
                      subset: np.ndarray | None = None) -> tuple[np.ndarray, Any, Any]:
    """Posterior mean and equal-tailed interval of ``fn(params, rows)`` over ``draws``.

    Rows are taken ``chunk_cells // len(draws)`` at a time, so at most ``chunk_cells`` values
    (draws x rows) are held at once; ``fn`` is called once per draw and chunk on unique rows.
    With ``level=None`` only the mean is computed (``lower, upper`` are None). With ``subset``
    (indices into ``draws``) the interval is taken over those draws only and widened, if need
    be, to hold the mean over all of them.
    """
    n_draws = len(draws)
    step = max(1, int(chunk_cells) // max(1, n_draws))
    mean = np.empty(len(rows))
    lower = None if level is None else np.empty(len(rows))
    upper = None if level is None else np.empty(len(rows))
    for start in range(0, len(rows), step):
        chunk = rows[start:start + step]
        values = np.empty((n_draws, len(chunk)))
        for i, params in enumerate(draws):
            values[i] = fn(params, chunk)
        mean[start:start + step] = values.mean(axis=0)
        if level is not None:
            tail = (1.0 - level) / 2.0
            lo, hi = np.quantile(values if subset is None else values[subset], [tail, 1.0 - tail], axis=0)
            if subset is not None:
                lo, hi = np.fmin(lo, mean[start:start + step]), np.fmax(hi, mean[start:start + step])
            lower[start:start + step], upper[start:start + step] = lo, hi
    return mean, lower, upper


def _mle_start(rows: np.ndarray, w: np.ndarray, unit: str) -> dict[str, float] | None:
    """Maximum-likelihood start for the free variables, or None if the MLE is unusable."""
    import warnings

    from clvkit.errors import ConvergenceWarning

    frame = pd.DataFrame(rows, columns=list(BetaGeo.columns)).assign(weight=w)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        try:
            mle = _MLEBetaGeo().fit(CustomerData.from_frame(frame, unit=unit))
        except DataError:
            return None
    if caught and any(issubclass(c.category, ConvergenceWarning) for c in caught):
        return None  # a doubtful optimum is a poor start: let the sampler start from the prior
    r, alpha, a, b = (float(mle.params_[k]) for k in ("r", "alpha", "a", "b"))
    start = {"r": r, "alpha": alpha, "phi_dropout": a / (a + b), "kappa_dropout": a + b}
    return start if all(np.isfinite(v) and v > 0 for v in start.values()) else None


def _check_rows(rows: np.ndarray) -> None:
    frame = pd.DataFrame(rows, columns=list(BetaGeo.columns))
    fail_rows(frame, rows[:, 2] <= 0, "T", "is 0", "Every customer needs a positive observation time T.")
