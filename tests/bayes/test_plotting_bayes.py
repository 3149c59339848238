"""Posterior predictive plots draw the model's own numbers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from clvkit.data.datasets import load_retention_example

pytestmark = pytest.mark.bayes


def test_survival_bands_plot(sbg_fits):
    import matplotlib.pyplot as plt

    from clvkit.plotting import plot_survival_bands

    counts = load_retention_example("regular")
    model = sbg_fits["regular"]
    ax = plot_survival_bands(model, counts, interval=0.9)
    actual, mean = ax.get_lines()[:2]
    np.testing.assert_array_equal(actual.get_ydata(), counts["alive"].to_numpy(dtype=float))
    np.testing.assert_allclose(mean.get_ydata(), 1000 * model.survival(range(13)).to_numpy())
    assert len(ax.collections) == 2  # credible band of S(t) and predictive band of years 8-12
    plt.close(ax.figure)


def test_repeat_purchase_ppc_plot(bg_fit, cdnow_summary):
    import matplotlib.pyplot as plt

    from clvkit.plotting import plot_repeat_purchase_ppc

    ax = plot_repeat_purchase_ppc(bg_fit, cdnow_summary, max_frequency=5, random_seed=2)
    heights = [patch.get_height() for patch in ax.patches]
    expected = np.bincount(np.minimum(cdnow_summary.frame["frequency"], 5), minlength=6)
    np.testing.assert_array_equal(heights, expected)
    ppc = bg_fit.repeat_purchase_ppc(cdnow_summary, 5, 0.9, random_seed=2)
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), ppc["predicted"].to_numpy())
    plt.close(ax.figure)
