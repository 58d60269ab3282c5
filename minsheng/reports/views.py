"""The annual report page: preview, narrative editing (MANAGE_REPORTS) and downloads
(VIEW_INDICATORS). Thin: parse -> access (access.py) -> services -> render."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from minsheng.accounts import masking
from minsheng.accounts.models import AuditLog
from minsheng.accounts.roles import VIEW_INDICATORS
from minsheng.lib import http
from minsheng.places.regionswitch import current_region
from minsheng.places.scope import scope_of
from minsheng.reports import access, actions, export, services
from minsheng.reports.document import BUILTIN_DIR, ReportTemplateError, template_source
from minsheng.reports.models import ReportDraft

YEARS_OFFERED = 10


def _default_code(request) -> str:
    region = current_region(request)
    if region is not None and region.level in services.REPORT_LEVELS \
            and scope_of(request.user).has_right(VIEW_INDICATORS, region.code):
        return region.code
    offered = access.report_regions_for(request.user).first()
    return offered.code if offered else ""


def _year(request, raw: str | None) -> int:
    last = timezone.localdate().year
    if not raw:
        return last - 1
    try:
        return services.parse_year(raw)
    except services.ReportInputError as exc:
        messages.error(request, str(exc))
        return last - 1


def _query(region, year: int) -> str:
    return urlencode({"region": region.code, "year": year})


@require_GET
@login_required
def annual(request):
    if not access.may_read_reports(request.user):
        raise PermissionDenied
    region = access.access_report_region(request.user,
                                         request.GET.get("region") or _default_code(request))
    year = _year(request, request.GET.get("year"))
    try:
        report = services.annual_report(region, year, fresh=False)
        preview = export.html(report, embed_fonts=False, preview=True)
        error = ""
    except ReportTemplateError as exc:
        report, preview, error = None, "", str(exc)
    draft = ReportDraft.objects.filter(region=region, year=year).select_related(
        "updated_by").first()
    first, last = services.year_range()
    _source, template_path = template_source()
    return render(request, "reports/page.html", {
        "region": region, "year": year, "report": report, "preview": preview, "error": error,
        "draft": draft, "can_edit": access.may_edit(request.user, region),
        "regions": access.report_regions_for(request.user),
        "years": list(range(last, max(first, last - YEARS_OFFERED) - 1, -1)),
        "query": _query(region, year), "formats": export.FORMATS,
        "template_path": template_path,
        "custom_template": template_path.parent != BUILTIN_DIR,
    })


@require_GET
@login_required
def download(request):
    region = access.access_report_region(request.user, request.GET.get("region"))
    try:
        year = services.parse_year(request.GET.get("year"))
    except services.ReportInputError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    fmt = request.GET.get("format", "")
    if fmt not in export.FORMATS:
        return HttpResponse(_("不支持的格式：应为 docx、pdf、html 或 xlsx。"), status=400,
                            content_type="text/plain; charset=utf-8")
    try:
        report = services.annual_report(region, year)
        content = export.render(report, fmt)
    except (ReportTemplateError, export.ExportError) as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    masking.log(request.user, AuditLog.Action.EXPORT, object_type="reports.annual",
                object_id=f"{region.code}-{year}", region_code=region.code,
                detail=f"下载{report.title}（{fmt}）", request=request)
    filename = f"{report.filename_stem}.{fmt}"
    return http.download(content, filename, export.CONTENT_TYPES[fmt])


@require_POST
@login_required
def narrative(request):
    region = access.access_report_region(request.user, request.POST.get("region"))
    if not access.may_edit(request.user, region):
        raise PermissionDenied
    try:
        year = services.parse_year(request.POST.get("year"))
    except services.ReportInputError as exc:
        messages.error(request, str(exc))
        return redirect(reverse("reports:annual") + "?" + urlencode({"region": region.code}))
    key = request.POST.get("key", "")
    back = reverse("reports:annual") + "?" + _query(region, year)
    try:
        report = services.annual_report(region, year, fresh=False)
    except ReportTemplateError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    section = next((s for s in report.sections if s.key == key), None)
    if section is None:
        messages.error(request, _("报告中没有这一部分。"))
        return redirect(back)
    if request.POST.get("action") == "reset":
        actions.do_reset_narrative(request.user, region, year, key)
        messages.success(request, _("“%(title)s”已恢复为根据数据生成的文字。")
                         % {"title": section.title})
    else:
        actions.do_save_narrative(request.user, region, year, key,
                                   request.POST.get("text", ""), section.generated)
        messages.success(request, _("“%(title)s”的文字已保存，所有格式的导出都将使用它。")
                         % {"title": section.title})
    return redirect(f"{back}#edit-{key}")
