"""QR codes as inline SVG: scalable, with an escaped title, and refused for oversized text."""

from __future__ import annotations

import pytest

from minsheng.lib import qr


def test_the_code_is_an_svg_that_scales_and_escapes_its_title() -> None:
    out = str(qr.svg("https://example.org/public/survey/abc/", title='<b onclick="x">楼</b>'))
    assert out.startswith("<svg") and 'class="qr"' in out and "viewBox" in out
    assert "width=" not in out.split(">", 1)[0]  # CSS decides the size
    assert "<b" not in out and "&lt;b onclick=&quot;x&quot;&gt;楼&lt;/b&gt;" in out


def test_oversized_text_is_refused() -> None:
    with pytest.raises(ValueError):
        qr.svg("x" * (qr.MAX_TEXT + 1))
