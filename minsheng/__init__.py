"""民生 Minsheng: a district government's platform for people's-livelihood work."""

__version__ = "0.1.0"
