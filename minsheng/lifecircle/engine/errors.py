"""The one error type the engine raises for bad input, worded for a district analyst (Chinese)."""

from __future__ import annotations

__all__ = ["EngineError"]


class EngineError(ValueError):
    """Bad input to the life-circle engine: an empty network, no points, k too large …

    The message is Chinese and names what is wrong, so an adapter (command, page) can show it as is.
    """
