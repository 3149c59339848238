"""Fitted models: purchase (event-forecast) models, spend, and contractual retention."""

from clvkit.models._base import MODEL_REGISTRY, MLEModel
from clvkit.models._event import EventModel
from clvkit.models.beta_geo import BetaGeo
from clvkit.models.beta_geo_beta_binom import BetaGeoBetaBinom
from clvkit.models.gamma_gamma import GammaGamma
from clvkit.models.modified_beta_geo import ModifiedBetaGeo
from clvkit.models.pareto_nbd import ParetoNBD
from clvkit.models.shifted_beta_geo import ShiftedBetaGeo

__all__ = ["MODEL_REGISTRY", "BetaGeo", "BetaGeoBetaBinom", "EventModel", "GammaGamma", "MLEModel",
           "ModifiedBetaGeo", "ParetoNBD", "ShiftedBetaGeo"]
