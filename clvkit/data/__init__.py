"""Data layer: from transaction logs to per-customer summaries and period panels."""

from clvkit.data import datasets
from clvkit.data.customer_data import CustomerData, as_customer_data, compress, validate_summary
from clvkit.data.units import DAYS_PER_UNIT, continuous_discount_rate, per_period_rate, periods_per_year

__all__ = [
    "DAYS_PER_UNIT",
    "CustomerData",
    "as_customer_data",
    "compress",
    "continuous_discount_rate",
    "datasets",
    "per_period_rate",
    "periods_per_year",
    "validate_summary",
]
