"""clvkit: probabilistic customer lifetime value.

Event forecasts (BG/NBD, Pareto/NBD, MBG/NBD, BG/BB with Gamma-Gamma spend), contractual
retention (shifted-beta-geometric) and Dwyer's lost-for-good / always-a-share models behind
one fit / predict API.

>>> import clvkit as ck
>>> data = ck.summarize(ck.datasets.load_cdnow(sample=True), calibration_end="1997-09-30", end="1998-06-30")
>>> model = ck.BetaGeo().fit(data)
"""

from __future__ import annotations

import importlib
from typing import Any

from clvkit._contract import MODELS
from clvkit._version import __version__
from clvkit.batch import score
from clvkit.data import CustomerData, datasets
from clvkit.data.periods import (
    PeriodPanel,
    cohort_survival,
    lost_for_good_status,
    period_panel,
    recency_state,
    recency_transitions,
)
from clvkit.data.summarize import summarize
from clvkit.dwyer import AlwaysAShare, LostForGood, cohort_table
from clvkit.errors import ClvkitError, ConvergenceWarning, DataError, DataWarning, NotFittedError
from clvkit.evaluate.compare import ComparisonReport, compare
from clvkit.io import load
from clvkit.models import BetaGeo, BetaGeoBetaBinom, GammaGamma, ModifiedBetaGeo, ParetoNBD, ShiftedBetaGeo
from clvkit.value import clv

#: submodules imported on first use: ``bayes`` needs the optional pymc stack.
_LAZY = {"bayes": "clvkit.bayes", "crm": "clvkit.crm", "plotting": "clvkit.plotting", "engines": "clvkit.engines"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        globals()[name] = module
        return module
    raise AttributeError(f"module 'clvkit' has no attribute {name!r}")


__all__ = [
    "MODELS",
    "AlwaysAShare",
    "BetaGeo",
    "BetaGeoBetaBinom",
    "ClvkitError",
    "ComparisonReport",
    "ConvergenceWarning",
    "CustomerData",
    "DataError",
    "DataWarning",
    "GammaGamma",
    "LostForGood",
    "ModifiedBetaGeo",
    "NotFittedError",
    "ParetoNBD",
    "PeriodPanel",
    "ShiftedBetaGeo",
    "__version__",
    "clv",
    "cohort_survival",
    "cohort_table",
    "compare",
    "datasets",
    "load",
    "lost_for_good_status",
    "period_panel",
    "recency_state",
    "recency_transitions",
    "score",
    "summarize",
]
