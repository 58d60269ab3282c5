"""Pages of the takeovers: parse, check (access), call (takeovers.do_*), render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minsheng.governance import access, takeovers
from minsheng.lib.validators import check_no_control_chars


@login_required
def index(request: HttpRequest) -> HttpResponse:
    if not access.nav(request.user)["takeovers"]:
        raise PermissionDenied
    tos = access.takeovers_for(request.user)
    items = access.takeover_items_for(request.user)
    rows = {r["pk"]: r for r in takeovers.takeover_rows(tos)}
    return render(request, "governance/takeovers.html", {
        "rows": [(t, rows.get(t.pk, {})) for t in tos.order_by("-started_on")],
        "total": takeovers.figures(items)})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    to = access.access_takeover_by_id(request.user, pk)
    items = access.takeover_items_for(request.user).filter(takeover=to).order_by(
        "compound__name", "deadline")
    today = timezone.localdate()
    return render(request, "governance/takeover.html", {
        "to": to, "today": today, "total": takeovers.figures(items, today),
        "items": [(i, access.is_taking_over(request.user, i), access.can_check(request.user, i))
                  for i in items]})


@require_POST
@login_required
def act(request: HttpRequest, pk: int) -> HttpResponse:
    item = access.access_takeover_item_by_id(request.user, pk)
    what = request.POST.get("do")
    try:
        if what == "done":
            if not access.is_taking_over(request.user, item):
                raise PermissionDenied
            takeovers.do_report_done(item, by=request.user)
        elif what in ("pass", "fail"):
            if not access.can_check(request.user, item):
                raise PermissionDenied
            note = request.POST.get("note", "")[:300]
            check_no_control_chars(note)
            takeovers.do_check(item, passed=what == "pass", note=note, by=request.user)
        else:
            raise ValidationError(_("未知操作"))
        messages.success(request, _("已记录"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("governance:takeover", pk=item.takeover_id)
