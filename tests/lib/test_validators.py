"""The one input check against control characters, as forms and serializers use it."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.core.exceptions import ValidationError

from minsheng.lib.validators import MULTI_LINE, SINGLE_LINE, InputChecked, check_no_control_chars


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\u202e", "\u2066"])
def test_control_characters_are_refused_in_every_field(bad: str) -> None:
    for multiline in (False, True):
        with pytest.raises(ValidationError, match=f"U\\+{ord(bad):04X}") as e:
            check_no_control_chars(f"路灯{bad}不亮", multiline=multiline)
        assert e.value.code == "control_char"


@pytest.mark.parametrize("ws", ["\t", "\n", "\r", "\u2028"])
def test_tabs_and_line_breaks_only_in_multi_line_fields(ws: str) -> None:
    check_no_control_chars(f"第一行{ws}第二行", multiline=True)
    with pytest.raises(ValidationError, match="只能填一行"):
        check_no_control_chars(f"第一行{ws}第二行")


def test_as_form_validators() -> None:
    class F(forms.Form):
        name = forms.CharField(validators=[SINGLE_LINE])
        note = forms.CharField(validators=[MULTI_LINE])

    assert F({"name": "王女士", "note": "a\nb\tc"}).is_valid()
    f = F({"name": "王\x07女士", "note": "a\x07"})
    assert not f.is_valid()
    assert set(f.errors) == {"name", "note"} and "控制字符" in f.errors["name"][0]
    assert check_no_control_chars(12) is None  # not text: nothing to check


def test_every_form_of_the_site_gets_its_checks_from_the_mixin() -> None:
    """InputChecked puts the checks on every field when the form is cleaned, fields added in
    __init__ included: text (single- or multi-line by widget), dates, whole numbers."""
    class F(InputChecked, forms.Form):
        name = forms.CharField()
        note = forms.CharField(widget=forms.Textarea)
        day = forms.DateField()
        count = forms.IntegerField()

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["late"] = forms.CharField()

    ok = F({"name": "王女士", "note": "a\nb", "day": "2026-12-03", "count": "3", "late": "x"})
    assert ok.is_valid(), ok.errors
    bad = F({"name": "a\nb", "note": "x\ud800y", "day": "0001-01-01",
             "count": "99999999999999999999", "late": "\x07"})
    assert not bad.is_valid()
    assert set(bad.errors) == {"name", "note", "day", "count", "late"}
    assert "2199-12-31" in bad.errors["day"][0]
    assert F({"name": "a", "note": "b", "day": dt.date(2199, 12, 31).isoformat(), "count": "1",
              "late": "c"}).is_valid()
