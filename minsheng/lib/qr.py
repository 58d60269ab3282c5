"""QR codes as inline SVG, drawn on the server (no script, no image request: the page's
Content-Security-Policy allows it as it stands, and it prints sharp at any size)."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MAX_TEXT = 1000  # a link; the code grows with the text and stops scanning well on paper


def svg(text: str, *, title: str = "") -> SafeString:
    """The QR code of `text` as an <svg> element that scales to its container's width."""
    if len(text) > MAX_TEXT:
        raise ValueError("text too long for a printable QR code")
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4,
                       image_factory=qrcode.image.svg.SvgPathImage)
    qr.add_data(text)
    qr.make(fit=True)
    markup = qr.make_image().to_string(encoding="unicode")
    # drop the fixed size (mm) so CSS decides; the viewBox keeps the proportions
    head, rest = markup.split(">", 1)
    head = " ".join(p for p in head.split(" ") if not p.startswith(("width=", "height=")))
    label = f"<title>{escape(title)}</title>" if title else ""
    return mark_safe(f'{head} role="img" class="qr">{label}{rest}')  # noqa: S308 - built here
