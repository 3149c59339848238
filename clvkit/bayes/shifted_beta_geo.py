"""Bayesian shifted-beta-geometric retention: one cohort, or many with partial pooling."""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from scipy.special import betaln, expit, hyp2f1

from clvkit.bayes._base import BayesModel, PriorSpec, _level, interval_frame
from clvkit.data.periods import validate_survival
from clvkit.data.units import check_unit, per_period_rate
from clvkit.errors import DataError, fail_rows


class ShiftedBetaGeo(BayesModel):
    """sBG contract renewals with posterior uncertainty; young cohorts borrow from old ones.

    Each customer churns at the end of every period with a constant probability ``theta``;
    across a cohort's customers ``theta ~ Beta(alpha_c, beta_c)``. Each cohort's beta is
    written through its mean ``m_c = alpha_c / (alpha_c + beta_c)`` (mean churn probability)
    and concentration ``k_c = alpha_c + beta_c``:

    ``logit m_c = logit_mean + x_c' coef_logit_mean + sigma_logit_mean * z_c``,
    ``log k_c = log_concentration + x_c' coef_log_concentration + sigma_log_concentration * u_c``,

    with ``z_c, u_c ~ Normal(0, 1)`` (non-centred offsets) when several cohorts are pooled, and
    ``x_c`` optional cohort covariates. One cohort (or ``pooling=False``) drops the offsets.

    Parameters
    ----------
    unit : str
        Length of one renewal period (``"Y"``, ``"Q"``, ``"M"``, ``"W"`` or ``"D"``); annual
        discount rates are converted to it.
    priors : dict, optional
        Overrides of :attr:`default_priors`, e.g.
        ``{"log_concentration": {"dist": "Normal", "mu": 2.0, "sigma": 1.0}}``.
    pooling : bool
        True (default): cohorts share a population distribution (partial pooling). False:
        every cohort gets its own ``logit_mean`` and ``log_concentration`` with the same
        priors (no pooling).

    Attributes
    ----------
    idata_ : arviz.InferenceData
        Posterior: ``alpha``, ``beta`` (per cohort) and the population parameters.
    cohorts_ : list of str
        Cohort labels in model order (``"all"`` for a single unnamed cohort).
    n_periods_ : dict
        Last observed period per cohort.
    last_alive_ : dict
        Customers alive at each cohort's last observed period.
    size_ : dict
        Customers of each cohort at period 0.
    covariates_ : pandas.DataFrame or None
        Cohort covariates used in the fit.
    unit_ : str
        Period length.
    divergences_, sampler_
        See :class:`~clvkit.bayes._base.BayesModel`.

    Notes
    -----
    Likelihood: Fader & Hardie (2007), "How to project customer retention", Journal of
    Interactive Marketing 21(1), eq. (4)-(6): ``P(T = t) = B(alpha+1, beta+t-1) / B(alpha, beta)``
    for the customers lost in period t and ``S(t) = B(alpha, beta+t) / B(alpha, beta)`` for those
    still active at the last period (right-censored), weighted by the counts. Retention
    ``r(t) = (beta+t-1) / (alpha+beta+t-1)`` (FH 2007 eq. 8). DEL and DERL: Fader & Hardie (2010),
    Marketing Science 29(1), 85-93, eq. (3) and (6). The hierarchy on (logit mean, log
    concentration) is ours: the paper fits one cohort by maximum likelihood.

    Default priors (``default_priors``): ``logit_mean ~ Normal(0, 1.5)`` (mean churn between
    5% and 95% a priori), ``log_concentration ~ Normal(1, 1.5)`` (``alpha + beta`` between
    0.14 and 55), ``sigma_* ~ HalfNormal(0.5)``, ``coef_* ~ Normal(0, 1)`` per covariate
    (standardise covariates first).

    Examples
    --------
    >>> import clvkit as ck
    >>> counts = ck.datasets.load_retention_example("regular")
    >>> b = ck.bayes.ShiftedBetaGeo().fit(counts, periods=7, draws=500, random_seed=1)  # doctest: +SKIP
    >>> b.survival(range(8, 13), interval=0.9)  # doctest: +SKIP
    """

    default_priors: ClassVar[dict[str, PriorSpec]] = {
        "logit_mean": {"dist": "Normal", "mu": 0.0, "sigma": 1.5},
        "log_concentration": {"dist": "Normal", "mu": 1.0, "sigma": 1.5},
        "sigma_logit_mean": {"dist": "HalfNormal", "sigma": 0.5},
        "sigma_log_concentration": {"dist": "HalfNormal", "sigma": 0.5},
        "coef_logit_mean": {"dist": "Normal", "mu": 0.0, "sigma": 1.0},
        "coef_log_concentration": {"dist": "Normal", "mu": 0.0, "sigma": 1.0},
    }
    summary_vars: ClassVar[tuple[str, ...]] = (
        "alpha", "beta", "logit_mean", "log_concentration", "sigma_logit_mean",
        "sigma_log_concentration", "coef_logit_mean", "coef_log_concentration")

    def __init__(self, unit: str = "Y", *, priors: dict[str, PriorSpec] | None = None,
                 pooling: bool = True) -> None:
        super().__init__(priors=priors)
        self.unit = unit
        self.pooling = pooling

    def _init_kwargs(self) -> dict[str, Any]:
        return {"unit": self.unit, "priors": self.priors, "pooling": self.pooling}

    # ------------------------------------------------------------------ fitting
    def fit(self, data: pd.DataFrame, periods: int | None = None, *,
            covariates: pd.DataFrame | None = None, draws: int = 1000, tune: int = 1000,
            chains: int = 2, random_seed: int | None = None, sampler: str = "nutpie",
            target_accept: float = 0.9, progress: bool = False) -> Self:
        """Sample the posterior given alive counts of one or several cohorts.

        Parameters
        ----------
        data
            ``period, alive`` (one cohort, e.g. ``load_retention_example("regular")``) or
            ``cohort, period, alive`` (several, e.g. ``clvkit.data.periods.cohort_survival``).
            Each cohort needs period 0 (its size) and every period up to its last.
        periods
            Use periods ``0..periods`` only (e.g. 7: fit years 1-7, hold out 8-12).
        covariates
            Optional cohort-level covariates: numeric columns, indexed by cohort label.
        draws, tune, chains, random_seed
            NUTS settings: draws kept per chain, warm-up draws per chain, chains, seed.
        sampler
            ``"nutpie"`` (default) or ``"pymc"``.
        target_accept
            NUTS target acceptance rate.
        progress
            Show the sampler's progress bar.

        Returns
        -------
        self
        """
        churn, last, survivors = self._prepare(data, periods, covariates)
        model = self._build(churn, last, survivors)
        self._sample(model, draws=draws, tune=tune, chains=chains, random_seed=random_seed,
                     sampler=sampler, target_accept=target_accept, progress=progress)
        return self

    def _prepare(self, data: pd.DataFrame, periods: int | None,
                 covariates: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Validate the counts; set the cohort attributes; return churn, last period, survivors."""
        self.unit_ = check_unit(self.unit)
        table_unit = getattr(data, "attrs", {}).get("unit")
        if table_unit is not None and check_unit(table_unit) != self.unit_:
            raise DataError(f"bayes.ShiftedBetaGeo(unit={self.unit_!r}) got a survival table in periods "
                            f"of {table_unit!r}; build the model with unit={table_unit!r}.")
        table = validate_survival(data, periods)
        self.cohorts_ = list(dict.fromkeys(table["cohort"]))
        groups = {c: g for c, g in table.groupby("cohort", sort=False)}
        self.n_periods_ = {c: int(groups[c]["period"].max()) for c in self.cohorts_}
        self.last_alive_ = {c: float(groups[c]["alive"].iloc[-1]) for c in self.cohorts_}
        self.size_ = {c: float(groups[c]["alive"].iloc[0]) for c in self.cohorts_}
        self.covariates_ = _check_covariates(covariates, self.cohorts_)
        n_max = max(self.n_periods_.values())
        churn = np.zeros((len(self.cohorts_), n_max))
        for i, c in enumerate(self.cohorts_):
            alive = groups[c]["alive"].to_numpy(dtype=float)
            churn[i, :len(alive) - 1] = alive[:-1] - alive[1:]
        last = np.array([self.n_periods_[c] for c in self.cohorts_], dtype=float)
        survivors = np.array([self.last_alive_[c] for c in self.cohorts_])
        return churn, last, survivors

    def _pooled(self) -> bool:
        return bool(self.pooling) and len(self.cohorts_) > 1

    def _build(self, churn: np.ndarray, last: np.ndarray, survivors: np.ndarray) -> Any:
        """The PyMC model: priors, cohort parameters, and the weighted sBG log-likelihood."""
        import pymc as pm
        import pytensor.tensor as pt

        priors = self._priors()
        coords: dict[str, Any] = {"cohort": self.cohorts_}
        x = None
        if self.covariates_ is not None:
            coords["covariate"] = list(self.covariates_.columns)
            x = self.covariates_.loc[self.cohorts_].to_numpy(dtype=float)
        n = len(self.cohorts_)
        with pm.Model(coords=coords) as model:
            if self.pooling or n == 1:
                lm = self._prior_rv("logit_mean", priors["logit_mean"])
                lc = self._prior_rv("log_concentration", priors["log_concentration"])
            else:
                lm = self._prior_rv("logit_mean", priors["logit_mean"], dims="cohort")
                lc = self._prior_rv("log_concentration", priors["log_concentration"], dims="cohort")
            lm_c = lm * pt.ones(n)
            lc_c = lc * pt.ones(n)
            if x is not None:
                coef_m = self._prior_rv("coef_logit_mean", priors["coef_logit_mean"], dims="covariate")
                coef_k = self._prior_rv("coef_log_concentration", priors["coef_log_concentration"],
                                        dims="covariate")
                lm_c = lm_c + pt.dot(x, coef_m)
                lc_c = lc_c + pt.dot(x, coef_k)
            if self._pooled():
                s_m = self._prior_rv("sigma_logit_mean", priors["sigma_logit_mean"])
                s_k = self._prior_rv("sigma_log_concentration", priors["sigma_log_concentration"])
                z_m = pm.Normal("z_logit_mean", 0.0, 1.0, dims="cohort")
                z_k = pm.Normal("z_log_concentration", 0.0, 1.0, dims="cohort")
                lm_c = lm_c + s_m * z_m
                lc_c = lc_c + s_k * z_k
            mean = pt.sigmoid(lm_c)
            conc = pt.exp(lc_c)
            alpha = pm.Deterministic("alpha", mean * conc, dims="cohort")
            beta = pm.Deterministic("beta", (1.0 - mean) * conc, dims="cohort")
            churn_data = pm.Data("churn", churn)
            survivors_data = pm.Data("survivors", survivors)
            pm.Potential("loglik", sbg_loglik_graph(alpha, beta, churn_data, last, survivors_data,
                                                    n_max=churn.shape[1]))
        return model

    # ------------------------------------------------------------------ posterior draws
    def _alpha_beta(self, cohort: Any = None, n_draws: int | None = None,
                    random_seed: int | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Draws of (alpha, beta), shape ``(n, k)``, for ``k`` cohorts and their labels.

        ``cohort=None``: every fitted cohort; a label: that cohort; ``"new"``: a cohort not
        yet seen, drawn from the population distribution (covariates at 0).
        """
        self._check_fitted()
        alpha = self._draws("alpha", n_draws)
        beta = self._draws("beta", n_draws)
        if cohort is None:
            return alpha, beta, list(self.cohorts_)
        if cohort == "new":
            if not self._pooled():
                raise DataError("cohort='new' needs a pooled fit of several cohorts "
                                "(pooling=True); with one cohort, ask for that cohort.")
            rng = np.random.default_rng(random_seed)
            lm = self._draws("logit_mean", n_draws)
            lc = self._draws("log_concentration", n_draws)
            lm = lm + self._draws("sigma_logit_mean", n_draws) * rng.standard_normal(len(lm))
            lc = lc + self._draws("sigma_log_concentration", n_draws) * rng.standard_normal(len(lc))
            mean, conc = expit(lm), np.exp(lc)
            return (mean * conc)[:, None], ((1 - mean) * conc)[:, None], ["new"]
        label = str(cohort)
        if label not in self.cohorts_:
            raise DataError(f"unknown cohort {cohort!r}; fitted cohorts are {self.cohorts_[:10]} "
                            "(or 'new' for an unseen one).")
        j = self.cohorts_.index(label)
        return alpha[:, [j]], beta[:, [j]], [label]

    def _frame(self, values: np.ndarray, labels: list[str], keys: np.ndarray, key_name: str,
               level: float, single: bool) -> pd.DataFrame:
        """values (n, k, m) -> mean/lower/upper indexed by key (one cohort) or (cohort, key)."""
        if single:
            index: pd.Index = pd.Index(keys, name=key_name)
        else:
            index = pd.MultiIndex.from_product([labels, keys], names=["cohort", key_name])
        return interval_frame(values, level, index)

    def _single(self, labels: list[str], cohort: Any) -> bool:
        return cohort is not None or len(labels) == 1

    # ------------------------------------------------------------------ predictions
    def survival(self, periods: Any, interval: float = 0.94, *, cohort: Any = None,
                 n_draws: int | None = None, random_seed: int | None = None) -> pd.DataFrame:
        """Posterior of S(t), the share of a cohort still active after ``t`` periods.

        Parameters
        ----------
        periods
            Whole numbers >= 0 (S(0) = 1).
        interval
            Coverage of the equal-tailed credible interval (``lower``, ``upper``).
        cohort
            None (every fitted cohort), a cohort label, or ``"new"`` (an unseen cohort drawn
            from the population distribution; pooled fits only).
        n_draws
            Thin the posterior to this many draws (default: all).
        random_seed
            Seed of the offsets drawn for ``cohort="new"``.

        Returns
        -------
        DataFrame with ``mean, lower, upper``, indexed by ``period`` (one cohort) or
        ``(cohort, period)``. ``S(t) = B(alpha, beta+t) / B(alpha, beta)`` (FH 2007 eq. 6).
        """
        t = _periods(periods)
        a, b, labels = self._alpha_beta(cohort, n_draws, random_seed)
        values = survival(a[..., None], b[..., None], t)
        return self._frame(values, labels, t, "period", _level(interval), self._single(labels, cohort))

    def retention(self, periods: Any, interval: float = 0.94, *, cohort: Any = None,
                  n_draws: int | None = None, random_seed: int | None = None) -> pd.DataFrame:
        """Posterior of r(t) = S(t) / S(t-1), the renewal rate in period ``t >= 1`` (FH 2007 eq. 8).

        Same arguments and layout as :meth:`survival`.
        """
        t = _periods(periods, low=1)
        a, b, labels = self._alpha_beta(cohort, n_draws, random_seed)
        values = retention(a[..., None], b[..., None], t)
        return self._frame(values, labels, t, "period", _level(interval), self._single(labels, cohort))

    def discounted_lifetime(self, discount_rate: float, interval: float = 0.94, *,
                            cohort: Any = None, n_draws: int | None = None,
                            random_seed: int | None = None) -> pd.DataFrame:
        """Posterior of DEL, the discounted expected lifetime (in payments) of a new customer.

        ``DEL = 2F1(1, beta; alpha+beta; 1/(1+d)) = sum_{t>=0} S(t)/(1+d)^t`` (FH 2010 eq. 3):
        the first payment counts undiscounted. ``discount_rate`` is an ANNUAL effective rate,
        converted to the model's period. Returns ``mean, lower, upper`` per cohort.
        """
        d = per_period_rate(discount_rate, self._unit())
        a, b, labels = self._alpha_beta(cohort, n_draws, random_seed)
        values = hyp2f1(1.0, b, a + b, 1.0 / (1.0 + d))
        return interval_frame(values, _level(interval), pd.Index(labels, name="cohort"))

    def discounted_residual_lifetime(self, discount_rate: float, renewals: Any = 0,
                                     interval: float = 0.94, *, cohort: Any = None,
                                     n_draws: int | None = None,
                                     random_seed: int | None = None) -> pd.DataFrame:
        """Posterior of DERL for a customer who has made ``renewals`` renewals (FH 2010 eq. 6).

        ``DERL = (beta+n-1)/(alpha+beta+n-1) * 2F1(1, beta+n; alpha+beta+n; 1/(1+d))`` with
        ``n - 1 = renewals``; it equals ``sum_{t>=n} S(t | T > n-1) / (1+d)^(t-n)``: the
        customer stands just before her next renewal decision, whose payment counts
        undiscounted. ``discount_rate`` is an ANNUAL effective rate.

        Returns
        -------
        DataFrame with ``mean, lower, upper`` indexed by ``renewals`` (one cohort) or
        ``(cohort, renewals)``.
        """
        d = per_period_rate(discount_rate, self._unit())
        n = _periods(renewals)
        a, b, labels = self._alpha_beta(cohort, n_draws, random_seed)
        values = derl(a[..., None], b[..., None], d, n)
        return self._frame(values, labels, n, "renewals", _level(interval), self._single(labels, cohort))

    def renewal_probability(self, customers: Any, interval: float = 0.94, *,
                            n_draws: int | None = None) -> pd.DataFrame:
        """Posterior probability that each customer renews at the end of her current period.

        A customer who has made ``n`` renewals (tenure ``n`` periods past the first) renews
        next with probability ``(beta+n)/(alpha+beta+n)`` given (alpha, beta) (FH 2007: the
        posterior of her churn probability is Beta(alpha, beta+n)). The ``mean`` column averages
        over the posterior (the posterior predictive probability); ``lower, upper`` are the
        credible interval of the probability.

        Parameters
        ----------
        customers
            A DataFrame with column ``renewals`` (and ``cohort`` when several cohorts were
            fitted), one row per customer; or an array of renewal counts (one cohort).
        """
        frame = customers if isinstance(customers, pd.DataFrame) else pd.DataFrame(
            {"renewals": np.atleast_1d(np.asarray(customers))})
        if "renewals" not in frame.columns:
            raise DataError(f"customers needs a 'renewals' column (renewals made so far); it has "
                            f"{list(frame.columns)}.")
        ren = pd.to_numeric(frame["renewals"], errors="coerce").to_numpy(dtype=float)
        fail_rows(frame, ~np.isfinite(ren) | (ren < 0) | (ren != np.round(ren)), "renewals",
                  "is not a whole number >= 0")
        if "cohort" in frame.columns:
            cohort = frame["cohort"].astype(str).to_numpy()
        elif len(self.cohorts_) == 1:
            cohort = np.full(len(frame), self.cohorts_[0])
        else:
            raise DataError(f"the model was fitted on {len(self.cohorts_)} cohorts; give customers a "
                            "'cohort' column naming each customer's cohort.")
        known = np.isin(cohort, self.cohorts_)
        fail_rows(frame, ~known, "cohort", "is not a fitted cohort",
                  f"Fitted cohorts: {self.cohorts_[:10]}.")
        a, b, _ = self._alpha_beta(None, n_draws)
        j = np.array([self.cohorts_.index(c) for c in cohort], dtype=int)
        keys = pd.MultiIndex.from_arrays([j, ren]).unique()
        kj = keys.get_level_values(0).to_numpy()
        kn = keys.get_level_values(1).to_numpy(dtype=float)
        values = (b[:, kj] + kn) / (a[:, kj] + b[:, kj] + kn)
        out = interval_frame(values, _level(interval), keys)
        where = keys.get_indexer(pd.MultiIndex.from_arrays([j, ren]))
        return pd.DataFrame(out.to_numpy()[where], index=frame.index, columns=out.columns)

    def predict_alive(self, periods: Any, interval: float = 0.94, *, n_draws: int | None = None,
                      random_seed: int | None = None) -> pd.DataFrame:
        """Posterior predictive count of customers still active in future ``periods``, per cohort.

        Conditional on each cohort's count ``N_P`` at its last observed period ``P``: given
        (alpha, beta), the customers still active at ``t - 1`` each renew independently with
        probability ``r(t) = (beta+t-1)/(alpha+beta+t-1)`` (their churn probability's
        posterior is Beta(alpha, beta+t-1)), so ``N_t ~ Binomial(N_{t-1}, r(t))`` exactly.
        Drawn for each posterior draw; the band includes both parameter and binomial
        uncertainty. Periods at or before ``P`` return the observed count.

        Returns
        -------
        DataFrame with ``mean, lower, upper`` indexed by ``period`` (one cohort) or
        ``(cohort, period)``.
        """
        t = _periods(periods)
        level = _level(interval)
        rng = np.random.default_rng(random_seed)
        a, b, labels = self._alpha_beta(None, n_draws)
        frames = []
        for j, c in enumerate(labels):
            last, n_last = self.n_periods_[c], self.last_alive_[c]
            horizon = int(max(t.max(), last))
            counts = np.full(len(a), n_last)
            path = np.empty((len(a), horizon + 1))
            path[:, :last + 1] = np.nan
            path[:, last] = n_last
            for step in range(last + 1, horizon + 1):
                counts = rng.binomial(counts.astype(np.int64), retention(a[:, j], b[:, j], step))
                path[:, step] = counts
            values = path[:, t]
            observed = t <= last
            values[:, observed] = np.nan
            frame = interval_frame(np.nan_to_num(values), level, pd.Index(t, name="period"))
            if observed.any():
                frame.loc[t[observed], ["mean", "lower", "upper"]] = np.nan
            frames.append(frame)
        if len(labels) == 1:
            return frames[0]
        return pd.concat(frames, keys=labels, names=["cohort", "period"])

    # ------------------------------------------------------------------ persistence
    def _unit(self) -> str:
        self._check_fitted()
        return self.unit_

    def _state(self) -> dict[str, Any]:
        cov = None if self.covariates_ is None else {
            "columns": list(self.covariates_.columns), "index": list(self.covariates_.index),
            "values": self.covariates_.to_numpy().tolist()}
        return {"unit": self.unit_, "cohorts": self.cohorts_, "n_periods": self.n_periods_,
                "last_alive": self.last_alive_, "size": self.size_, "covariates": cov}

    def _restore(self, state: dict[str, Any]) -> None:
        self.unit_ = state["unit"]
        self.cohorts_ = list(state["cohorts"])
        self.n_periods_ = {k: int(v) for k, v in state["n_periods"].items()}
        self.last_alive_ = {k: float(v) for k, v in state["last_alive"].items()}
        self.size_ = {k: float(v) for k, v in state["size"].items()}
        cov = state.get("covariates")
        self.covariates_ = None if cov is None else pd.DataFrame(
            cov["values"], index=cov["index"], columns=cov["columns"])


# ---------------------------------------------------------------------- maths (numpy)
def survival(alpha: Any, beta: Any, t: Any) -> np.ndarray:
    """``S(t) = B(alpha, beta+t) / B(alpha, beta)``, FH (2007) eq. (6); broadcasts."""
    return np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))


def retention(alpha: Any, beta: Any, t: Any) -> np.ndarray:
    """``r(t) = (beta+t-1) / (alpha+beta+t-1)`` for t >= 1, FH (2007) eq. (8); broadcasts."""
    return (beta + t - 1.0) / (alpha + beta + t - 1.0)


def derl(alpha: Any, beta: Any, d: float, renewals: Any) -> np.ndarray:
    """DERL of FH (2010) eq. (6) with ``n - 1 = renewals``; broadcasts."""
    n = np.asarray(renewals, dtype=float) + 1.0
    return (beta + n - 1.0) / (alpha + beta + n - 1.0) * hyp2f1(1.0, beta + n, alpha + beta + n,
                                                                1.0 / (1.0 + d))


def sbg_loglik_graph(alpha: Any, beta: Any, churn: Any, last: np.ndarray, survivors: Any,
                     n_max: int | None = None) -> Any:
    """Total sBG log-likelihood of alive counts as a pytensor expression (FH 2007 eq. 7).

    ``alpha, beta``: (C,) cohort parameters; ``churn[c, t-1]`` customers of cohort c lost in
    period t (0 past its last period); ``survivors[c]`` still active at period ``last[c]``.
    ``log P(T=t) = log alpha + lnG(beta+t-1) - lnG(beta) - lnG(alpha+beta+t) + lnG(alpha+beta)``.
    ``churn`` and ``survivors`` may be arrays or pytensor data (then give ``n_max``, the number
    of columns of ``churn``).
    """
    import pytensor.tensor as pt

    t = np.arange(1, (churn.shape[1] if n_max is None else n_max) + 1, dtype=float)
    a = alpha[:, None]
    b = beta[:, None]
    base = pt.gammaln(a + b) - pt.gammaln(b)
    log_p = pt.log(a) + pt.gammaln(b + t - 1.0) - pt.gammaln(a + b + t) + base
    log_s = (pt.gammaln(beta + last) - pt.gammaln(alpha + beta + last)
             + pt.gammaln(alpha + beta) - pt.gammaln(beta))
    return pt.sum(churn * log_p) + pt.sum(survivors * log_s)


def _periods(periods: Any, low: int = 0) -> np.ndarray:
    t = np.atleast_1d(np.asarray(periods, dtype=float))
    if t.size == 0 or np.any(~np.isfinite(t)) or np.any(t < low) or np.any(t != np.round(t)):
        raise DataError(f"periods must be whole numbers >= {low}, got {periods!r}.")
    return t.astype(np.int64)


def _check_covariates(covariates: pd.DataFrame | None, cohorts: list[str]) -> pd.DataFrame | None:
    if covariates is None:
        return None
    if not isinstance(covariates, pd.DataFrame) or covariates.shape[1] == 0:
        raise DataError("covariates must be a DataFrame of numeric columns indexed by cohort label.")
    frame = covariates.copy()
    frame.index = frame.index.astype(str)
    missing = [c for c in cohorts if c not in frame.index]
    if missing:
        raise DataError(f"covariates lack {len(missing)} of {len(cohorts)} cohorts "
                        f"(first: {missing[0]!r}); index the covariates by cohort label.")
    frame = frame.loc[cohorts]
    for col in frame.columns:
        values = pd.to_numeric(frame[col], errors="coerce")
        fail_rows(frame, ~np.isfinite(values.to_numpy(dtype=float)), str(col),
                  "is missing, infinite or not numeric", "Covariates must be finite numbers.")
        frame[col] = values.astype(float)
    frame.columns = [str(c) for c in frame.columns]
    return frame
