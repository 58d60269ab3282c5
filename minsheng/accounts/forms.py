"""The forms of two-factor sign-in: a code (from the app, or a recovery code), and turning it off
with a code or the password."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from minsheng.accounts import two_factor
from minsheng.lib.validators import SINGLE_LINE, InputChecked

TOO_LONG = _("验证码最多 %(limit_value)d 个字符：请只填手机上显示的 6 位数字，或一个 8 位恢复码。")
BAD_SHAPE = _("请填写验证器应用上显示的 6 位数字，或一个 8 位恢复码（形如 abcd-efgh）。")
APP_ONLY = _("请填写验证器应用上显示的 6 位数字。")


class CodeForm(InputChecked, forms.Form):
    """A code after the password: 6 digits from the app or an 8-character recovery code. Any other
    shape (markup, control characters, too long) is refused here, before any device is asked and
    without counting as a wrong code."""

    code = forms.CharField(
        label=_("验证码"), max_length=two_factor.MAX_INPUT, validators=[SINGLE_LINE],
        error_messages={"max_length": TOO_LONG, "required": _("请填写验证码。")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True,
                                      "autocapitalize": "off", "spellcheck": "false"}))
    recovery_allowed = True

    def clean_code(self) -> str:
        code = two_factor.normalise(self.cleaned_data["code"])
        kind = two_factor.kind_of(code)
        if kind is None or (kind == "recovery" and not self.recovery_allowed):
            raise forms.ValidationError(BAD_SHAPE if self.recovery_allowed else APP_ONLY,
                                        code="shape")
        return code


class SetupForm(CodeForm):
    """Confirming a new device: only a code from the app proves the app holds the key."""

    recovery_allowed = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update({"inputmode": "numeric"})


class TurnOffForm(InputChecked, forms.Form):
    code = forms.CharField(
        label=_("验证码或恢复码"), required=False, max_length=two_factor.MAX_INPUT,
        validators=[SINGLE_LINE], error_messages={"max_length": TOO_LONG},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "off",
                                      "spellcheck": "false"}))
    password = forms.CharField(label=_("或：登录密码"), required=False, max_length=256,
                               widget=forms.PasswordInput(
                                   attrs={"autocomplete": "current-password"}))

    def clean_code(self) -> str:
        raw = self.cleaned_data.get("code") or ""
        if not raw:
            return ""
        code = two_factor.normalise(raw)
        if two_factor.kind_of(code) is None:
            raise forms.ValidationError(BAD_SHAPE, code="shape")
        return code

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("code") and not data.get("password"):
            raise forms.ValidationError(_("请填写当前的验证码（或一个恢复码），或者登录密码。"),
                                        code="required")
        return data
