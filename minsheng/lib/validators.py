"""Field validators for text that people type or send: the one input check against control
characters (the rule is `lib.text.control_char`), for Django forms, DRF serializers and any view
that reads text itself (Open311).

Use `MULTI_LINE` on descriptions, notes and other multi-line text (tab and line breaks allowed)
and `SINGLE_LINE` on every other text field (names, addresses, phone numbers, titles).

Every form of the site derives from `InputChecked` (`class F(InputChecked, forms.Form)`): it puts
the right one on every text field the form has when it is cleaned (a `Textarea` is multi-line,
any other widget single-line), fields added in `__init__` included, so no field can forget it.
It also keeps dates within `DATE_RANGE` (0001-01-01 or 9999-12-31 break date arithmetic, periods
and reports) and whole numbers within what every database stores (PostgreSQL's bigint).
`tests/test_hostile.py` walks every form class with the hostile corpus and fails for one without it.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

from minsheng.lib.text import control_char

__all__ = ["DATE_RANGE", "MULTI_LINE", "SINGLE_LINE", "InputChecked", "NoControlChars",
           "check_date", "check_fields", "check_no_control_chars", "check_whole_number",
           "control_char_message"]

# the dates a form accepts: wide enough for any birth date or plan, narrow enough that a year
# more or less, a period or a deadline computed from it stays a date
DATE_RANGE = (dt.date(1900, 1, 1), dt.date(2199, 12, 31))
# the whole numbers every database stores (PostgreSQL's bigint; SQLite's INTEGER)
MAX_WHOLE = 2**63 - 1


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


def check_date(value: object) -> None:
    """Raise ValidationError (code "date_range") for a date or datetime outside DATE_RANGE."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date) and not DATE_RANGE[0] <= value <= DATE_RANGE[1]:
        raise ValidationError(
            _("日期超出范围（%(first)s 至 %(last)s），请检查年份。")
            % {"first": DATE_RANGE[0].isoformat(), "last": DATE_RANGE[1].isoformat()},
            code="date_range")


def check_whole_number(value: object) -> None:
    """Raise ValidationError (code "number_range") for a whole number no database stores."""
    if isinstance(value, int) and not -MAX_WHOLE - 1 <= value <= MAX_WHOLE:
        raise ValidationError(_("数字过大，请检查后重新填写。"), code="number_range")


def check_fields(fields) -> None:
    """Give every field of `fields` (a form's `fields`) the check its kind needs and has not
    got yet: text refuses control characters (`MULTI_LINE` behind a Textarea, `SINGLE_LINE`
    behind any other widget), dates stay in DATE_RANGE, whole numbers in a bigint."""
    for field in fields.values():
        if isinstance(field, forms.CharField):
            if not any(isinstance(v, NoControlChars) for v in field.validators):
                field.validators.append(MULTI_LINE if isinstance(field.widget, forms.Textarea)
                                        else SINGLE_LINE)
        elif isinstance(field, forms.DateField | forms.DateTimeField):
            _add(field, check_date)
        elif isinstance(field, forms.IntegerField) and not isinstance(
                field, forms.FloatField | forms.DecimalField):  # both derive from IntegerField
            _add(field, check_whole_number)


def _add(field: forms.Field, validator) -> None:
    if validator not in field.validators:
        field.validators.append(validator)


class InputChecked:
    """A form mixin, first in the bases: every text field refuses control characters (and line
    breaks unless it is a Textarea), every date stays in DATE_RANGE, every whole number in a
    bigint. Applied when the form is cleaned, so fields a subclass adds or replaces in
    `__init__` are checked too."""

    def full_clean(self):
        check_fields(self.fields)
        super().full_clean()


def check_admin_forms(site) -> None:
    """Give every back-office form of `site` (each model admin's, its add form's and its inlines')
    the checks of `InputChecked`, as every form of the site has: called once all admin modules are
    loaded (web.apps), so a model admin added later is checked without a line of its own."""
    for model_admin in site._registry.values():
        for holder in (model_admin, *model_admin.inlines):
            for attr in ("form", "add_form"):
                form = getattr(holder, attr, None)
                if form is not None and not issubclass(form, InputChecked):
                    setattr(holder, attr, type(f"Checked{form.__name__}", (InputChecked, form),
                                               {"__module__": form.__module__}))
