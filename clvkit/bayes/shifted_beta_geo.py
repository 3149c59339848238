"""Bayesian shifted-beta-geometric retention: one cohort, or many with partial pooling."""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from scipy.special import betaln, expit, hyp2f1

from clvkit._contract import check_interval, register, renamed
from clvkit.bayes._base import BayesModel, PriorSpec, interval_frame, point_or_frame, thin_index
from clvkit.data.periods import validate_survival
from clvkit.data.units import check_unit, per_period_rate
from clvkit.errors import DataError, fail_rows
from clvkit.io import jsonable


@register("bayes.ShiftedBetaGeo", "retention")
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
    params_ : pandas.Series
        Posterior means of the rows of :meth:`summary`. One cohort: ``alpha, beta``, then
        ``logit_mean, log_concentration`` (and covariate coefficients). Several cohorts pooled:
        ``alpha, beta`` of the population centre (``alpha = m k``, ``beta = (1 - m) k`` with
        ``logit m = logit_mean``, ``log k = log_concentration``, per draw: a cohort with zero
        offsets and covariates at 0), then ``alpha[c], beta[c]`` per cohort, then the population
        parameters. Several cohorts without pooling: ``alpha[c], beta[c]`` and
        ``logit_mean[c], log_concentration[c]`` (there is no population).
    n_obs_ : float
        Customers at period 0, over all cohorts.
    converged_, data_provenance_
        See :class:`~clvkit.bayes._base.BayesModel`.
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
    >>> b.predict(counts, interval=0.9)  # survival, retention, expected_alive by period  # doctest: +SKIP
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
    param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta")

    def __init__(self, *, unit: str = "Y", priors: dict[str, PriorSpec] | None = None,
                 pooling: bool = True) -> None:
        super().__init__(priors=priors)
        self.unit = unit
        self.pooling = pooling

    # ------------------------------------------------------------------ fitting
    def fit(self, data: pd.DataFrame, *, periods: int | None = None, weights: Any = None,
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
        weights
            Not used: the alive counts are the weights. Must be None.
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
        if weights is not None:
            raise DataError("bayes.ShiftedBetaGeo.fit takes no weights: the alive counts already say how "
                            "many customers each period stands for.")
        self._check_sampling(draws=draws, tune=tune, chains=chains, sampler=sampler,
                             target_accept=target_accept)
        for name in ("idata_", "params_", "converged_"):  # a refit starts from scratch
            self.__dict__.pop(name, None)
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
        self.n_obs_ = float(sum(self.size_.values()))
        given = getattr(data, "attrs", {}).get("provenance")
        self.data_provenance_ = jsonable({**(given if isinstance(given, dict) else {}),
                                           "cohorts": len(self.cohorts_),
                                           "periods": max(self.n_periods_.values())})
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

    def _summary_arrays(self) -> list[tuple[str, Any]]:
        """alpha, beta (one cohort: unlabelled; pooled: the population centre, then per cohort), then
        the population parameters: the rows of :meth:`summary` and of ``params_``."""
        post = self.idata_.posterior
        items: list[tuple[str, Any]] = []
        if len(self.cohorts_) == 1:
            items += [(v, post[v].isel(cohort=0, drop=True)) for v in ("alpha", "beta")]
        else:
            if self._pooled():  # a cohort with zero offsets and covariates at 0
                mean = 1.0 / (1.0 + np.exp(-post["logit_mean"]))
                conc = np.exp(post["log_concentration"])
                items += [("alpha", mean * conc), ("beta", (1.0 - mean) * conc)]
            items += [("alpha", post["alpha"]), ("beta", post["beta"])]
        return items + [(v, post[v]) for v in self.summary_vars[2:] if v in post]

    def _frame(self, values: np.ndarray, labels: list[str], keys: np.ndarray, key_name: str,
               level: float | None, single: bool, name: str, subset: np.ndarray | None = None) -> pd.DataFrame:
        """values (n, k, m) -> ``name`` (+ bounds) indexed by key (one cohort) or (cohort, key)."""
        if single:
            index: pd.Index = pd.Index(keys, name=key_name)
        else:
            index = pd.MultiIndex.from_product([labels, keys], names=["cohort", key_name])
        return interval_frame(values, level, index, name, subset)

    def _single(self, labels: list[str], cohort: Any) -> bool:
        return cohort is not None or len(labels) == 1

    def _quantity(self, name: str, values: np.ndarray, labels: list[str], keys: np.ndarray,
                  key_name: str, interval: float | None, cohort: Any) -> pd.Series | pd.DataFrame:
        frame = self._frame(values, labels, keys, key_name, check_interval(interval),
                            self._single(labels, cohort), name)
        return point_or_frame(frame, name, interval)

    # ------------------------------------------------------------------ predictions
    def predict(self, data: Any = None, horizon: int | None = None, *, interval: float | None = None,
                n_draws: int = 1000, random_seed: int | None = None, cohort: Any = None) -> pd.DataFrame:
        """Posterior means of survival, retention and expected alive customers by period.

        Parameters
        ----------
        data
            A survival table (``period, alive`` or ``cohort, period, alive``): its periods and
            cohorts are predicted, and each cohort's customers at period 0 set its size for
            ``expected_alive``; or a sequence of periods (every fitted cohort, size 1); or None:
            periods ``0..horizon-1`` (default: up to 5 past the longest fitted cohort), size 1.
        horizon
            Number of periods from period 0 (periods ``0..horizon-1``); overrides the periods
            of ``data``.
        interval
            If given (e.g. 0.9), each quantity ``q`` is followed by ``q_lower, q_upper``: the
            equal-tailed credible interval over the draws.
        n_draws
            Evenly thinned posterior draws for the interval (all when the posterior has fewer).
            The point value is the mean over every posterior draw, whatever ``n_draws``.
        random_seed
            Seed of the cohort offsets drawn for ``cohort="new"``; the same seed gives the same
            frame, ``None`` fresh randomness there. Fitted cohorts use no randomness.
        cohort
            Predict only this fitted cohort, or ``"new"``: a cohort not yet seen, drawn from the
            population distribution (pooled fits of several cohorts only).

        Returns
        -------
        DataFrame indexed by ``period`` (one cohort) or ``(cohort, period)`` with ``survival``
        S(t) (FH 2007 eq. 6), ``retention`` r(t) = S(t) / S(t-1) (eq. 8; NaN at period 0) and
        ``expected_alive`` = cohort size x S(t), unconditional on the counts seen so far.
        """
        self._check_fitted()
        level = check_interval(interval)
        t, sizes, table = self._prediction_periods(data, horizon)
        if cohort is not None:
            a, b, labels = self._alpha_beta(cohort, None, random_seed)
            size = np.array([self._table_size(sizes, str(cohort), table)])
        else:
            a, b, labels = self._alpha_beta(None, None)
            if table is not None:
                wanted = self._table_cohorts(sizes)
                j = [labels.index(c) for c in wanted]
                a, b, labels = a[:, j], b[:, j], wanted
                size = np.array([sizes[c] for c in self._table_labels(sizes, wanted)])
            else:
                size = np.ones(len(labels))
        surv = survival(a[..., None], b[..., None], t)
        ret = np.where(t >= 1, retention(a[..., None], b[..., None], np.maximum(t, 1)), np.nan)
        single = self._single(labels, cohort)
        subset = thin_index(len(a), n_draws)
        parts = [self._frame(values, labels, t, "period", level, single, name, subset) for name, values in
                 (("survival", surv), ("retention", ret), ("expected_alive", size[None, :, None] * surv))]
        return pd.concat(parts, axis=1)

    def _prediction_periods(self, data: Any, horizon: Any) -> tuple[np.ndarray, dict[str, float], Any]:
        """Periods to predict, cohort sizes from a survival table (by label), and the table."""
        table = None
        t = None
        sizes: dict[str, float] = {}
        if isinstance(data, pd.DataFrame):
            table_unit = data.attrs.get("unit")
            if table_unit is not None and check_unit(table_unit) != self._unit():
                raise DataError(f"bayes.ShiftedBetaGeo was fitted with unit={self.unit_!r} but the survival "
                                f"table is in unit {table_unit!r} (its attrs['unit']); give periods of "
                                f"{self.unit_!r}.")
            table = validate_survival(data)
            t = np.sort(table["period"].unique()).astype(np.int64)
            sizes = {str(c): float(g.loc[g["period"] == 0, "alive"].sum())
                     for c, g in table.groupby("cohort", sort=False)}
        elif data is not None:
            t = _periods(data)
        if horizon is not None:
            h = np.atleast_1d(np.asarray(horizon, dtype=float)) if np.isscalar(horizon) else np.array([])
            if h.size != 1 or not np.isfinite(h[0]) or h[0] < 1 or h[0] != np.round(h[0]):
                raise DataError(f"horizon must be one whole number of periods >= 1, got {horizon!r}.")
            t = np.arange(int(h[0]), dtype=np.int64)
        if t is None:
            t = np.arange(max(self.n_periods_.values()) + 6, dtype=np.int64)
        return t, sizes, table

    def _table_cohorts(self, sizes: dict[str, float]) -> list[str]:
        """Fitted cohorts named by a survival table (one unnamed cohort: the model's only one)."""
        if list(sizes) == ["all"] and "all" not in self.cohorts_:
            if len(self.cohorts_) == 1:
                return list(self.cohorts_)
            raise DataError(f"the model was fitted on {len(self.cohorts_)} cohorts but the table has no "
                            "'cohort' column; add one, or pass cohort=.")
        unknown = [c for c in sizes if c not in self.cohorts_]
        if unknown:
            raise DataError(f"the table names {len(unknown)} cohort(s) the model was not fitted on "
                            f"(first: {unknown[0]!r}); fitted cohorts: {self.cohorts_[:10]}. For an unseen "
                            "cohort pass cohort='new'.")
        return list(sizes)

    def _table_labels(self, sizes: dict[str, float], wanted: list[str]) -> list[str]:
        return list(sizes) if list(sizes) == ["all"] else wanted

    @staticmethod
    def _table_size(sizes: dict[str, float], label: str, table: Any) -> float:
        if table is None:
            return 1.0
        if len(sizes) == 1:
            return next(iter(sizes.values()))
        if label not in sizes:
            raise DataError(f"cohort={label!r} is not in the survival table, whose cohorts are "
                            f"{list(sizes)[:10]}; its size is unknown.")
        return sizes[label]

    def survival(self, periods: Any, interval: float | None = None, *, cohort: Any = None,
                 n_draws: int | None = None, random_seed: int | None = None) -> pd.Series:
        """Posterior mean of S(t), the share of a cohort still active after ``t`` periods.

        Parameters
        ----------
        periods
            Whole numbers >= 0 (S(0) = 1).
        interval
            Deprecated: use ``predict(periods, interval=)``. With it, a DataFrame
            ``survival, survival_lower, survival_upper`` and a FutureWarning.
        cohort
            None (every fitted cohort), a cohort label, or ``"new"`` (an unseen cohort drawn
            from the population distribution; pooled fits only).
        n_draws
            Thin the posterior to this many draws (default: all).
        random_seed
            Seed of the offsets drawn for ``cohort="new"``.

        Returns
        -------
        Series ``survival`` indexed by ``period`` (one cohort) or ``(cohort, period)``.
        ``S(t) = B(alpha, beta+t) / B(alpha, beta)`` (FH 2007 eq. 6).
        """
        if interval is not None:
            renamed("bayes.ShiftedBetaGeo.survival(..., interval=)",
                    "bayes.ShiftedBetaGeo.predict(periods, interval=)")
        t = _periods(periods)
        a, b, labels = self._alpha_beta(cohort, n_draws, random_seed)
        return self._quantity("survival", survival(a[..., None], b[..., None], t), labels, t, "period",
                              interval, cohort)

    def retention(self, periods: Any, interval: float | None = None, *, cohort: Any = None,
                  n_draws: int | None = None, random_seed: int | None = None) -> pd.Series:
        """Posterior mean of r(t) = S(t) / S(t-1), the renewal rate in period ``t >= 1`` (FH 2007 eq. 8).

        Same arguments and layout as :meth:`survival`: a Series ``retention``; ``interval=`` is
        deprecated (use ``predict(periods, interval=)``).
        """
        if interval is not None:
            renamed("bayes.ShiftedBetaGeo.retention(..., interval=)",
                    "bayes.ShiftedBetaGeo.predict(periods, interval=)")
        t = _periods(periods, low=1)
        a, b, labels = self._alpha_beta(cohort, n_draws, random_seed)
        return self._quantity("retention", retention(a[..., None], b[..., None], t), labels, t, "period",
                              interval, cohort)

    def discounted_lifetime(self, discount_rate: float, interval: float | None = None, *,
                            cohort: Any = None, n_draws: int | None = None,
                            random_seed: int | None = None) -> pd.Series | pd.DataFrame:
        """Posterior mean of DEL, the discounted expected lifetime (in payments) of a new customer.

        ``DEL = 2F1(1, beta; alpha+beta; 1/(1+d)) = sum_{t>=0} S(t)/(1+d)^t`` (FH 2010 eq. 3):
        the first payment counts undiscounted. ``discount_rate`` is an ANNUAL effective rate,
        converted to the model's period; it must be > 0 (the sum is over an unbounded future) and
        is checked by :func:`clvkit.data.units.check_discount_rate`.

        Returns
        -------
        Series ``discounted_lifetime`` indexed by ``cohort``; with ``interval`` (e.g. 0.9) a
        DataFrame that adds ``discounted_lifetime_lower, discounted_lifetime_upper``.
        """
        d = per_period_rate(discount_rate, self._unit(), infinite_horizon=True)
        a, b, labels = self._alpha_beta(cohort, n_draws, random_seed)
        values = hyp2f1(1.0, b, a + b, 1.0 / (1.0 + d))
        frame = interval_frame(values, check_interval(interval), pd.Index(labels, name="cohort"),
                               "discounted_lifetime")
        return point_or_frame(frame, "discounted_lifetime", interval)

    def discounted_residual_lifetime(self, discount_rate: float, renewals: Any = 0,
                                     interval: float | None = None, *, cohort: Any = None,
                                     n_draws: int | None = None,
                                     random_seed: int | None = None) -> pd.Series | pd.DataFrame:
        """Posterior mean of DERL for a customer who has made ``renewals`` renewals (FH 2010 eq. 6).

        ``DERL = (beta+n-1)/(alpha+beta+n-1) * 2F1(1, beta+n; alpha+beta+n; 1/(1+d))`` with
        ``n - 1 = renewals``; it equals ``sum_{t>=n} S(t | T > n-1) / (1+d)^(t-n)``: the
        customer stands just before her next renewal decision, whose payment counts
        undiscounted. ``discount_rate`` is an ANNUAL effective rate > 0 (checked by
        :func:`clvkit.data.units.check_discount_rate`).

        Returns
        -------
        Series ``discounted_residual_lifetime`` indexed by ``renewals`` (one cohort) or
        ``(cohort, renewals)``; with ``interval`` a DataFrame that adds
        ``discounted_residual_lifetime_lower, discounted_residual_lifetime_upper``.
        """
        d = per_period_rate(discount_rate, self._unit(), infinite_horizon=True)
        n = _periods(renewals)
        a, b, labels = self._alpha_beta(cohort, n_draws, random_seed)
        values = derl(a[..., None], b[..., None], d, n)
        return self._quantity("discounted_residual_lifetime", values, labels, n, "renewals", interval, cohort)

    def renewal_probability(self, customers: Any, interval: float | None = None, *,
                            n_draws: int | None = None) -> pd.Series | pd.DataFrame:
        """Posterior probability that each customer renews at the end of her current period.

        A customer who has made ``n`` renewals (tenure ``n`` periods past the first) renews
        next with probability ``(beta+n)/(alpha+beta+n)`` given (alpha, beta) (FH 2007: the
        posterior of her churn probability is Beta(alpha, beta+n)). The value averages over the
        posterior (the posterior predictive probability); ``interval`` adds the credible
        interval of the probability.

        Parameters
        ----------
        customers
            A DataFrame with column ``renewals`` (and ``cohort`` when several cohorts were
            fitted), one row per customer; or an array of renewal counts (one cohort).

        Returns
        -------
        Series ``renewal_probability`` indexed like ``customers``; with ``interval`` a
        DataFrame that adds ``renewal_probability_lower, renewal_probability_upper``.
        """
        frame = customers if isinstance(customers, pd.DataFrame) else pd.DataFrame(
            {"renewals": np.atleast_1d(np.asarray(customers))})
        if "renewals" not in frame.columns:
            raise DataError(f"customers needs a 'renewals' column (renewals made so far); it has "
                            f"{list(frame.columns)}.")
        ren = pd.to_numeric(frame["renewals"], errors="coerce").to_numpy(dtype=float)
        fail_rows(frame, ~np.isfinite(ren) | (ren < 0) | (ren != np.round(ren)), "renewals",
                  "is not a whole number >= 0")
        self._check_fitted()
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
        out = interval_frame(values, check_interval(interval), keys, "renewal_probability")
        where = keys.get_indexer(pd.MultiIndex.from_arrays([j, ren]))
        result = pd.DataFrame(out.to_numpy()[where], index=frame.index, columns=out.columns)
        return point_or_frame(result, "renewal_probability", interval)

    def predict_alive(self, periods: Any, interval: float = 0.95, *, n_draws: int | None = None,
                      random_seed: int | None = None) -> pd.DataFrame:
        """Deprecated: use ``predict(...)["expected_alive"]``.

        Note the difference: ``predict`` gives cohort size x S(t), unconditional; this method
        forecasts from each cohort's last observed count (see :meth:`_predictive_alive`).

        Returns
        -------
        DataFrame ``expected_alive, expected_alive_lower, expected_alive_upper`` indexed by
        ``period`` (one cohort) or ``(cohort, period)``.
        """
        renamed("bayes.ShiftedBetaGeo.predict_alive(periods)",
                "bayes.ShiftedBetaGeo.predict(survival_table, interval=)['expected_alive']")
        return self._predictive_alive(periods, interval, n_draws=n_draws, random_seed=random_seed)

    def _predictive_alive(self, periods: Any, interval: float, *, n_draws: int | None = None,
                          random_seed: int | None = None) -> pd.DataFrame:
        """Posterior predictive count of customers still active in future ``periods``, per cohort.

        Conditional on each cohort's count ``N_P`` at its last observed period ``P``: given
        (alpha, beta), the customers still active at ``t - 1`` each renew independently with
        probability ``r(t) = (beta+t-1)/(alpha+beta+t-1)`` (their churn probability's
        posterior is Beta(alpha, beta+t-1)), so ``N_t ~ Binomial(N_{t-1}, r(t))`` exactly.
        Drawn for each posterior draw with ``random_seed``; the band includes both parameter
        and binomial uncertainty. Periods at or before ``P`` are NaN (they were observed).
        """
        t = _periods(periods)
        level = check_interval(interval)
        rng = np.random.default_rng(random_seed)
        a, b, labels = self._alpha_beta(None, n_draws)
        frames = []
        columns = ["expected_alive", "expected_alive_lower", "expected_alive_upper"]
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
            frame = interval_frame(np.nan_to_num(values), level, pd.Index(t, name="period"), "expected_alive")
            if observed.any():
                frame.loc[t[observed], columns] = np.nan
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
        self.n_obs_ = float(sum(self.size_.values()))
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
