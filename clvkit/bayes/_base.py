"""BayesModel: what every PyMC model in clvkit shares.

Priors stated as data, sampling (nutpie, with PyMC's NUTS as the fallback), convergence
diagnostics and warnings, a summary table, thinned posterior draws for predictions, and
NetCDF save / load (never pickle). The model contract (``clvkit._contract.Model``: registry,
``get_params`` / ``set_params``, fitted attributes, one repr) is honoured here for every
Bayesian model.
"""

from __future__ import annotations

import copy
import json
import os
import warnings
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from clvkit._contract import Model, check_interval
from clvkit.errors import ConvergenceWarning, DataError

#: A prior: the name of a PyMC distribution and its keyword arguments, e.g.
#: ``{"dist": "Normal", "mu": 0.0, "sigma": 1.5}``. Plain JSON, so it is saved with the model.
PriorSpec = dict[str, Any]

#: every Bayesian model class by name, so that :func:`load` can rebuild it.
BAYES_REGISTRY: dict[str, type[BayesModel]] = {}

#: r_hat above this (or any divergence) raises a ConvergenceWarning.
R_HAT_LIMIT = 1.01
#: at most this many (draw x row) values are held at once by chunked predictions.
CHUNK_CELLS = 2_000_000
#: version of the JSON state stored in the NetCDF file's ``clvkit_state`` attribute.
FORMAT_VERSION = 2


class BayesModel(Model):
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
        Posterior draws and sampler statistics. The model counts as fitted when it has one.
    params_ : pandas.Series
        Posterior means of the model's parameters (see each subclass).
    unit_ : str
        Time unit of the data (``BetaGeo``) or length of one period (``ShiftedBetaGeo``).
    n_obs_ : float
        Customers the model was fitted on.
    converged_ : bool
        True when no transition diverged and every ``r_hat`` of :meth:`summary` is <= 1.01.
    data_provenance_ : dict
        Where the data came from (as the data said), saved with the model.
    divergences_ : int
        Number of divergent transitions after tuning, over all chains.
    sampler_ : str
        ``"nutpie"`` or ``"pymc"`` (the fallback when nutpie failed).
    """

    #: default priors of the model, documented in each subclass.
    default_priors: ClassVar[dict[str, PriorSpec]] = {}
    #: variables reported by :meth:`summary` and checked for convergence.
    summary_vars: ClassVar[tuple[str, ...]] = ()
    #: variables whose posterior draws must exist and be positive (checked on load).
    param_names: ClassVar[tuple[str, ...]] = ()
    #: point predictions are posterior means (averages over draws), not plug-in values.
    point_is_posterior_mean: ClassVar[bool] = True

    def __init__(self, *, priors: dict[str, PriorSpec] | None = None) -> None:
        self.priors = priors

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.summary_vars:
            BAYES_REGISTRY[cls.__name__] = cls

    def _is_fitted(self) -> bool:
        return hasattr(self, "idata_")

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
        """Count divergences and find the worst r_hat; set ``params_`` and ``converged_``; warn."""
        stats = self.idata_.sample_stats
        self.divergences_ = int(stats["diverging"].sum()) if "diverging" in stats else 0
        table = self.summary()
        self.params_ = table["estimate"].astype(float).rename("estimate")
        self.converged_ = bool(self.divergences_ == 0 and (table["r_hat"] <= R_HAT_LIMIT).all())
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
    def _summary_arrays(self) -> list[tuple[str, Any]]:
        """``(name, DataArray of draws)`` of the summary's parameters, in order (subclasses may derive some)."""
        post = self.idata_.posterior
        return [(v, post[v]) for v in self.summary_vars if v in post]

    def _posterior_params(self) -> pd.Series:
        """``params_``: the posterior means of every row of :meth:`summary`, in its order."""
        return self.summary()["estimate"].astype(float).rename("estimate")

    def _repr_details(self) -> str:
        post = self.idata_.posterior
        return (f"{post.sizes['chain']} chains x {post.sizes['draw']} draws ({self.sampler_}), "
                f"{self.divergences_} divergences")

    def summary(self, interval: float = 0.95) -> pd.DataFrame:
        """Posterior mean and sd, equal-tailed interval, r_hat, bulk and tail ESS per parameter.

        Parameters
        ----------
        interval
            Coverage of the equal-tailed credible interval (0.95: from the 2.5% to the 97.5%
            posterior quantile).

        Returns
        -------
        DataFrame indexed by parameter (``alpha[cohort]`` for per-cohort ones; the same index as
        ``params_``) with columns
        ``estimate, std_error, lower, upper, r_hat, ess_bulk, ess_tail, divergences``:
        ``estimate`` is the posterior mean, ``std_error`` the posterior standard deviation;
        ``divergences`` is the number of divergent transitions of the whole run (the same on
        every row).
        """
        import arviz as az

        self._check_fitted()
        level = check_interval(interval)
        import xarray as xr

        items = self._summary_arrays()
        arrays = xr.Dataset({f"v{i}": array for i, (_, array) in enumerate(items)})
        rhat = az.rhat(arrays)
        ess_bulk = az.ess(arrays, method="bulk")
        ess_tail = az.ess(arrays, method="tail")
        rows: dict[str, dict[str, float]] = {}
        for i, (name, array) in enumerate(items):
            var = f"v{i}"
            values = array.stack(sample=("chain", "draw")).transpose("sample", ...)
            flat = values.to_numpy().reshape(values.shape[0], -1)
            labels = _labels(name, array)
            r = np.atleast_1d(rhat[var].to_numpy()).ravel()
            eb = np.atleast_1d(ess_bulk[var].to_numpy()).ravel()
            et = np.atleast_1d(ess_tail[var].to_numpy()).ravel()
            lo, hi = np.quantile(flat, [(1 - level) / 2, (1 + level) / 2], axis=0)
            for j, label in enumerate(labels):
                rows[label] = {"estimate": flat[:, j].mean(), "std_error": flat[:, j].std(ddof=1),
                               "lower": lo[j], "upper": hi[j], "r_hat": r[j],
                               "ess_bulk": eb[j], "ess_tail": et[j]}
        table = pd.DataFrame.from_dict(rows, orient="index")
        table["divergences"] = getattr(self, "divergences_", 0)
        return table

    def _draws(self, var: str, n_draws: int | None = None) -> np.ndarray:
        """Posterior draws of ``var``, chains stacked, thinned evenly to ``n_draws``.

        Returns an array of shape ``(n, *var_shape)``; the thinning is deterministic, so two
        calls with the same ``n_draws`` use the same draws. ``n_draws`` at or above the number
        of draws kept (or None) gives every draw.
        """
        self._check_fitted()
        values = self.idata_.posterior[var]
        arr = values.to_numpy().reshape(-1, *values.shape[2:])
        keep = thin_index(len(arr), n_draws)
        return arr if keep is None else arr[keep]

    # ------------------------------------------------------------------ persistence
    def _state(self) -> dict[str, Any]:
        """JSON-able state besides the posterior (data summaries the predictions need)."""
        return {}

    def _restore(self, state: dict[str, Any]) -> None:
        """Inverse of :meth:`_state`."""

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted model (posterior, priors, data summary) to a NetCDF file, atomically.

        The file (HDF5-based NetCDF-4) holds the InferenceData and, as a JSON attribute of the
        posterior, the hyper-parameters, the unit, the data provenance, the clvkit version and
        what the predictions need. Read it back with :func:`clvkit.load`. No pickle is involved.
        """
        from clvkit import __version__
        from clvkit.io import atomic_write, jsonable

        self._check_fitted()
        state = {"model": type(self).__name__, "qualified_name": self.qualified_name,
                 "format_version": FORMAT_VERSION, "clvkit_version": __version__,
                 "init": jsonable(self.get_params()), "unit": self.unit_, "n_obs": self.n_obs_,
                 "data_provenance": jsonable(getattr(self, "data_provenance_", {})),
                 "converged": self.converged_, "divergences": self.divergences_,
                 "sampler": self.sampler_, "state": self._state()}
        idata = self.idata_.copy()
        idata.posterior.attrs["clvkit_state"] = json.dumps(state)
        atomic_write(path, lambda tmp: idata.to_netcdf(tmp, engine="h5netcdf"))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Self:
        """Read a model written by :meth:`save`; its class must match (or use :func:`clvkit.load`)."""
        model = load(path)
        if not isinstance(model, cls):
            raise DataError(f"{path} holds a {type(model).__name__}, not a {cls.__name__}.")
        return model


def load(path: str | os.PathLike[str]) -> BayesModel:
    """Read a Bayesian model written by ``model.save(path)`` (NetCDF); :func:`clvkit.load` calls this.

    Every fitted attribute is restored (``idata_``, ``params_``, ``unit_``, ``n_obs_``,
    ``converged_``, ``data_provenance_`` and the model's own). Raises a
    :class:`~clvkit.errors.DataError` for anything that is not a NetCDF file written by a
    clvkit Bayesian model (another format, a NetCDF without clvkit's state, a damaged state,
    posterior draws that are missing, infinite or out of range); ``FileNotFoundError`` when
    there is no file at ``path``.
    """
    import arviz as az

    if os.path.isdir(path):
        raise DataError(f"{path} is a directory, not a clvkit model file.")
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such file: {path}")
    try:
        idata = az.from_netcdf(str(path), engine="h5netcdf")
        for group in idata.groups():
            getattr(idata, group).load()
    except Exception as exc:  # h5py / netCDF readers raise OSError, ValueError, KeyError, ...
        raise DataError(f"{path} is not a NetCDF file written by clvkit.bayes "
                        f"({type(exc).__name__}: {exc}).") from None
    raw = idata.posterior.attrs.pop("clvkit_state", None) if "posterior" in idata.groups() else None
    if raw is None:
        raise DataError(f"{path} holds no clvkit.bayes model (no posterior with a 'clvkit_state' attribute).")
    try:
        state = json.loads(raw)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{path}: the clvkit state is not valid JSON ({exc}).") from None
    if not isinstance(state, dict):
        raise DataError(f"{path}: the clvkit state must be a JSON object, got {type(state).__name__}.")
    if int(state.get("format_version", 1)) > FORMAT_VERSION:
        raise DataError(f"{path} was written by a newer clvkit ({state.get('clvkit_version')}); upgrade.")
    name = state.get("model")
    if not isinstance(name, str) or name not in BAYES_REGISTRY:
        raise DataError(f"{path}: unknown model {name!r}; known: {sorted(BAYES_REGISTRY)}.")
    cls = BAYES_REGISTRY[name]
    try:
        model = cls(**state.get("init", {}))
        model.idata_ = idata
        _check_posterior(model, path)
        model.divergences_ = int(state.get("divergences", 0))
        model.sampler_ = str(state.get("sampler", "unknown"))
        model._restore(state.get("state", {}))
        if state.get("unit") is not None:
            from clvkit.data.units import check_unit

            model.unit_ = check_unit(state["unit"])
        if "n_obs" in state:
            model.n_obs_ = float(state["n_obs"])
        model.data_provenance_ = dict(state.get("data_provenance") or {})
        model.params_ = model._posterior_params()
        if "converged" in state:
            model.converged_ = bool(state["converged"])
        else:  # files of clvkit <= 0.2 did not store it
            table = model.summary()
            model.converged_ = bool(model.divergences_ == 0 and (table["r_hat"] <= R_HAT_LIMIT).all())
    except DataError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DataError(f"{path}: the saved {name} is incomplete or damaged "
                        f"({type(exc).__name__}: {exc}).") from None
    return model


def _check_posterior(model: BayesModel, path: Any) -> None:
    """The posterior holds the model's variables, all finite (and positive where they must be)."""
    post = model.idata_.posterior
    for var in type(model).param_names:
        if var not in post:
            raise DataError(f"{path}: the posterior lacks {var!r}; it was not written by "
                            f"{type(model).__name__}.save() or was edited.")
        values = post[var].to_numpy()
        if not np.all(np.isfinite(values)) or np.any(values <= 0):
            raise DataError(f"{path}: the posterior draws of {var!r} must be finite and > 0.")


def _labels(var: str, values: Any) -> list[str]:
    """``var`` for a scalar, ``var[label]`` per element otherwise (one label per extra dim)."""
    dims = [d for d in values.dims if d not in ("chain", "draw")]
    if not dims:
        return [var]
    coords = [list(map(str, values.coords[d].to_numpy())) for d in dims]
    grid = np.array(np.meshgrid(*coords, indexing="ij")).reshape(len(dims), -1).T
    return [f"{var}[{', '.join(parts)}]" for parts in grid]


def thin_index(n_total: int, n_draws: int | None) -> np.ndarray | None:
    """Indices of ``n_draws`` evenly spaced draws out of ``n_total`` (None: keep them all).

    Deterministic, so two calls with the same ``n_draws`` use the same draws.
    """
    if n_draws is None:
        return None
    if isinstance(n_draws, bool) or not isinstance(n_draws, (int, np.integer)) or n_draws < 2:
        raise DataError(f"n_draws must be a whole number >= 2, got {n_draws!r}.")
    if n_draws >= n_total:
        return None
    return np.unique(np.linspace(0, n_total - 1, int(n_draws)).round().astype(int))


def interval_frame(draws: np.ndarray, level: float | None, index: pd.Index, name: str,
                   subset: np.ndarray | None = None) -> pd.DataFrame:
    """Posterior mean ``name`` over axis 0 of ``draws``, one row per ``index``.

    With a ``level``, the equal-tailed interval follows as ``<name>_lower, <name>_upper``: over
    the draws ``subset`` only when given (then widened, if need be, to hold the mean).
    """
    flat = draws.reshape(draws.shape[0], -1)
    mean = flat.mean(axis=0)
    out = pd.DataFrame({name: mean}, index=index)
    if level is not None:
        tail = (1.0 - level) / 2.0
        lower, upper = np.quantile(flat if subset is None else flat[subset], [tail, 1.0 - tail], axis=0)
        if subset is not None:
            lower, upper = np.fmin(lower, mean), np.fmax(upper, mean)
        out[f"{name}_lower"], out[f"{name}_upper"] = lower, upper
    return out


def point_or_frame(frame: pd.DataFrame, name: str, interval: float | None) -> pd.Series | pd.DataFrame:
    """The Series ``frame[name]`` when no interval was asked for, else the whole frame."""
    return frame[name] if interval is None else frame
