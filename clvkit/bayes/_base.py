"""BayesModel: what every PyMC model in clvkit shares.

Priors stated as data, sampling (nutpie, with PyMC's NUTS as the fallback), convergence
diagnostics and warnings, a summary table, thinned posterior draws for predictions, and
NetCDF save / load (never pickle).
"""

from __future__ import annotations

import copy
import json
import os
import warnings
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from clvkit.errors import ConvergenceWarning, DataError, NotFittedError

#: A prior: the name of a PyMC distribution and its keyword arguments, e.g.
#: ``{"dist": "Normal", "mu": 0.0, "sigma": 1.5}``. Plain JSON, so it is saved with the model.
PriorSpec = dict[str, Any]

#: every Bayesian model class by name, so that :func:`load` can rebuild it.
BAYES_REGISTRY: dict[str, type[BayesModel]] = {}

#: r_hat above this (or any divergence) raises a ConvergenceWarning.
R_HAT_LIMIT = 1.01
#: at most this many (draw x row) values are held at once by chunked predictions.
CHUNK_CELLS = 2_000_000


class BayesModel:
    """Base class of the Bayesian models: priors, sampling, diagnostics, persistence.

    Parameters
    ----------
    priors : dict, optional
        Overrides of :attr:`default_priors`, by name. Each value is a dict with key ``"dist"``
        (a PyMC distribution name such as ``"Normal"``, ``"HalfNormal"``, ``"LogNormal"``,
        ``"Beta"``) and that distribution's keyword arguments. Names not overridden keep
        their defaults; unknown names raise a :class:`~clvkit.errors.DataError`.

    Attributes
    ----------
    idata_ : arviz.InferenceData
        Posterior draws and sampler statistics.
    divergences_ : int
        Number of divergent transitions after tuning, over all chains.
    sampler_ : str
        ``"nutpie"`` or ``"pymc"`` (the fallback when nutpie failed).
    """

    #: default priors of the model, documented in each subclass.
    default_priors: ClassVar[dict[str, PriorSpec]] = {}
    #: variables reported by :meth:`summary` and checked for convergence.
    summary_vars: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, priors: dict[str, PriorSpec] | None = None) -> None:
        self.priors = priors

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.summary_vars:
            BAYES_REGISTRY[cls.__name__] = cls

    # ------------------------------------------------------------------ priors
    def _priors(self) -> dict[str, PriorSpec]:
        """Defaults updated with the user's priors, checked."""
        merged = copy.deepcopy(self.default_priors)
        given = self.priors or {}
        if not isinstance(given, dict):
            raise DataError(f"priors must be a dict of name -> distribution spec, got {type(given).__name__}.")
        unknown = sorted(set(given) - set(merged))
        if unknown:
            raise DataError(f"unknown prior name(s) {unknown} for {type(self).__name__}; "
                            f"the priors are {sorted(merged)}.")
        for name, spec in given.items():
            if not isinstance(spec, dict) or "dist" not in spec:
                raise DataError(f"prior {name!r} must be a dict like {{'dist': 'Normal', 'mu': 0, "
                                f"'sigma': 1}}, got {spec!r}.")
            merged[name] = dict(spec)
        return merged

    @staticmethod
    def _prior_rv(name: str, spec: PriorSpec, **kwargs: Any) -> Any:
        """Create the PyMC random variable ``name`` from a prior spec inside a model context."""
        import pymc as pm

        params = {k: v for k, v in spec.items() if k != "dist"}
        dist = getattr(pm, str(spec["dist"]), None)
        if not (isinstance(dist, type) and issubclass(dist, pm.Distribution)):
            raise DataError(f"prior {name!r}: {spec['dist']!r} is not a PyMC distribution "
                            "(e.g. 'Normal', 'HalfNormal', 'LogNormal', 'Gamma', 'Beta').")
        try:
            return dist(name, **params, **kwargs)
        except TypeError as exc:
            raise DataError(f"prior {name!r}: bad arguments {params} for {spec['dist']}: {exc}") from None

    # ------------------------------------------------------------------ sampling
    def _sample(self, model: Any, *, draws: int, tune: int, chains: int,
                random_seed: int | None, sampler: str, target_accept: float,
                progress: bool, initial_points: dict[str, float] | None = None) -> None:
        """Sample ``model``, store ``idata_`` and the diagnostics, warn if they look bad."""
        self._check_sampling(draws=draws, tune=tune, chains=chains, sampler=sampler, target_accept=target_accept)
        from clvkit.bayes._sampling import sample

        self.idata_, self.sampler_ = sample(model, draws=int(draws), tune=int(tune), chains=int(chains),
                                            random_seed=random_seed, sampler=sampler,
                                            target_accept=float(target_accept), progress=progress,
                                            initial_points=initial_points)
        self._diagnose()

    @staticmethod
    def _check_sampling(*, draws: int, tune: int, chains: int, sampler: str, target_accept: float) -> None:
        """A :class:`DataError` for sampler settings that cannot work."""
        for name, value, low in (("draws", draws, 1), ("tune", tune, 0), ("chains", chains, 1)):
            if not isinstance(value, (int, np.integer)) or value < low:
                raise DataError(f"{name} must be a whole number >= {low}, got {value!r}.")
        if sampler not in ("nutpie", "pymc"):
            raise DataError(f"sampler must be 'nutpie' or 'pymc', got {sampler!r}.")
        if not 0 < target_accept < 1:
            raise DataError(f"target_accept must be in (0, 1), got {target_accept!r}.")

    def _diagnose(self) -> None:
        """Count divergences and find the worst r_hat; warn with the numbers."""
        stats = self.idata_.sample_stats
        self.divergences_ = int(stats["diverging"].sum()) if "diverging" in stats else 0
        table = self.summary()
        n_chains = int(self.idata_.posterior.sizes["chain"])
        problems = []
        if self.divergences_:
            total = int(self.idata_.posterior.sizes["draw"]) * n_chains
            problems.append(f"{self.divergences_} of {total} transitions diverged")
        if n_chains > 1:
            bad = table["r_hat"] > R_HAT_LIMIT
            if bad.any():
                worst = table["r_hat"].idxmax()
                problems.append(f"r_hat > {R_HAT_LIMIT} for {int(bad.sum())} of {len(table)} "
                                f"parameters (worst {worst}: {table['r_hat'].max():.3f})")
        if problems:
            warnings.warn(f"{type(self).__name__}: " + "; ".join(problems) + ". Run longer chains "
                          "(more tune / draws), raise target_accept, or revisit the priors.",
                          ConvergenceWarning, stacklevel=3)

    # ------------------------------------------------------------------ results
    def _check_fitted(self) -> None:
        if not hasattr(self, "idata_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet; call .fit(data) first.")

    def summary(self, interval: float = 0.94) -> pd.DataFrame:
        """Posterior mean, sd, equal-tailed interval, r_hat, bulk and tail ESS per parameter.

        Returns
        -------
        DataFrame indexed by parameter (``alpha[cohort]`` for per-cohort ones) with columns
        ``mean, sd, lower, upper, r_hat, ess_bulk, ess_tail, divergences``; ``divergences``
        is the number of divergent transitions of the whole run (the same on every row).
        """
        import arviz as az

        self._check_fitted()
        level = _level(interval)
        post = self.idata_.posterior
        names = [v for v in self.summary_vars if v in post]
        rhat = az.rhat(post[names])
        ess_bulk = az.ess(post[names], method="bulk")
        ess_tail = az.ess(post[names], method="tail")
        rows: dict[str, dict[str, float]] = {}
        for var in names:
            values = post[var].stack(sample=("chain", "draw")).transpose("sample", ...)
            flat = values.to_numpy().reshape(values.shape[0], -1)
            labels = _labels(var, post[var])
            r = np.atleast_1d(rhat[var].to_numpy()).ravel()
            eb = np.atleast_1d(ess_bulk[var].to_numpy()).ravel()
            et = np.atleast_1d(ess_tail[var].to_numpy()).ravel()
            lo, hi = np.quantile(flat, [(1 - level) / 2, (1 + level) / 2], axis=0)
            for j, label in enumerate(labels):
                rows[label] = {"mean": flat[:, j].mean(), "sd": flat[:, j].std(ddof=1),
                               "lower": lo[j], "upper": hi[j], "r_hat": r[j],
                               "ess_bulk": eb[j], "ess_tail": et[j]}
        table = pd.DataFrame.from_dict(rows, orient="index")
        table["divergences"] = getattr(self, "divergences_", 0)
        return table

    def _draws(self, var: str, n_draws: int | None = None) -> np.ndarray:
        """Posterior draws of ``var``, chains stacked, thinned evenly to ``n_draws``.

        Returns an array of shape ``(n, *var_shape)``; the thinning is deterministic, so two
        calls with the same ``n_draws`` use the same draws.
        """
        self._check_fitted()
        values = self.idata_.posterior[var]
        arr = values.to_numpy().reshape(-1, *values.shape[2:])
        if n_draws is not None:
            if not isinstance(n_draws, (int, np.integer)) or n_draws < 2:
                raise DataError(f"n_draws must be a whole number >= 2, got {n_draws!r}.")
            if n_draws < len(arr):
                arr = arr[np.unique(np.linspace(0, len(arr) - 1, int(n_draws)).round().astype(int))]
        return arr

    # ------------------------------------------------------------------ persistence
    def _state(self) -> dict[str, Any]:
        """JSON-able state besides the posterior (data summaries the predictions need)."""
        return {}

    def _restore(self, state: dict[str, Any]) -> None:
        """Inverse of :meth:`_state`."""

    def _init_kwargs(self) -> dict[str, Any]:
        return {"priors": self.priors}

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted model (posterior, priors, data summary) to a NetCDF file, atomically.

        Read it back with :meth:`load` (or :func:`clvkit.bayes.load`). No pickle is involved.
        """
        from clvkit import __version__
        from clvkit.io import atomic_write

        self._check_fitted()
        state = {"model": type(self).__name__, "init": self._init_kwargs(), "state": self._state(),
                 "divergences": self.divergences_, "sampler": self.sampler_,
                 "clvkit_version": __version__}
        idata = self.idata_.copy()
        idata.posterior.attrs["clvkit_state"] = json.dumps(state)
        atomic_write(path, lambda tmp: idata.to_netcdf(tmp, engine="h5netcdf"))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Self:
        """Read a model written by :meth:`save`; its class must match (or use :func:`load`)."""
        model = load(path)
        if not isinstance(model, cls):
            raise DataError(f"{path} holds a {type(model).__name__}, not a {cls.__name__}.")
        return model

    def __repr__(self) -> str:
        name = type(self).__name__
        if not hasattr(self, "idata_"):
            return f"clvkit.bayes.{name}() [not fitted]"
        post = self.idata_.posterior
        head = (f"<clvkit.bayes.{name}: {post.sizes['chain']} chains x {post.sizes['draw']} draws "
                f"({self.sampler_}), {self.divergences_} divergences>")
        return head + "\n" + self.summary().to_string(float_format=lambda v: f"{v:.4g}")


def load(path: str | os.PathLike[str]) -> BayesModel:
    """Read a Bayesian model written by ``model.save(path)`` (NetCDF)."""
    import arviz as az

    try:
        idata = az.from_netcdf(str(path), engine="h5netcdf")
    except (OSError, ValueError) as exc:
        raise DataError(f"{path} is not a NetCDF file written by clvkit.bayes ({exc}).") from None
    for group in idata.groups():
        getattr(idata, group).load()
    raw = idata.posterior.attrs.pop("clvkit_state", None) if "posterior" in idata.groups() else None
    if raw is None:
        raise DataError(f"{path} holds no clvkit.bayes model (no 'clvkit_state' attribute).")
    state = json.loads(raw)
    name = state.get("model")
    if name not in BAYES_REGISTRY:
        raise DataError(f"{path}: unknown model {name!r}; known: {sorted(BAYES_REGISTRY)}.")
    model = BAYES_REGISTRY[name](**state.get("init", {}))
    model.idata_ = idata
    model.divergences_ = int(state.get("divergences", 0))
    model.sampler_ = state.get("sampler", "unknown")
    model._restore(state.get("state", {}))
    return model


def _level(interval: float) -> float:
    try:
        level = float(interval)
    except (TypeError, ValueError):
        raise DataError(f"interval must be a coverage level in (0, 1) such as 0.94, got {interval!r}.") from None
    if not 0 < level < 1:
        raise DataError(f"interval must be a coverage level in (0, 1) such as 0.94, got {interval!r}.")
    return level


def _labels(var: str, values: Any) -> list[str]:
    """``var`` for a scalar, ``var[label]`` per element otherwise (one label per extra dim)."""
    dims = [d for d in values.dims if d not in ("chain", "draw")]
    if not dims:
        return [var]
    coords = [list(map(str, values.coords[d].to_numpy())) for d in dims]
    grid = np.array(np.meshgrid(*coords, indexing="ij")).reshape(len(dims), -1).T
    return [f"{var}[{', '.join(parts)}]" for parts in grid]


def interval_frame(draws: np.ndarray, level: float, index: pd.Index) -> pd.DataFrame:
    """Mean and equal-tailed ``level`` interval over axis 0 of ``draws``, one row per ``index``."""
    tail = (1.0 - level) / 2.0
    flat = draws.reshape(draws.shape[0], -1)
    lo, hi = np.quantile(flat, [tail, 1.0 - tail], axis=0)
    return pd.DataFrame({"mean": flat.mean(axis=0), "lower": lo, "upper": hi}, index=index)
