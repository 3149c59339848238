"""The BG/NBD posterior as a compiled log-density for nutpie, without building a PyMC graph.

With the default prior families (log-normal ``r``, ``alpha``, ``kappa_dropout``; beta
``phi_dropout``) the log-posterior in the sampler's unconstrained coordinates
``u = (log r, log alpha, logit phi, log kappa)`` is written out here: the priors with their
Jacobians in closed form, the likelihood and its gradient from the compiled weighted kernel of
:mod:`clvkit.models._math.beta_geo_kernel` (FHL 2005, eq. 6), and the chain rule through
``a = phi kappa``, ``b = (1 - phi) kappa``. This is the same density as the PyMC model of
:class:`clvkit.bayes.BetaGeo` (tests/bayes/test_beta_geo_bayes.py checks the two agree), but
nothing has to be compiled per fit, and the kernel runs without the GIL so chains run in parallel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import expit

from clvkit.models._math.beta_geo_kernel import split_frequency, weighted_loglik_and_grad

NAMES = ("r", "alpha", "a", "b", "phi_dropout", "kappa_dropout")
FAMILIES = {"r": "LogNormal", "alpha": "LogNormal", "phi_dropout": "Beta", "kappa_dropout": "LogNormal"}
_ARGUMENTS = {"LogNormal": {"mu", "sigma"}, "Beta": {"alpha", "beta"}}


def supports(priors: dict[str, dict[str, Any]]) -> bool:
    """Whether ``priors`` are the families this density writes out (the defaults are)."""
    for name, family in FAMILIES.items():
        spec = priors.get(name, {})
        if spec.get("dist") != family or set(spec) - {"dist"} != _ARGUMENTS[family]:
            return False
    return True


def to_unconstrained(r: float, alpha: float, phi: float, kappa: float) -> np.ndarray:
    """Sampler coordinates of a point given on the natural scale."""
    return np.array([np.log(r), np.log(alpha), np.log(phi) - np.log1p(-phi), np.log(kappa)])


def make_log_posterior(rows: np.ndarray, weights: np.ndarray,
                       priors: dict[str, dict[str, Any]]) -> Callable[..., tuple[float, np.ndarray]]:
    """``logp(u) -> (log posterior, gradient)`` on the unconstrained coordinates."""
    xs, code = split_frequency(rows[:, 0])
    t_x = np.ascontiguousarray(rows[:, 1])
    T = np.ascontiguousarray(rows[:, 2])
    w = np.ascontiguousarray(weights, dtype=np.float64)
    mu = np.array([priors["r"]["mu"], priors["alpha"]["mu"], 0.0, priors["kappa_dropout"]["mu"]], dtype=float)
    sigma = np.array([priors["r"]["sigma"], priors["alpha"]["sigma"], 1.0, priors["kappa_dropout"]["sigma"]],
                     dtype=float)
    log_normal = np.array([True, True, False, True])
    beta_a = float(priors["phi_dropout"]["alpha"])
    beta_b = float(priors["phi_dropout"]["beta"])

    def logp(u: np.ndarray, **_: Any) -> tuple[float, np.ndarray]:
        # warm-up trajectories can leave the region where the parameters are representable
        # (a or b underflowing to 0): that is a point of zero density, never an exception
        with np.errstate(all="ignore"):
            r, alpha, kappa = np.exp(u[0]), np.exp(u[1]), np.exp(u[3])
            phi = expit(u[2])
            a, b = phi * kappa, (1.0 - phi) * kappa
            if not all(0.0 < v < np.inf for v in (r, alpha, a, b)):
                return -np.inf, np.zeros(4)
            return _value_and_grad(u, r, alpha, kappa, phi, a, b)

    def _value_and_grad(u: np.ndarray, r: float, alpha: float, kappa: float, phi: float, a: float,
                        b: float) -> tuple[float, np.ndarray]:
        ll, g = weighted_loglik_and_grad(np.array([r, alpha, a, b]), xs, code, t_x, T, w)
        z = (u - mu) / sigma
        # log-normal priors: the density of log(theta) is normal (the Jacobian is absorbed);
        # beta prior on phi in logit coordinates: alpha0 log(phi) + beta0 log(1 - phi)
        value = ll - 0.5 * float(np.sum(z[log_normal] ** 2))
        value += beta_a * np.log(phi) + beta_b * np.log1p(-phi)
        grad = np.where(log_normal, -z / sigma, 0.0)
        grad[0] += g[0] * r
        grad[1] += g[1] * alpha
        grad[2] += (g[2] - g[3]) * kappa * phi * (1.0 - phi) + beta_a * (1.0 - phi) - beta_b * phi
        grad[3] += (g[2] * phi + g[3] * (1.0 - phi)) * kappa
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            return -np.inf, np.zeros(4)
        return float(value), grad

    return logp


def expand(u: np.ndarray, **_: Any) -> dict[str, np.ndarray]:
    """All named quantities of one draw, for the posterior group of the trace."""
    r, alpha, kappa = np.exp(u[0]), np.exp(u[1]), np.exp(u[3])
    phi = expit(u[2])
    values = (r, alpha, phi * kappa, (1.0 - phi) * kappa, phi, kappa)
    return {name: np.asarray(v, dtype=np.float64) for name, v in zip(NAMES, values, strict=True)}


def sample(rows: np.ndarray, weights: np.ndarray, priors: dict[str, dict[str, Any]], *, start: np.ndarray | None,
           draws: int, tune: int, chains: int, random_seed: int | None, target_accept: float,
           progress: bool) -> Any:
    """NUTS (nutpie, low-rank mass matrix) on this density; returns ``arviz.InferenceData``."""
    import os

    import nutpie
    from nutpie.compiled_pyfunc import from_pyfunc

    logp = make_log_posterior(rows, weights, priors)
    centre = np.zeros(4) if start is None else np.asarray(start, dtype=float)

    def initial_point(seed: int) -> np.ndarray:
        # a small jitter: nutpie refuses a start whose gradient is exactly zero
        return centre + np.random.default_rng(seed).normal(0.0, 1e-3 if start is not None else 0.5, 4)

    model = from_pyfunc(4, lambda: logp, lambda seed1, seed2, chain: expand, [np.dtype("float64")] * len(NAMES),
                        [()] * len(NAMES), list(NAMES), make_initial_point_fn=initial_point)
    cores = max(1, min(chains, os.cpu_count() or 1))
    return nutpie.sample(model, draws=draws, tune=tune, chains=chains, cores=cores, seed=random_seed,
                         save_warmup=False, progress_bar=progress, target_accept=target_accept,
                         low_rank_modified_mass_matrix=True)
