"""clvkit's 2F1 against mpmath at 50 digits, including the integer c-a-b cases where scipy fails."""

import mpmath
import numpy as np
import pytest
from scipy import special

from clvkit.models._math.hypergeometric import hyp2f1


def _cases(integer_gap: bool, n: int, seed: int):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-5, 20, n)
    b = rng.uniform(-0.95, 20, n)
    gap = rng.integers(0, 300, n) + (0.0 if integer_gap else rng.uniform(0.01, 0.99, n))
    c = a + b + gap
    keep = c > 0.05
    z = 1 - 10 ** rng.uniform(-3, 0, n)
    return a[keep], b[keep], c[keep], z[keep]


def _reference(a, b, c, z):
    mpmath.mp.dps = 50
    return np.array([float(mpmath.hyp2f1(*v)) for v in zip(a, b, c, z, strict=True)])


@pytest.mark.parametrize("integer_gap", [True, False])
def test_matches_mpmath(integer_gap):
    a, b, c, z = _cases(integer_gap, 400, seed=int(integer_gap))
    np.testing.assert_allclose(hyp2f1(a, b, c, z), _reference(a, b, c, z), rtol=1e-9)


def test_scipy_alone_fails_where_we_do_not():
    """Keeps the reason for this module honest: if scipy is fixed, this test says so."""
    a, b, c, z = _cases(True, 400, seed=5)
    ref = _reference(a, b, c, z)
    with np.errstate(all="ignore"):
        scipy_values = special.hyp2f1(a, b, c, z)
    wrong = ~np.isclose(scipy_values, ref, rtol=1e-9)
    assert wrong.sum() > 10
    np.testing.assert_allclose(hyp2f1(a, b, c, z)[wrong], ref[wrong], rtol=1e-9)


def test_scalar_in_scalar_out():
    assert hyp2f1(1.0, 1.0, 101.0, 0.903) == pytest.approx(float(mpmath.hyp2f1(1, 1, 101, 0.903)), rel=1e-12)
