"""Figures (matplotlib). Every function takes fitted models / data and returns a matplotlib Axes.

Grouped by family: :mod:`clvkit.plotting.events` (purchase models), :mod:`clvkit.plotting.retention`
(sBG and Dwyer), :mod:`clvkit.plotting.bayes` (posterior predictive checks),
:mod:`clvkit.plotting.crm_segments` and :mod:`clvkit.plotting.crm_value` (the CRM analyses).
"""

from clvkit.plotting.bayes import *  # noqa: F403
from clvkit.plotting.crm_segments import *  # noqa: F403
from clvkit.plotting.crm_value import *  # noqa: F403
from clvkit.plotting.events import *  # noqa: F403
from clvkit.plotting.retention import *  # noqa: F403
