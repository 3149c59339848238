"""Bayesian BG/NBD sampled on compressed weighted rows; predictions in memory-bounded chunks."""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from clvkit.bayes import _beta_geo_density as density
from clvkit.bayes._base import CHUNK_CELLS, BayesModel, PriorSpec, _level
from clvkit.data.customer_data import CustomerData, as_customer_data
from clvkit.data.units import continuous_discount_rate
from clvkit.errors import DataError, fail_rows
from clvkit.models._event import check_horizon
from clvkit.models._math import beta_geo as bgnbd


class BetaGeo(BayesModel):
    """BG/NBD purchases with posterior uncertainty, sampled by NUTS on unique rows.

    Identical ``(frequency, recency, T)`` rows are compressed into one row with a weight, and
    the weighted log-likelihood is written in pytensor, so sampling cost grows with the number
    of unique rows, not of customers. Predictions loop over chunks of unique rows times a
    thinned set of posterior draws: at most ``CHUNK_CELLS`` (2M) values exist at once, never a
    chain x draw x customer array.

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
    unit_ : str
        Time unit of the data the model was fitted on.
    n_obs_ : float
        Customers (sum of weights).
    n_unique_ : int
        Unique rows the likelihood was evaluated on.
    divergences_, sampler_
        See :class:`~clvkit.bayes._base.BayesModel`.

    Notes
    -----
    Fader, Hardie & Lee (2005), "Counting your customers the easy way", Marketing Science 24(2):
    likelihood eq. (6) (as in :func:`clvkit.models._math.beta_geo.loglik_and_grad`), E[X(t)]
    eq. (9), conditional expectation eq. (10), P(alive) eq. (11). Per-draw predictions call the
    numpy maths of :mod:`clvkit.models._math.beta_geo`.

    Examples
    --------
    >>> import clvkit as ck
    >>> data = ck.datasets.load_cdnow_summary()
    >>> m = ck.bayes.BetaGeo().fit(data, draws=500, random_seed=1)  # doctest: +SKIP
    >>> m.summary()  # doctest: +SKIP
    """

    default_priors: ClassVar[dict[str, PriorSpec]] = {
        "r": {"dist": "LogNormal", "mu": 0.0, "sigma": 2.0},
        "alpha": {"dist": "LogNormal", "mu": 0.0, "sigma": 3.0},
        "phi_dropout": {"dist": "Beta", "alpha": 1.0, "beta": 1.0},
        "kappa_dropout": {"dist": "LogNormal", "mu": 1.0, "sigma": 2.0},
    }
    summary_vars: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    columns: ClassVar[tuple[str, ...]] = ("frequency", "recency", "T")

    # ------------------------------------------------------------------ fitting
    def fit(self, data: CustomerData | pd.DataFrame, weights: Any = None, *, draws: int = 1000,
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
        cd = as_customer_data(data)
        cd.require(self.columns, "bayes.BetaGeo")
        packed = cd.compressed(self.columns, weights)
        _check_rows(packed.rows)
        keep = packed.weights > 0
        rows, w = packed.rows[keep], packed.weights[keep]
        if w.sum() <= 0:
            raise DataError("bayes.BetaGeo: no rows to fit (total weight is 0).")
        self.unit_ = cd.unit
        self.n_obs_ = float(w.sum())
        self.n_unique_ = len(rows)
        if init not in ("mle", "prior"):
            raise DataError(f"init must be 'mle' or 'prior', got {init!r}.")
        start = _mle_start(rows, w, cd.unit) if init == "mle" else None
        priors = self._priors()
        if sampler == "nutpie" and density.supports(priors):
            # the default prior families: the posterior is written out around the compiled
            # likelihood kernel, so nothing is compiled per fit (see clvkit.bayes._beta_geo_density)
            self._check_sampling(draws=draws, tune=tune, chains=chains, sampler=sampler,
                                 target_accept=target_accept)
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

    # ------------------------------------------------------------------ draws and chunks
    def param_draws(self, n_draws: int | None = None) -> np.ndarray:
        """Posterior draws of ``(r, alpha, a, b)``, shape ``(n, 4)``, thinned evenly to ``n_draws``."""
        return np.column_stack([self._draws(v, n_draws) for v in ("r", "alpha", "a", "b")])

    def _data(self, data: CustomerData | pd.DataFrame) -> CustomerData:
        self._check_fitted()
        cd = as_customer_data(data, unit=self.unit_)
        if cd.unit != self.unit_:
            raise DataError(f"bayes.BetaGeo was fitted with time in unit {self.unit_!r} but this data is "
                            f"in {cd.unit!r}; summarize the data again with unit={self.unit_!r}.")
        cd.require(self.columns, "bayes.BetaGeo")
        return cd

    def _per_customer(self, data: CustomerData | pd.DataFrame, fn: Any, interval: float,
                      n_draws: int | None, chunk_cells: int) -> pd.DataFrame:
        cd = self._data(data)
        packed = cd.compressed(self.columns, weights=np.ones(len(cd)))
        _check_rows(packed.rows)
        mean, lower, upper = chunked_posterior(fn, self.param_draws(n_draws), packed.rows,
                                               _level(interval), chunk_cells)
        inv = packed.inverse
        return pd.DataFrame({"mean": mean[inv], "lower": lower[inv], "upper": upper[inv]}, index=cd.index)

    # ------------------------------------------------------------------ predictions
    def expected_purchases(self, data: CustomerData | pd.DataFrame, horizon: float,
                           interval: float = 0.94, *, n_draws: int | None = 500,
                           chunk_cells: int = CHUNK_CELLS) -> pd.DataFrame:
        """Posterior mean and credible interval of purchases in the next ``horizon`` units.

        FHL (2005) eq. (10) evaluated for each of ``n_draws`` evenly thinned posterior draws
        (None: all), chunk by chunk over unique rows. ``horizon`` is in the data's unit.

        Returns
        -------
        DataFrame indexed by customer with ``mean, lower, upper``.
        """
        t = check_horizon(horizon)
        return self._per_customer(
            data, lambda p, rows: bgnbd.expected_purchases(p, rows[:, 0], rows[:, 1], rows[:, 2], t),
            interval, n_draws, chunk_cells)

    def p_alive(self, data: CustomerData | pd.DataFrame, interval: float = 0.94, *,
                n_draws: int | None = 500, chunk_cells: int = CHUNK_CELLS) -> pd.DataFrame:
        """Posterior mean and credible interval of P(alive), FHL (2005) eq. (11), per customer."""
        return self._per_customer(
            data, lambda p, rows: bgnbd.p_alive(p, rows[:, 0], rows[:, 1], rows[:, 2]),
            interval, n_draws, chunk_cells)

    def predict(self, data: CustomerData | pd.DataFrame, horizon: float, interval: float = 0.94, *,
                n_draws: int | None = 500, chunk_cells: int = CHUNK_CELLS) -> pd.DataFrame:
        """Expected purchases over ``horizon`` and P(alive), with ``*_lower`` / ``*_upper``."""
        parts = {"expected_purchases": self.expected_purchases(data, horizon, interval,
                                                               n_draws=n_draws, chunk_cells=chunk_cells),
                 "p_alive": self.p_alive(data, interval, n_draws=n_draws, chunk_cells=chunk_cells)}
        out = {}
        for name, frame in parts.items():
            out[name] = frame["mean"]
            out[f"{name}_lower"] = frame["lower"]
            out[f"{name}_upper"] = frame["upper"]
        return pd.DataFrame(out)

    def clv(self, data: CustomerData | pd.DataFrame, horizon: float, discount_rate: float = 0.10,
            margin: float = 1.0, spend: Any = None, interval: float = 0.94, *,
            n_draws: int | None = 200, chunk_cells: int = CHUNK_CELLS) -> pd.DataFrame:
        """Posterior of discounted CLV over ``horizon`` per customer.

        ``CLV_i = margin * spend_i * integral_0^H exp(-delta t) dE[X_i(t)]`` with ``delta`` the
        continuous rate of the ANNUAL effective ``discount_rate`` in the data's unit (as in
        :func:`clvkit.clv`; the integral by parts with 48-point Gauss-Legendre, per draw).

        Parameters
        ----------
        spend
            None (value in purchases), a constant spend per purchase, or a Series of expected
            spend per customer indexed like the data (e.g. ``GammaGamma.predict(data)``).
        """
        from clvkit.models.beta_geo import BetaGeo as _MLEBetaGeo

        t = check_horizon(horizon)
        if not np.isfinite(margin):
            raise DataError(f"margin must be finite, got {margin!r}.")
        cd = self._data(data)
        delta = continuous_discount_rate(discount_rate, self.unit_)
        maths = _MLEBetaGeo()
        frame = self._per_customer(
            cd, lambda p, rows: maths._discounted_purchases_rows(p, rows, t, delta),
            interval, n_draws, chunk_cells)
        scale = margin * _spend(spend, cd)
        out = frame.mul(scale, axis=0)
        if margin < 0:
            out = out.rename(columns={"lower": "upper", "upper": "lower"})[["mean", "lower", "upper"]]
        return out

    def expected_purchases_new(self, horizon: Any, interval: float = 0.94, *,
                               n_draws: int | None = None) -> pd.DataFrame:
        """Posterior of E[X(t)] for a just-acquired customer, FHL (2005) eq. (9)."""
        from clvkit.bayes._base import interval_frame

        t = np.atleast_1d(np.asarray(horizon, dtype=float))
        if np.any(~np.isfinite(t)) or np.any(t < 0):
            raise DataError(f"horizon must be finite and >= 0, got {horizon!r}.")
        draws = self.param_draws(n_draws)
        values = np.array([bgnbd.expected_purchases_new(p, t) for p in draws])
        return interval_frame(values, _level(interval), pd.Index(t, name="horizon"))

    def repeat_purchase_ppc(self, data: CustomerData | pd.DataFrame, max_frequency: int = 7,
                            interval: float = 0.9, *, n_draws: int | None = 200,
                            random_seed: int | None = None) -> pd.DataFrame:
        """Posterior predictive check: customers by number of repeat purchases in calibration.

        For each draw, the customers sharing an observation length ``T`` are split over
        0, 1, ..., ``max_frequency`` or more repeat purchases by a multinomial with
        probabilities ``P(X(T) = x)`` (FHL 2005 eq. 8), so the band holds parameter and
        sampling uncertainty.

        Returns
        -------
        DataFrame indexed by ``frequency`` (the last row counts ``max_frequency`` or more) with
        ``observed, mean, lower, upper``.
        """
        from clvkit.bayes._base import interval_frame

        if not isinstance(max_frequency, (int, np.integer)) or max_frequency < 1:
            raise DataError(f"max_frequency must be a whole number >= 1, got {max_frequency!r}.")
        cd = self._data(data)
        freq = cd.column("frequency")
        T_values, T_counts = np.unique(cd.column("T"), return_counts=True)
        n = np.arange(max_frequency)
        rng = np.random.default_rng(random_seed)
        draws = self.param_draws(n_draws)
        sims = np.zeros((len(draws), max_frequency + 1))
        for i, p in enumerate(draws):
            for T, count in zip(T_values, T_counts, strict=True):
                pmf = np.clip(bgnbd.purchase_pmf(p, n, float(T)), 0.0, 1.0)
                probs = np.append(pmf, max(0.0, 1.0 - pmf.sum()))
                sims[i] += rng.multinomial(int(count), probs / probs.sum())
        index = pd.Index(np.arange(max_frequency + 1), name="frequency")
        out = interval_frame(sims, _level(interval), index)
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


def chunked_posterior(fn: Any, draws: np.ndarray, rows: np.ndarray, level: float,
                      chunk_cells: int = CHUNK_CELLS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Posterior mean and equal-tailed interval of ``fn(params, rows)`` over ``draws``.

    Rows are taken ``chunk_cells // len(draws)`` at a time, so at most ``chunk_cells`` values
    (draws x rows) are held at once; ``fn`` is called once per draw and chunk on unique rows.
    """
    n_draws = len(draws)
    step = max(1, int(chunk_cells) // max(1, n_draws))
    tail = (1.0 - level) / 2.0
    mean = np.empty(len(rows))
    lower = np.empty(len(rows))
    upper = np.empty(len(rows))
    for start in range(0, len(rows), step):
        chunk = rows[start:start + step]
        values = np.empty((n_draws, len(chunk)))
        for i, params in enumerate(draws):
            values[i] = fn(params, chunk)
        mean[start:start + step] = values.mean(axis=0)
        lower[start:start + step], upper[start:start + step] = np.quantile(values, [tail, 1.0 - tail], axis=0)
    return mean, lower, upper


def _mle_start(rows: np.ndarray, w: np.ndarray, unit: str) -> dict[str, float] | None:
    """Maximum-likelihood start for the free variables, or None if the MLE is unusable."""
    import warnings

    from clvkit.errors import ConvergenceWarning
    from clvkit.models.beta_geo import BetaGeo as _MLEBetaGeo

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


def _spend(spend: Any, cd: CustomerData) -> Any:
    if spend is None:
        return 1.0
    if isinstance(spend, pd.Series):
        values = spend.reindex(cd.index)
        fail_rows(values, values.isna().to_numpy(), "spend", "is missing for some customers",
                  "Give a spend for every customer of the data (same index).")
        fail_rows(values, values.to_numpy(dtype=float) < 0, "spend", "is negative")
        return values
    value = float(spend)
    if not np.isfinite(value) or value < 0:
        raise DataError(f"spend must be None, a number >= 0 or a Series per customer, got {spend!r}.")
    return value
