"""Plots: retention."""

__all__: list[str] = []
