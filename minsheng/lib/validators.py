"""Field validators for text that people type or send: the one input check against control
characters (the rule is `lib.text.control_char`), for Django forms, DRF serializers and any view
that reads text itself (Open311).

Use `MULTI_LINE` on descriptions, notes and other multi-line text (tab and line breaks allowed)
and `SINGLE_LINE` on every other text field (names, addresses, phone numbers, titles).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

from minsheng.lib.text import control_char

__all__ = ["MULTI_LINE", "SINGLE_LINE", "NoControlChars", "check_no_control_chars",
           "control_char_message"]


def control_char_message(ch: str) -> str:
    """What to tell the user about `ch`, a character `control_char` found."""
    if ch in "\t\n\r\u2028\u2029":
        return _("这里只能填一行文字，不能含有换行符或制表符。")
    return (_("含有不可见的控制字符（U+%(code)04X），可能是从其他系统复制来的，请删除后重新提交。")
            % {"code": ord(ch)})


def check_no_control_chars(value: object, *, multiline: bool = False) -> None:
    """Raise ValidationError (code "control_char") when the text holds a control character, or
    a tab or line break where `multiline` is false. Values other than text pass."""
    if not isinstance(value, str):
        return
    ch = control_char(value, multiline=multiline)
    if ch is not None:
        raise ValidationError(control_char_message(ch), code="control_char")


@deconstructible
class NoControlChars:
    """`check_no_control_chars` as a field validator (Django forms, DRF serializers)."""

    def __init__(self, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, value: object) -> None:
        check_no_control_chars(value, multiline=self.multiline)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoControlChars) and other.multiline == self.multiline

    def __hash__(self) -> int:
        return hash(self.multiline)


SINGLE_LINE = NoControlChars()
MULTI_LINE = NoControlChars(multiline=True)
