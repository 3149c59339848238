"""Plots: bayes."""

__all__: list[str] = []
