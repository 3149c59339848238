"""Dwyer's (1989) split of customer relationships, each with its lifetime-value model.

- :class:`LostForGood`: a customer who leaves never returns; value a cohort from its
  retention curve (sBG, constant or empirical) (:mod:`clvkit.dwyer.lost_for_good`).
- :class:`AlwaysAShare`: customers split their business, go quiet and come back; value them
  with a Markov chain on recency states (:mod:`clvkit.dwyer.always_a_share`).
- :func:`cohort_table`: the textbook year-by-year CLV table (:mod:`clvkit.dwyer.cohort_table`).

Dwyer, F. R. (1989), "Customer lifetime valuation to support marketing decision making",
Journal of Direct Marketing 3(4), 8-15.
"""

from clvkit.dwyer.always_a_share import AlwaysAShare
from clvkit.dwyer.cohort_table import cohort_table
from clvkit.dwyer.lost_for_good import LostForGood

__all__ = ["AlwaysAShare", "LostForGood", "cohort_table"]
