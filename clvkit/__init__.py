"""clvkit: probabilistic customer lifetime value.

Event forecasts (BG/NBD, Pareto/NBD, MBG/NBD, BG/BB with Gamma-Gamma spend), contractual
retention (shifted-beta-geometric) and Dwyer's lost-for-good / always-a-share models behind
one fit / predict API.
"""

from clvkit._version import __version__
from clvkit.data import CustomerData
from clvkit.errors import ClvkitError, ConvergenceWarning, DataError, DataWarning, NotFittedError
from clvkit.io import load
from clvkit.models import BetaGeo, GammaGamma
from clvkit.value import clv

__all__ = [
    "BetaGeo",
    "ClvkitError",
    "ConvergenceWarning",
    "CustomerData",
    "DataError",
    "DataWarning",
    "GammaGamma",
    "NotFittedError",
    "__version__",
    "clv",
    "load",
]
