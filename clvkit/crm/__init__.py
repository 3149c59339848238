"""CRM analyses built on customer lifetime value.

- :mod:`clvkit.crm.segments`: Pareto/ABC classes, the customer pyramid, the Lorenz curve and the
  80/20 concentration check, RFM scores and named RFM segments;
- :mod:`clvkit.crm.matrices`: the customer value matrix, the customer profitability matrix and the
  profitability chain (gross sales -> net sales -> gross profit -> net profit);
- :mod:`clvkit.crm.value`: the value triangle (historical, current, potential value), lifecycle
  stages, the retention elasticity of value and retention what-if tables.

Figures: :mod:`clvkit.plotting.crm_segments` and :mod:`clvkit.plotting.crm_value`.
"""

from clvkit.crm.matrices import profitability_chain, profitability_matrix, value_matrix
from clvkit.crm.segments import (
    RFM_SEGMENTS,
    abc_classes,
    concentration,
    customer_pyramid,
    lorenz_curve,
    rfm_scores,
    rfm_segment,
    rfm_table,
)
from clvkit.crm.value import (
    lifecycle_stage,
    purchase_retention_elasticity,
    retention_elasticity,
    retention_what_if,
    value_triangle,
)

__all__ = [
    "RFM_SEGMENTS",
    "abc_classes",
    "concentration",
    "customer_pyramid",
    "lifecycle_stage",
    "lorenz_curve",
    "profitability_chain",
    "profitability_matrix",
    "purchase_retention_elasticity",
    "retention_elasticity",
    "retention_what_if",
    "rfm_scores",
    "rfm_segment",
    "rfm_table",
    "value_matrix",
    "value_triangle",
]
