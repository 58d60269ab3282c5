"""What places tells the apps above it. Places imports none of them: an app that keeps
per-district data connects a receiver in its AppConfig.ready()."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by divisions.load_district inside its transaction, once the district's Region rows exist
# (on a first load and on every reload: receivers must be idempotent), with
# district_code="<12-digit code>". A receiver's error rolls the load back.
district_loaded = Signal()
