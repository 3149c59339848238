"""Engines for data that outgrow pandas: DuckDB for big files on one machine, Spark for clusters.

Each engine is an optional extra and is imported only when used.
"""
