"""Run NUTS on a PyMC model: nutpie first, PyMC's own sampler as the fallback."""

from __future__ import annotations

import os
import warnings
from typing import Any


def sample(model: Any, *, draws: int, tune: int, chains: int, random_seed: int | None,
           sampler: str = "nutpie", target_accept: float = 0.8, progress: bool = False,
           initial_points: dict[str, float] | None = None) -> tuple[Any, str]:
    """Posterior draws of ``model`` as ``(arviz.InferenceData, sampler used)``.

    nutpie compiles the model's log-density and gradient with numba and runs the chains in
    Rust threads, adapting a low-rank-modified mass matrix (the sBG's and BG/NBD's parameters
    are strongly correlated a posteriori: with a diagonal mass matrix the bulk ESS is 3-5
    times lower at the same cost); if it is missing or fails, PyMC's NUTS runs instead with a warning that says
    why. Warm-up draws are not kept. ``initial_points`` (values of free variables, natural
    scale) start every chain there without jitter: used to start at the maximum-likelihood
    estimate, which matters when a million customers make the posterior very narrow.
    """
    cores = max(1, min(chains, os.cpu_count() or 1))
    if sampler == "nutpie":
        try:
            import nutpie

            if initial_points:
                compiled = nutpie.compile_pymc_model(model, initial_points=initial_points, jitter_rvs=set())
            else:
                compiled = nutpie.compile_pymc_model(model)
            idata = nutpie.sample(compiled, draws=draws, tune=tune, chains=chains, cores=cores,
                                  seed=random_seed, save_warmup=False, progress_bar=progress,
                                  target_accept=target_accept, low_rank_modified_mass_matrix=True)
            return idata, "nutpie"
        except Exception as exc:  # any nutpie failure falls back to PyMC
            warnings.warn(f"nutpie could not sample this model ({type(exc).__name__}: {exc}); "
                          "falling back to PyMC's NUTS, which is slower.", RuntimeWarning, stacklevel=3)
    import pymc as pm

    with model:
        idata = pm.sample(draws=draws, tune=tune, chains=chains, cores=cores, random_seed=random_seed,
                          target_accept=target_accept, progressbar=progress, initvals=initial_points,
                          compute_convergence_checks=False)
    return idata, "pymc"
