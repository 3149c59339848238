"""Draw customer data from the models themselves: for tests, benchmarks and coverage studies."""

from clvkit.simulate.beta_geo import simulate_beta_geo
from clvkit.simulate.common import observation_times

__all__ = ["observation_times", "simulate_beta_geo"]
