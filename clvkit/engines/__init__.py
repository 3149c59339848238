"""Engines for data that outgrow pandas: DuckDB for big files on one machine, Spark for clusters.

Each engine is an optional extra and is imported only when used: ``ck.engines.duckdb``
(:func:`~clvkit.engines.duckdb.summarize_duckdb`) and ``ck.engines.spark``
(:func:`~clvkit.engines.spark.score_spark`) load on first access.
"""

from __future__ import annotations

import importlib
from typing import Any

_SUBMODULES = ("duckdb", "spark")
__all__ = list(_SUBMODULES)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"clvkit.engines.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'clvkit.engines' has no attribute {name!r}")
