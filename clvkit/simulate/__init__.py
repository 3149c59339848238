"""Draw customer data from the models themselves: for tests, benchmarks and coverage studies."""

from clvkit.simulate.beta_geo import simulate_beta_geo
from clvkit.simulate.beta_geo_beta_binom import simulate_beta_geo_beta_binom
from clvkit.simulate.common import observation_times
from clvkit.simulate.modified_beta_geo import simulate_modified_beta_geo
from clvkit.simulate.pareto_nbd import simulate_pareto_nbd

__all__ = [
    "observation_times",
    "simulate_beta_geo",
    "simulate_beta_geo_beta_binom",
    "simulate_modified_beta_geo",
    "simulate_pareto_nbd",
]
