"""Fitted models: purchase (event-forecast) models, spend, and contractual retention."""

from clvkit.models._base import MODEL_REGISTRY, MLEModel
from clvkit.models._event import EventModel
from clvkit.models.beta_geo import BetaGeo
from clvkit.models.gamma_gamma import GammaGamma
from clvkit.models.shifted_beta_geo import ShiftedBetaGeo

__all__ = ["MODEL_REGISTRY", "BetaGeo", "EventModel", "GammaGamma", "MLEModel", "ShiftedBetaGeo"]
