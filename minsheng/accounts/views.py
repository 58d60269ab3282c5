"""Two-factor sign-in pages (/account/2fa/…): the state and recovery codes, setting up a device,
giving a code after the password, turning it off. The rules are in two_factor.py."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minsheng.accounts import two_factor
from minsheng.accounts.forms import CodeForm, SetupForm, TurnOffForm

NEW_CODES = "two_factor_new_codes"  # session: recovery codes to show once, on the next page


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("web:home")


def _minutes(seconds: int) -> int:
    return max(1, -(-seconds // 60))


def _locked(request, seconds: int):
    """Too many wrong codes: signed out, told how long to wait."""
    logout(request)
    return render(request, "accounts/two_factor/locked.html",
                  {"minutes": _minutes(seconds)}, status=429)


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


@login_required
def status(request):
    user = request.user
    codes = request.session.pop(NEW_CODES, None)
    has = two_factor.has_device(user)
    return _no_store(render(request, "accounts/two_factor/status.html", {
        "has_device": has, "must_use": two_factor.must_use(user),
        "enforced": two_factor.enforced(),
        "remaining": two_factor.remaining_codes(user) if has else 0,
        "codes": [two_factor.shown(c) for c in codes] if codes else None,
        "next": _next(request),
    }))


@login_required
def setup(request):
    """A new device: the QR code and the key typed out; it counts once a code from it is given."""
    user = request.user
    if two_factor.has_device(user):
        return redirect("accounts:two-factor")
    device = two_factor.unconfirmed_device(user)
    form = SetupForm(request.POST or None)
    status_code = 200
    if request.method == "POST" and form.is_valid():
        wait = two_factor.held_for([device])
        codes = None if wait else two_factor.do_confirm_device(
            request, device, form.cleaned_data["code"])
        if codes is not None:
            request.session[NEW_CODES] = codes
            messages.success(request, _("两步验证已开启。请立即保存下面的恢复码。"))
            return redirect(reverse("accounts:two-factor") + "?"
                            + urlencode({"next": _next(request)}))
        form.add_error("code", _("请 %(n)d 秒后再试。") % {"n": wait} if wait else _(
            "验证码不对：请填写应用上当前显示的 6 位数字（每 30 秒更换一次），并确认手机的时间准确。"))
        status_code = 400
    elif request.method == "POST":
        status_code = 400
    return _no_store(render(request, "accounts/two_factor/setup.html", {
        "form": form, "qr": two_factor.qr_svg(device), "secret": two_factor.secret_text(device),
        "required": two_factor.pending(request) == "setup", "next": _next(request),
    }, status=status_code))


@login_required
def verify(request):
    """After the password: a code from the app, or a recovery code (each works once)."""
    user = request.user
    if not two_factor.has_device(user) or two_factor.is_verified(user):
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    status_code = 200
    if request.method == "POST":
        status_code = 400
        wait = two_factor.wait_seconds(user)
        if wait:
            return _locked(request, wait)
        if form.is_valid():
            code = form.cleaned_data["code"]
            held = two_factor.held_for(two_factor.devices_of(user, two_factor.kind_of(code)))
            if held:
                form.add_error("code", _("请 %(n)d 秒后再试。") % {"n": held})
            else:
                ok, kind = two_factor.check_code(request, code)
                if ok:
                    if kind == "recovery":
                        messages.warning(request, _(
                            "已使用一个恢复码，还剩 %(n)d 个。手机丢失时，请尽快关闭两步验证后重新设置。")
                            % {"n": two_factor.remaining_codes(user)})
                    return redirect(_next(request))
                wait = two_factor.record_failure(request)
                if wait:
                    return _locked(request, wait)
                form.add_error("code", _("验证码不正确，请重试。连续多次错误后将暂时锁定。"))
    return _no_store(render(request, "accounts/two_factor/verify.html",
                            {"form": form, "next": _next(request)}, status=status_code))


@login_required
@require_POST
def regenerate(request):
    """Ten new recovery codes; the old ones stop working."""
    if not two_factor.has_device(request.user):
        return redirect("accounts:two-factor")
    request.session[NEW_CODES] = two_factor.do_regenerate_codes(request)
    messages.success(request, _("已生成新的恢复码，原来的恢复码已作废。"))
    return redirect("accounts:two-factor")


@login_required
def turn_off(request):
    """Turning two-factor sign-in off needs a current code (or a recovery code) or the password."""
    user = request.user
    if not two_factor.has_device(user):
        return redirect("accounts:two-factor")
    form = TurnOffForm(request.POST or None)
    status_code = 200
    if request.method == "POST":
        status_code = 400
        wait = two_factor.wait_seconds(user)
        if wait:
            return _locked(request, wait)
        if form.is_valid():
            code, password = form.cleaned_data["code"], form.cleaned_data["password"]
            ok = two_factor.check_code(request, code)[0] if code else user.check_password(password)
            if ok:
                two_factor.do_remove(request)
                messages.success(request, _("两步验证已关闭。"))
                return redirect("accounts:two-factor")
            wait = two_factor.record_failure(request)
            if wait:
                return _locked(request, wait)
            form.add_error(None, _("验证码或密码不正确。"))
    return render(request, "accounts/two_factor/off.html", {
        "form": form, "required": two_factor.enforced() and two_factor.must_use(user),
    }, status=status_code)
