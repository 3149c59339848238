"""Retention / Dwyer plots render headless and show exactly the models' numbers."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import clvkit.dwyer as dw
from clvkit.data.datasets import load_retention_example
from clvkit.models.shifted_beta_geo import ShiftedBetaGeo
from clvkit.plotting import retention as rp


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_exported_names():
    import clvkit.plotting as plotting

    for name in ("plot_cohort_survival", "plot_state_values", "plot_cohort_table"):
        assert name in rp.__all__ and hasattr(plotting, name)


def test_cohort_survival_plot_shows_actual_and_sbg():
    counts = load_retention_example("high_end")
    model = ShiftedBetaGeo(unit="Y").fit(counts, periods=7)
    ax = rp.plot_cohort_survival(model, counts, fit_periods=7)
    actual, fitted = ax.lines[0], ax.lines[1]
    np.testing.assert_array_equal(actual.get_xdata(), np.arange(13))
    np.testing.assert_array_equal(actual.get_ydata(), counts["alive"].to_numpy())
    np.testing.assert_allclose(fitted.get_ydata(), 1000 * model.survival(np.arange(13)).to_numpy())
    assert ax.lines[2].get_xdata()[0] == 7.5
    # a LostForGood model with sBG retention draws the same curve
    lfg = dw.LostForGood(retention="sbg", unit="Y", margin=1.0).fit(counts, periods=7)
    ax2 = rp.plot_cohort_survival(lfg, counts)
    np.testing.assert_allclose(ax2.lines[1].get_ydata(), fitted.get_ydata())
    ax.figure.canvas.draw()


def test_state_value_plot_shows_policy_values():
    model = dw.AlwaysAShare.from_params([0.3, 0.2, 0.15, 0.05, 0.02], margin=40, cost=2)
    ax = rp.plot_state_values(model, discount_rate=0.2)
    pol = model.policy(0.2)
    heights_all = [b.get_height() for b in ax.containers[0]]
    heights_pol = [b.get_height() for b in ax.containers[1]]
    np.testing.assert_allclose(heights_all, pol["value_all"])
    np.testing.assert_allclose(heights_pol, pol["value_policy"])
    hatched = [bool(b.get_hatch()) for b in ax.containers[1]]
    assert hatched == (~pol["contact"]).tolist()
    assert [t.get_text() for t in ax.texts] == ["stop"] * int((~pol["contact"]).sum())
    ax.figure.canvas.draw()


def test_cohort_table_plot():
    table = dw.cohort_table(customers=20_000, retention=[0.40, 0.45, 0.50], orders=[1.8, 2.6, 3.6],
                            order_value=[85, 95, 105], cost_rate=[0.50, 0.45, 0.40],
                            discount_rate=0.20)
    fig, ax = plt.subplots()
    out = rp.plot_cohort_table(table, ax=ax)
    assert out is ax
    np.testing.assert_allclose([b.get_height() for b in ax.containers[0]], table["npv"])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), table["cumulative_npv"])
    assert [t.get_text() for t in ax.texts] == ["LTV 76.50", "LTV 121.78", "LTV 150.13"]
    fig.canvas.draw()
