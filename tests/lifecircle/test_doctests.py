"""The engine's docstring examples run (numpydoc Examples are part of the contract)."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys

import pytest

MODULES = ["access", "catchment", "coverage", "geo", "graph", "siting", "snap"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"minsheng.lifecircle.engine.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_the_engine_does_not_import_django() -> None:
    code = ("import sys, minsheng.lifecircle.engine as e; "
            "print(any(m == 'django' or m.startswith('django.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
