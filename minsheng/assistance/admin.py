"""Back office of the assistance app; each part registers its own models."""

from minsheng.assistance import monitoring_admin  # noqa: F401
