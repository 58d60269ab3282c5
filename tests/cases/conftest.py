"""Fixtures shared by the case tests."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture
def fresh_limits():
    """The device intake's rate limits (kept in the cache) start empty and are left empty."""
    cache.clear()
    yield
    cache.clear()
