"""The life-circle engine: street graph, accessibility, coverage, siting.

Pure numpy/scipy; no Django imports (enforced by ruff, see ruff.toml beside this file).
The engine arrives with the life-circle issue; the foundation only reserves its place.
"""
