"""The model contract: one registry, one set of verbs, one repr for every model family.

Every public model class derives from :class:`Model` and registers itself under a qualified
name (``"BetaGeo"``, ``"bayes.BetaGeo"``, ``"LostForGood"``) with its kind:

- ``purchase``: per-customer purchase forecasts (BG/NBD, Pareto/NBD, MBG/NBD, BG/BB, Bayesian BG/NBD);
- ``spend``: spend per transaction (Gamma-Gamma);
- ``retention``: cohort survival (sBG, Bayesian sBG, LostForGood);
- ``migration``: recency-state Markov chains (AlwaysAShare).

``tests/contract`` iterates over :data:`MODELS` and checks each class mechanically (see
``docs/contract.md``). A class added to the registry without meeting the contract fails CI.
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from clvkit.errors import DataError, NotFittedError

KINDS = ("purchase", "spend", "retention", "migration")


@dataclass(frozen=True)
class ModelEntry:
    """One registered model class: its qualified name, the class and its kind."""

    name: str
    cls: type
    kind: str


#: every public model by qualified name; ``clvkit.MODELS`` is this dict.
MODELS: dict[str, ModelEntry] = {}


def register(name: str, kind: str):
    """Class decorator: add a model class to :data:`MODELS` under ``name`` with ``kind``."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")

    def decorate(cls: type) -> type:
        cls.qualified_name = name
        cls.kind = kind
        MODELS[name] = ModelEntry(name, cls, kind)
        return cls

    return decorate


def models_of_kind(kind: str) -> dict[str, type]:
    """The registered classes of one kind, by qualified name."""
    return {name: entry.cls for name, entry in MODELS.items() if entry.kind == kind}


def is_purchase_model(model: Any) -> bool:
    """Whether ``model`` is an instance of a registered purchase model (MLE or Bayesian)."""
    return getattr(type(model), "kind", None) == "purchase" and isinstance(model, Model)


def is_spend_model(model: Any) -> bool:
    """Whether ``model`` is an instance of a registered spend model."""
    return getattr(type(model), "kind", None) == "spend" and isinstance(model, Model)


class Model:
    """What every clvkit model shares: hyper-parameters, fitted-state checks, repr and save.

    Hyper-parameters are the keyword arguments of ``__init__``, stored unchanged under their
    own names (validation happens in ``fit``), as in scikit-learn. Fitted attributes end in
    ``_`` and exist only after ``fit``.
    """

    qualified_name: ClassVar[str] = ""
    kind: ClassVar[str] = ""

    # ------------------------------------------------------------------ hyper-parameters
    @classmethod
    def _param_names_init(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values()
                if p.name != "self" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's arguments as stored on the model (scikit-learn's convention)."""
        return {name: getattr(self, name) for name in self._param_names_init()}

    def set_params(self, **params: Any) -> Self:
        """Change hyper-parameters (takes effect at the next ``fit``); returns ``self``."""
        valid = self._param_names_init()
        unknown = sorted(set(params) - set(valid))
        if unknown:
            raise DataError(f"{type(self).__name__} has no hyper-parameter(s) {unknown}; "
                            f"its hyper-parameters are {valid}.")
        for name, value in params.items():
            setattr(self, name, value)
        return self

    # ------------------------------------------------------------------ fitted state
    def _is_fitted(self) -> bool:
        return hasattr(self, "params_")

    def _check_fitted(self) -> None:
        if not self._is_fitted():
            raise NotFittedError(f"{type(self).__name__} is not fitted yet; call .fit(data) first.")

    # ------------------------------------------------------------------ summary
    def summary(self, interval: float = 0.95, *, level: float | None = None) -> pd.DataFrame:
        """Estimates with standard errors and an interval at coverage ``interval``.

        Parameters
        ----------
        interval
            Coverage of the interval (0.95: a 95% interval).
        level
            Deprecated spelling of ``interval``.

        Returns
        -------
        DataFrame with columns ``estimate, std_error, lower, upper``, one row per parameter
        (how each model computes them: its ``_summary`` docstring).
        """
        self._check_fitted()
        if level is not None:
            renamed("summary(level=)", "summary(interval=)")
            interval = level
        return self._summary(check_interval(interval))

    def _summary(self, level: float) -> pd.DataFrame:
        raise NotImplementedError

    # ------------------------------------------------------------------ repr
    def _repr_unfitted(self) -> str:
        args = ", ".join(f"{k}={_plain(v)!r}" for k, v in self.get_params().items())
        return f"{self.qualified_name or type(self).__name__}({args}) [not fitted]"

    def _repr_details(self) -> str:
        """One line of fit details under the header (model-specific)."""
        return ""

    def __repr__(self) -> str:
        if not self._is_fitted():
            return self._repr_unfitted()
        n_obs = getattr(self, "n_obs_", None)
        fitted_on = f"fitted on {n_obs:,.0f} customers" if n_obs else "stated by hand"
        head = (f"<clvkit.{self.qualified_name}: {self.kind} model, {fitted_on}, "
                f"unit={getattr(self, 'unit_', None)!r}, converged={getattr(self, 'converged_', None)}>")
        details = self._repr_details()
        table = self.summary().to_string(float_format=lambda v: f"{v:.4g}")
        return "\n".join(part for part in (head, details, table) if part)

    # ------------------------------------------------------------------ persistence
    def _state_header(self) -> dict[str, Any]:
        """The part of ``to_dict()`` every model file shares: name, hyper-parameters, parameters,
        unit, customers, convergence and data provenance, as plain JSON values."""
        from clvkit.io import jsonable

        return {
            "model": self.qualified_name,
            "init": jsonable(self.get_params()),
            "params": {str(k): float(v) for k, v in self.params_.items()},
            "unit": self.unit_,
            "n_obs": float(self.n_obs_),
            "converged": bool(self.converged_),
            "data_provenance": jsonable(self.data_provenance_),
        }

    def save(self, path: Any) -> None:
        """Write the fitted model to ``path`` atomically; read it back with :func:`clvkit.load`."""
        from clvkit.io import save_model

        save_model(self, path)


def summary_frame(estimate: Any, std_error: Any, index: Any, interval: float, *,
                  log_scale: bool = True) -> pd.DataFrame:
    """``estimate, std_error, lower, upper`` with a Wald interval at coverage ``interval``.

    On the log scale (``exp(log est +/- z se / est)``) for positive parameters, else on the
    natural scale, clipped to [0, 1] when every estimate is a probability.
    """
    from scipy import stats

    level = check_interval(interval, default=None)
    est = np.asarray(estimate, dtype=float)
    se = np.asarray(std_error, dtype=float)
    z = stats.norm.ppf(0.5 + level / 2.0)
    if log_scale:
        with np.errstate(divide="ignore", invalid="ignore"):
            se_log = se / est
        lower, upper = est * np.exp(-z * se_log), est * np.exp(z * se_log)
    else:
        lower, upper = est - z * se, est + z * se
    return pd.DataFrame({"estimate": est, "std_error": se, "lower": lower, "upper": upper},
                        index=pd.Index(index))


def check_interval(interval: Any, default: float | None = None) -> float | None:
    """``None`` (then ``default``) or a coverage level strictly between 0 and 1."""
    if interval is None:
        return default
    try:
        level = float(interval)
    except (TypeError, ValueError):
        raise DataError(f"interval must be a coverage level in (0, 1) such as 0.9, got {interval!r}.") from None
    if not 0 < level < 1:
        raise DataError(f"interval must be a coverage level in (0, 1) such as 0.9, got {interval!r}.")
    return level


def renamed(old: str, new: str, *, stacklevel: int = 3) -> None:
    """Warn that ``old`` is deprecated in favour of ``new`` (kept for one minor release)."""
    warnings.warn(f"{old} is deprecated and will be removed in clvkit 0.3; use {new}.",
                  FutureWarning, stacklevel=stacklevel)


def _plain(value: Any) -> Any:
    """numpy scalars as Python ones, so that they never show as ``np.int64(4)`` in text."""
    if isinstance(value, np.generic):
        return value.item()
    return value
