"""MLEModel: the base every maximum-likelihood model in clvkit shares.

A model subclass holds only its maths: parameter names, the columns it reads, the
per-row log-likelihood with its gradient, and a starting point. This base does the
compression, the optimisation, the standard errors, the summary, and save/load.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from clvkit._contract import Model, summary_frame
from clvkit.data.customer_data import CustomerData, as_customer_data
from clvkit.data.units import check_unit
from clvkit.errors import ConvergenceWarning, DataError
from clvkit.io import jsonable
from clvkit.models._optimize import OptimumInfo, minimize_negloglik

#: every concrete MLE model class by name, so that clvkit.load can rebuild it from JSON.
MODEL_REGISTRY: dict[str, type[MLEModel]] = {}

#: plausible range of every maximum-likelihood parameter (natural scale, bounds included). The fit
#: searches inside it; a model file or ``from_params`` value outside it is a DataError.
PARAM_RANGE: tuple[float, float] = (1e-8, 1e8)


class MLEModel(Model):
    """Base class: fit by maximum likelihood on compressed rows with weights.

    Parameters
    ----------
    penalizer : float
        L2 penalty ``penalizer * sum(log(params) ** 2)`` on the log-parameters, added to the
        mean negative log-likelihood. 0 (the default) is plain maximum likelihood.

    Attributes
    ----------
    params_ : pandas.Series
        Estimates, indexed by ``param_names``.
    loglik_ : float
        Total log-likelihood at the estimates (comparable with the literature's tables).
    covariance_ : pandas.DataFrame
        Asymptotic covariance of the estimates (inverse observed information, delta method).
    n_obs_ : float
        Number of customers (sum of weights) the model was fitted on.
    n_unique_ : int
        Number of unique rows the likelihood was evaluated on.
    unit_ : str
        Time unit of the data the model was fitted on.
    converged_ : bool
        False if the optimiser warned (see ``fit_info_``).
    fit_info_ : OptimumInfo
        Optimiser details: gradient, Hessian, iterations.

    Notes
    -----
    Every parameter must be finite and inside :attr:`param_range` (``1e-8 <= value <= 1e8`` for
    every model: wider than any estimate seen on real data in days, weeks or years, narrow enough
    that every prediction is evaluated in bounded time). The fit searches inside that range;
    ``from_params`` and model files (``from_dict`` / :func:`clvkit.load`) outside it raise a
    :class:`~clvkit.DataError` naming the parameter and the range.
    """

    #: inclusive plausible range of every parameter; see the class Notes.
    param_range: ClassVar[tuple[float, float]] = PARAM_RANGE

    param_names: ClassVar[tuple[str, ...]] = ()
    columns: ClassVar[tuple[str, ...]] = ()
    #: parameters measured in units of time (they scale with the unit; used in docs/tests).
    time_scale_params: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.param_names:
            MODEL_REGISTRY[cls.__name__] = cls

    # ------------------------------------------------------------------ maths hooks
    def _loglik_and_grad(self, params: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-row log-likelihood (n,) and its gradient in the natural parameters (n, k)."""
        raise NotImplementedError

    def _weighted_loglik_and_grad(self, params: np.ndarray, rows: np.ndarray,
                                  weights: np.ndarray) -> tuple[float, np.ndarray]:
        """``sum_i w_i log L_i`` and its gradient; models with a compiled kernel override this."""
        ll, grad = self._loglik_and_grad(params, rows)
        # einsum, not BLAS: a threaded gemv on a shared, loaded machine costs more than the sum
        return float(np.einsum("i,i->", weights, ll)), np.einsum("i,ij->j", weights, grad)

    def _starts(self, rows: np.ndarray, weights: np.ndarray) -> list[np.ndarray]:
        """Starting points (natural parameters) for the optimiser."""
        return [np.ones(len(self.param_names))]

    def _rows(self, data: Any, weights: Any) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        """Unique rows, their weights, and data provenance for the likelihood."""
        cd = as_customer_data(data)
        cd.require(self.columns, type(self).__name__)
        packed = cd.compressed(self.columns, weights)
        self._check_rows(packed.rows)
        return packed.rows, packed.weights, {"unit": cd.unit, "provenance": cd.provenance}

    def _check_rows(self, rows: np.ndarray) -> None:
        """Model-specific checks of the rows (override to add)."""

    def _identification_problem(self, rows: np.ndarray, weights: np.ndarray) -> str | None:
        """Why the data cannot identify the parameters, or None (override to add)."""
        return None

    @classmethod
    def _check_param_values(cls, params: pd.Series, source: str) -> None:
        """Every parameter finite and inside :attr:`param_range`, or a DataError naming it."""
        low, high = cls.param_range
        values = params.to_numpy(dtype=float)
        bad = ~(np.isfinite(values) & (values >= low) & (values <= high))
        if bad.any():
            shown = {k: float(v) for k, v in params[bad].items()}
            raise DataError(f"{cls.__name__}: {source} parameter(s) {list(shown)} outside the plausible range "
                            f"[{low:g}, {high:g}] (finite and > 0): got {shown}. Check the model file or the "
                            "values stated by hand.")

    def set_params(self, **params: Any) -> Self:
        """Change hyper-parameters (takes effect at the next ``fit``); ``penalizer`` must be finite >= 0."""
        if "penalizer" in params:
            _check_penalizer(params["penalizer"])
        return super().set_params(**params)

    # ------------------------------------------------------------------ fitting
    def fit(self, data: CustomerData | pd.DataFrame, *, weights: Any = None,
            initial_params: dict[str, float] | None = None, maxiter: int = 3000) -> Self:
        """Fit by maximum likelihood.

        Parameters
        ----------
        data
            :class:`~clvkit.CustomerData` or a DataFrame with the model's columns.
        weights
            Optional per-row weights (default: the ``weight`` column, or one per row).
        initial_params
            Starting values by name; by default a few built-in starts are tried.
        maxiter
            Iteration cap for L-BFGS-B.

        Returns
        -------
        self

        Notes
        -----
        A fit that is doubtful is still returned, with ``converged_ = False`` and a
        :class:`~clvkit.ConvergenceWarning` that says why: the data do not identify the
        parameters (e.g. no customer made a repeat purchase), the gradient is not ~0, the
        Hessian is not positive definite, or a parameter ended on the edge of
        :attr:`param_range`. Predictions from such a fit may not be finite; :func:`clvkit.clv`
        and :func:`clvkit.score` then raise a :class:`~clvkit.DataError` rather than return them.
        ``weights`` must be one finite number >= 0 per customer, not all 0.
        """
        _check_penalizer(self.penalizer)
        if weights is not None:
            check_weights(weights)
        rows, w, meta = self._rows(data, weights)
        if w.sum() <= 0:
            raise DataError(f"{type(self).__name__}: no rows to fit (total weight is 0).")
        total = float(w.sum())
        penalizer = float(self.penalizer)

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            params = np.exp(theta)
            with np.errstate(all="ignore"):
                ll_sum, grad_sum = self._weighted_loglik_and_grad(params, rows, w)
            value = -ll_sum / total + penalizer * float(theta @ theta)
            gradient = -grad_sum * params / total + 2.0 * penalizer * theta
            if not np.isfinite(value) or not np.all(np.isfinite(gradient)):
                return np.inf, np.zeros_like(theta)
            return float(value), gradient

        if initial_params is not None:
            missing = set(self.param_names) - set(initial_params)
            if missing:
                raise DataError(f"initial_params lacks {sorted(missing)}.")
            starts = [np.array([initial_params[p] for p in self.param_names], dtype=float)]
        else:
            starts = self._starts(rows, w)
        low, high = self.param_range
        info = minimize_negloglik(objective, [np.log(s) for s in starts],
                                  model_name=type(self).__name__, maxiter=maxiter,
                                  bounds=(float(np.log(low)), float(np.log(high))))
        problem = self._identification_problem(rows, w)
        if problem is not None:
            warnings.warn(f"{type(self).__name__} is not identified by this data: {problem}. The fit is returned "
                          "with converged_ = False; its predictions are not meaningful.", ConvergenceWarning,
                          stacklevel=2)
            info.converged = False
            info.message = f"not identified: {problem}"
        self._set_fit(info, rows, w, total, meta)
        return self

    def _set_fit(self, info: OptimumInfo, rows: np.ndarray, w: np.ndarray, total: float,
                 meta: dict[str, Any]) -> None:
        params = np.exp(info.theta)
        ll, _ = self._loglik_and_grad(params, rows)
        self.params_ = pd.Series(params, index=list(self.param_names), name="estimate")
        self.loglik_ = float(w @ ll)
        info_total = info.hessian * total
        try:
            cov_log = np.linalg.inv(info_total)
        except np.linalg.LinAlgError:
            cov_log = np.full_like(info_total, np.nan)
        self._cov_log = cov_log
        self.covariance_ = pd.DataFrame(cov_log * np.outer(params, params),
                                        index=self.params_.index, columns=self.params_.index)
        self.n_obs_ = total
        self.n_unique_ = len(rows)
        self.unit_ = meta.get("unit")
        self.data_provenance_ = jsonable(meta.get("provenance", {}))
        self.converged_ = info.converged
        self.fit_info_ = info

    # ------------------------------------------------------------------ fitted state
    def _p(self) -> np.ndarray:
        self._check_fitted()
        return self.params_.to_numpy(dtype=float)

    @property
    def n_params(self) -> int:
        return len(self.param_names)

    @property
    def aic_(self) -> float:
        """Akaike information criterion, ``2k - 2 loglik``."""
        self._check_fitted()
        return 2.0 * self.n_params - 2.0 * self.loglik_

    @property
    def bic_(self) -> float:
        """Bayesian information criterion, ``k log(n) - 2 loglik`` with n customers."""
        self._check_fitted()
        if not self.n_obs_ > 0:
            raise DataError(f"{type(self).__name__} was stated by hand (from_params): it has no data, so no BIC.")
        return self.n_params * float(np.log(self.n_obs_)) - 2.0 * self.loglik_

    @property
    def std_errors_(self) -> pd.Series:
        """Standard errors of the estimates (square roots of the covariance diagonal)."""
        self._check_fitted()
        return pd.Series(np.sqrt(np.diag(self.covariance_.to_numpy())), index=self.params_.index,
                         name="std_error")

    def _summary(self, level_: float) -> pd.DataFrame:
        """Estimates with standard errors and a confidence interval.

        The interval is Wald on the log scale (``exp(log(est) +/- z * se_log)``), so it stays
        positive, as every parameter here is.
        """
        return summary_frame(self.params_.to_numpy(), self.std_errors_.to_numpy(), self.params_.index,
                             level_)

    def param_draws(self, n_draws: int, random_seed: int | None = None) -> np.ndarray:
        """Draws of the parameters from the MLE's asymptotic normal on the log scale.

        Returns an array of shape ``(n_draws, n_params)`` in natural units.
        """
        self._check_fitted()
        if isinstance(n_draws, bool) or not isinstance(n_draws, numbers.Integral) or n_draws < 1:
            raise DataError(f"n_draws must be a whole number >= 1, got {n_draws!r}.")
        if not np.all(np.isfinite(self._cov_log)):
            raise DataError(f"{type(self).__name__}: the covariance is not finite, so no parameter "
                            "draws can be made (the fit is doubtful; see fit_info_).")
        rng = np.random.default_rng(random_seed)
        theta = np.log(self._p())
        return np.exp(rng.multivariate_normal(theta, self._cov_log, size=n_draws, method="eigh"))

    def _repr_details(self) -> str:
        if not self.n_obs_ > 0:
            return "stated by hand (from_params): no data, so no log-likelihood or standard errors"
        return (f"log-likelihood {self.loglik_:.2f}   AIC {self.aic_:.2f}   BIC {self.bic_:.2f}   "
                f"{self.n_unique_:,} unique rows")

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """Everything needed to rebuild the fitted model, as plain JSON types."""
        self._check_fitted()
        return {**self._state_header(), "covariance_log": self._cov_log.tolist(), "loglik": self.loglik_,
                "n_unique": self.n_unique_}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> Self:
        """Rebuild a fitted model from :meth:`to_dict` output, validating the parameters."""
        if not isinstance(state, dict):
            raise DataError(f"{cls.__name__}: a model state must be a dict, got {type(state).__name__}.")
        missing = [key for key in ("params", "unit") if key not in state]
        if missing:
            raise DataError(f"{cls.__name__}: the model file lacks {missing}; it was not written by "
                            "model.save() or was edited by hand.")
        raw = state["params"]
        if not isinstance(raw, dict) or set(cls.param_names) - set(raw):
            raise DataError(f"{cls.__name__}: the model file must give parameters {list(cls.param_names)}, "
                            f"got {raw!r}.")
        try:
            params = pd.Series({k: raw[k] for k in cls.param_names}, dtype=float)
        except (TypeError, ValueError):
            raise DataError(f"{cls.__name__}: parameters must be numbers, got {raw!r}.") from None
        cls._check_param_values(params, "the model file's")
        model = cls(**state.get("init", {}))
        model.params_ = params.rename("estimate")
        k = len(cls.param_names)
        cov = state.get("covariance_log")
        model._cov_log = (np.full((k, k), np.nan) if cov is None
                          else np.asarray(cov, dtype=float).reshape(k, k))
        p = params.to_numpy()
        model.covariance_ = pd.DataFrame(model._cov_log * np.outer(p, p), index=params.index,
                                         columns=params.index)
        model.loglik_ = float(state.get("loglik", np.nan))
        model.n_obs_ = float(state.get("n_obs", 0.0))
        model.n_unique_ = int(state.get("n_unique", 0))
        model.unit_ = None if state["unit"] is None else check_unit(state["unit"])
        model.converged_ = bool(state.get("converged", True))
        model.data_provenance_ = state.get("data_provenance", {})
        return model

    @classmethod
    def from_params(cls, params: dict[str, float] | pd.Series, unit: str = "W", **init: Any) -> Self:
        """A model stated by hand (e.g. published estimates), ready to predict.

        It has no covariance, so intervals and ``summary()`` standard errors are NaN.

        Examples
        --------
        >>> import clvkit as ck
        >>> m = ck.BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> round(m.expected_purchases_new(52.0), 3)
        1.446
        """
        values = pd.Series(params, dtype=float)
        missing = [p for p in cls.param_names if p not in values.index]
        if missing:
            raise DataError(f"{cls.__name__}.from_params needs {list(cls.param_names)}; missing {missing}.")
        values = values[list(cls.param_names)]
        cls._check_param_values(values, "from_params")
        return cls.from_dict({"init": init, "params": values.to_dict(),
                              "covariance_log": None, "loglik": np.nan,
                              "n_obs": 0.0, "n_unique": 0, "unit": check_unit(unit), "converged": True,
                              "data_provenance": {"source": "from_params"}})


def _check_penalizer(penalizer: Any) -> None:
    if (isinstance(penalizer, bool) or not isinstance(penalizer, numbers.Real)
            or not (np.isfinite(penalizer) and penalizer >= 0)):
        raise DataError(f"penalizer must be a finite number >= 0, got {penalizer!r}.")


def check_weights(weights: Any) -> np.ndarray:
    """Fit weights: finite numbers >= 0, not all 0, or a DataError with the count and an example."""
    raw = weights.to_numpy() if isinstance(weights, pd.Series | pd.DataFrame) else np.asarray(weights, dtype=object)
    try:
        values = np.asarray(raw, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise DataError(f"weights must be numbers (one finite number >= 0 per customer), "
                        f"got {weights!r:.80}.") from None
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataError(f"weights must be finite numbers >= 0: {int(bad.sum())} of {len(values)} are NaN, infinite or "
                        f"negative (first at position {first}: {float(values[first])!r}).")
    if len(values) and not values.any():
        raise DataError(f"weights are all 0 ({len(values)} customers): nothing to fit.")
    return values
