"""A negative annual rate (finite horizons only) discounts by growth, for every purchase model: the value is
the by-parts integral of E[X(t)] with exp(+|delta| t), checked against adaptive quadrature."""

import numpy as np
import pytest
from scipy import integrate

import clvkit as ck

ROWS = np.array([[2, 30.4, 38.9], [0, 0, 38.9], [10, 35.0, 39.0], [1, 1.0, 2.0]], float)
MODELS = [ck.BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}),
          ck.ModifiedBetaGeo.from_params({"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}),
          ck.ParetoNBD.from_params({"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669})]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
def test_negative_rate_equals_the_integral(model):
    p = model.params_.to_numpy()
    delta = np.log(1 - 0.2) / (365.25 / 7)  # -20% a year
    H = 104.0
    got = model._discounted_purchases_rows(p, ROWS, H, delta)

    def E(t):
        return model._expected_purchases_rows(p, ROWS, t)

    ref = np.exp(-delta * H) * E(H) + delta * integrate.quad_vec(lambda t: np.exp(-delta * t) * E(t), 0, H,
                                                                 epsabs=0, epsrel=1e-12)[0]
    np.testing.assert_allclose(got, ref, rtol=1e-8)
    assert np.all(got > E(H))  # growth, not discounting


def test_bgbb_negative_rate_is_the_direct_sum():
    model = ck.BetaGeoBetaBinom.from_params({"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783},
                                            unit="Y")
    data = ck.CustomerData.from_frame(ck.datasets.load_donations(), unit="Y")
    value = ck.clv(model, data, 5, discount_rate=-0.1)
    cumulative = [np.zeros(len(data))] + [model.expected_purchases(data, k).to_numpy() for k in range(1, 6)]
    by_period = np.diff(np.array(cumulative), axis=0)
    direct = sum(by_period[k - 1] / 0.9 ** k for k in range(1, 6))
    np.testing.assert_allclose(value["discounted_purchases"].to_numpy(), direct, rtol=1e-10)
