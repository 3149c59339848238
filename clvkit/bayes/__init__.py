"""Bayesian variants of clvkit's models, fitted with PyMC and sampled with nutpie.

Needs the ``bayes`` extra (``pip install clvkit[bayes]``: pymc, arviz, nutpie). ``import clvkit``
never imports this package; ``clvkit.bayes`` is loaded on first use.

Models
------
ShiftedBetaGeo
    Contract renewals (sBG) of one cohort or of many cohorts with partial pooling.
BetaGeo
    BG/NBD purchases, sampled on compressed weighted rows; predictions in memory-bounded chunks.

Both are registered in :data:`clvkit.MODELS` (``"bayes.ShiftedBetaGeo"``, ``"bayes.BetaGeo"``)
when this package is first imported. Save with ``model.save(path)`` (NetCDF) and read back with
:func:`clvkit.load`, which recognises the file by its content.

ParetoNBD is not offered: see ``docs/bayes.md`` for why.
"""

from __future__ import annotations

try:
    import arviz  # noqa: F401
    import pymc  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        f"clvkit.bayes needs PyMC and ArviZ, which are not installed ({exc}). "
        "Install the extra with: pip install clvkit[bayes]"
    ) from exc

import os

from clvkit._contract import renamed
from clvkit.bayes import _base
from clvkit.bayes._base import BayesModel
from clvkit.bayes.beta_geo import BetaGeo
from clvkit.bayes.shifted_beta_geo import ShiftedBetaGeo

__all__ = ["BayesModel", "BetaGeo", "ShiftedBetaGeo", "load"]


def load(path: str | os.PathLike[str]) -> BayesModel:
    """Deprecated: use :func:`clvkit.load`, which reads every model file (JSON or NetCDF)."""
    renamed("ck.bayes.load(path)", "ck.load(path)")
    return _base.load(path)
