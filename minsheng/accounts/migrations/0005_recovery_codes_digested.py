"""Recovery codes made before they were digested (8 characters, in clear) are replaced by their
digest (accounts.two_factor.stored_code), so they keep working and can no longer be read."""

from __future__ import annotations

import hashlib
import hmac
from base64 import b32encode

from django.conf import settings
from django.db import migrations


def digest(apps, schema_editor):
    StaticToken = apps.get_model("otp_static", "StaticToken")
    for token in StaticToken.objects.select_related("device").iterator():
        if len(token.token) != 8:  # already a digest (16 characters)
            continue
        mac = hmac.new(settings.SECRET_KEY.encode(),
                       f"recovery:{token.device.user_id}:{token.token}".encode(),
                       hashlib.sha256).digest()
        token.token = b32encode(mac[:10]).decode().lower()
        token.save(update_fields=["token"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_audit_action_longer"),
        ("otp_static", "0003_add_timestamps"),
    ]
    operations = [migrations.RunPython(digest, migrations.RunPython.noop)]
