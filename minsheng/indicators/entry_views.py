"""Pages of manual data entry: the list of returns a user may fill in or approve, the form of one
return (save, submit, approve, return or un-approve), and its Excel template and upload.

Every change goes through minsheng/indicators/entry.py, which validates and refuses; these views
only check who may see what (a region outside the user's entry scope is a 404, an action the user
has no right to is a 403) and show the service's errors beside the fields they concern.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from minsheng.indicators import access, entry, formula
from minsheng.indicators.entry import EntryError
from minsheng.indicators.models import Completion, DataElement, DataSet
from minsheng.indicators.periods import YEAR, Period, PeriodError, parse
from minsheng.lib.http import download
from minsheng.lib.tabular import (
    XLSX_TYPE,
    ImportRejected,
    RowError,
    append_row,
    file_error,
    read_table,
)
from minsheng.lib.validators import InputChecked
from minsheng.places.models import Region

S = Completion.State
STATES = {
    "empty": gettext_lazy("未填报"),
    S.DRAFT: gettext_lazy("填报中"),
    S.SUBMITTED: gettext_lazy("待审核"),
    S.APPROVED: gettext_lazy("已审核"),
}
ACTIONS = {
    "save": gettext_lazy("保存"),
    "submit": gettext_lazy("上报"),
    "approve": gettext_lazy("审核通过"),
    "return": gettext_lazy("退回"),
    "unapprove": gettext_lazy("取消审核"),
}
MAX_UPLOAD = 2 * 1024 * 1024
MAX_REASON = 300
YEARS_BACK = 5


# --- who may see what ---------------------------------------------------------------------------


def _guard(request) -> None:
    if not access.may_use_entry(request.user):
        raise PermissionDenied


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


def _name(obj) -> str:
    return obj.name_en if _english() and getattr(obj, "name_en", "") else obj.name


def _period_label(p: Period) -> str:
    return p.label_en if _english() else p.label


def _return(request, dataset: str, region: str, period: str):
    """The data set, region and period of a return the user may open, or 403/404."""
    _guard(request)
    ds = get_object_or_404(DataSet, code=dataset)
    r = Region.objects.filter(code=region).first()
    if r is None or r.level != ds.level or not access.can_enter(request.user, r):
        raise Http404
    try:
        p = entry.check_period(ds, parse(period))
    except (PeriodError, EntryError):
        raise Http404 from None
    return ds, r, p


def _url(name: str, ds: DataSet, region: Region, p: Period) -> str:
    return reverse(f"indicators:{name}", args=[ds.code, region.code, p.id])


# --- the list -----------------------------------------------------------------------------------


def _years(request) -> tuple[int, list[int]]:
    this = timezone.localdate().year
    years = list(range(this, this - YEARS_BACK - 1, -1))
    raw = request.GET.get("year", "")
    year = int(raw) if raw.isdigit() and 1990 <= int(raw) <= this else this
    if year not in years:
        years.append(year)
    return year, years


def _periods(ds: DataSet, year: int) -> list[Period]:
    today = timezone.localdate()
    ps = Period(year).sub_periods(ds.period_kind) if ds.period_kind != YEAR else [Period(year)]
    return [p for p in reversed(ps) if p.start <= today]


def _state(c: Completion | None) -> str:
    return "empty" if c is None else c.state


def _last_return(c: Completion | None) -> dict | None:
    """The last return or un-approval of a draft, so the department sees why it came back."""
    if c is None or c.state != S.DRAFT:
        return None
    for h in reversed(c.history):
        if h.get("action") in ("return", "unapprove"):
            return h
        if h.get("action") == "submit":
            return None
    return None


@login_required
def entry_list(request):
    _guard(request)
    year, years = _years(request)
    user = request.user
    rows = []
    for ds in DataSet.objects.filter(elements__isnull=False).distinct().order_by("order", "code"):
        regions = list(access.entry_regions_for(user, ds.level).order_by("code"))
        periods = _periods(ds, year)
        if not regions or not periods:
            continue
        done = {(c.region_id, c.period): c for c in Completion.objects.filter(
            dataset=ds, region__in=regions, period__in=[p.id for p in periods])}
        for r in regions:
            approver = access.can_approve(user, r)
            for p in periods:
                c = done.get((r.code, p.id))
                state = _state(c)
                rows.append({
                    "dataset": ds, "name": _name(ds), "region": r, "period": p,
                    "period_label": _period_label(p), "state": state,
                    "state_label": STATES[state], "completion": c,
                    "returned": _last_return(c),
                    "to_review": approver and state == S.SUBMITTED
                    and c.submitted_by_id != user.pk,
                    "url": _url("entry_form", ds, r, p),
                })
    counts = {k: sum(1 for row in rows if row["state"] == k) for k in STATES}
    return render(request, "indicators/entry_list.html", {
        "rows": rows, "year": year, "years": years,
        "counts": [(k, STATES[k], counts[k]) for k in STATES],
        "to_review": sum(1 for row in rows if row["to_review"]),
    })


# --- one return ---------------------------------------------------------------------------------


def _plain(v: Decimal | None) -> str:
    return "" if v is None else f"{v.normalize():f}"


def _range_text(el: DataElement) -> str:
    lo = None if el.min_value is None else _plain(el.min_value)
    hi = None if el.max_value is None else _plain(el.max_value)
    if lo is not None and hi is not None:
        bounds = _("取值 %(lo)s–%(hi)s") % {"lo": lo, "hi": hi}
    elif lo is not None:
        bounds = _("不小于 %(lo)s") % {"lo": lo}
    elif hi is not None:
        bounds = _("不大于 %(hi)s") % {"hi": hi}
    else:
        bounds = ""
    kind = _("整数") if el.value_type == DataElement.ValueType.INTEGER \
        else _("可有小数（最多 4 位）")
    return "，".join(t for t in (bounds, kind) if t) if not _english() \
        else ", ".join(t for t in (bounds, kind) if t)


def _label(el: DataElement) -> str:
    return f"{_name(el)}（{el.unit}）" if el.unit else _name(el)


class ReturnForm(InputChecked, forms.Form):
    """One text field per data element; the service does the checking (so the clerk's input is
    kept exactly as typed and the messages are the service's)."""

    def __init__(self, elements: list[DataElement], *args, **kwargs):
        super().__init__(*args, **kwargs)
        for el in elements:
            integer = el.value_type == DataElement.ValueType.INTEGER
            f = forms.CharField(
                label=_label(el), required=False, help_text=el.definition,
                widget=forms.TextInput(attrs={
                    "inputmode": "numeric" if integer and (el.min_value or 0) >= 0
                    else "decimal",
                    "autocomplete": "off", "maxlength": 30, "class": "entry-input"}))
            f.range_text = _range_text(el)
            f.element = el
            self.fields[el.code] = f


def _elements(ds: DataSet) -> list[DataElement]:
    return list(ds.elements.order_by("order", "code"))


def _history(c: Completion | None) -> list[dict]:
    if c is None:
        return []
    names = {u.username: (u.first_name or "") for u in get_user_model().objects.filter(
        username__in={h.get("user") for h in c.history})}
    out = []
    for h in reversed(c.history):
        try:
            at = dt.datetime.fromisoformat(h.get("at", ""))
        except ValueError:
            at = None
        out.append({"at": at, "user": h.get("user", ""), "who": names.get(h.get("user"), ""),
                    "action": ACTIONS.get(h.get("action"), h.get("action")),
                    "key": h.get("action"), "note": h.get("note", "")})
    return out


def _errors_into(form: ReturnForm, errors: dict[str, list[str]]) -> list[dict]:
    """Put the service's errors on the form's fields; return them as a list for the top."""
    form.is_valid()
    top = []
    for code, msgs in errors.items():
        for m in msgs:
            if code in form.fields:
                form.add_error(code, m)
                top.append({"field": code, "label": form.fields[code].label, "message": m})
            else:
                form.add_error(None, m)
                top.append({"field": "", "label": "", "message": m})
    return top


def _mark_rule_fields(form: ReturnForm, ds: DataSet, broken: list[str]) -> None:
    """Show a broken rule (优良天数 ≤ 监测天数) beside each field it compares, too."""
    for rule in ds.rules.all():
        if rule.message not in broken:
            continue
        try:
            codes = formula.names(rule.left) | formula.names(rule.right)
        except formula.FormulaError:
            continue
        for code in sorted(codes):
            if code in form.fields:
                form.add_error(code, rule.message)


def _page(request, ds, region, p, *, form=None, top_errors=None, upload_errors=None,
          saved: bool = False):
    user = request.user
    c = entry.completion(ds, region, p)
    c = c if c.pk else None
    state = _state(c)
    elements = _elements(ds)
    values = entry.values_of(ds, region, p)
    editable = state in ("empty", S.DRAFT)
    if form is None:
        form = ReturnForm(elements, initial={k: _plain(v) for k, v in values.items()})
    approver = access.can_approve(user, region)
    own = c is not None and c.submitted_by_id == user.pk
    return render(request, "indicators/entry_form.html", {
        "ds": ds, "ds_name": _name(ds), "region": region, "period": p,
        "period_label": _period_label(p), "completion": c, "state": state,
        "state_label": STATES[state], "editable": editable, "form": form,
        "top_errors": top_errors or [], "upload_errors": upload_errors or [],
        "readonly": [{"label": _label(el), "name": _name(el), "unit": el.unit,
                      "value": _plain(values.get(el.code)), "definition": el.definition}
                     for el in elements],
        "filled": sum(1 for el in elements if el.code in values), "total": len(elements),
        "can_approve": approver and state == S.SUBMITTED and not own,
        "own_submission": approver and state == S.SUBMITTED and own,
        "can_return": approver and state == S.SUBMITTED,
        "can_unapprove": approver and state == S.APPROVED,
        "returned": _last_return(c), "history": _history(c),
        "max_reason": MAX_REASON, "saved_not_submitted": saved,
        "form_url": _url("entry_form", ds, region, p),
        "xlsx_url": _url("entry_xlsx", ds, region, p),
        "upload_url": _url("entry_upload", ds, region, p),
        "list_url": reverse("indicators:entry") + f"?year={p.year}",
    })


@login_required
def entry_form(request, dataset: str, region: str, period: str):
    ds, r, p = _return(request, dataset, region, period)
    if request.method == "GET":
        return _page(request, ds, r, p)
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    action = request.POST.get("action", "")
    user = request.user
    if action in ("save", "submit"):
        return _save(request, ds, r, p, submit=action == "submit")
    if action in ("approve", "send_back"):
        if not access.can_approve(user, r):
            raise PermissionDenied
        try:
            if action == "approve":
                entry.approve(user, ds, r, p)
                messages.success(request, _("已审核通过，数据已锁定并计入指标。"))
            else:
                reason = request.POST.get("reason", "").strip()[:MAX_REASON]
                c = entry.send_back(user, ds, r, p, reason)
                last = c.history[-1]["action"] if c.history else ""
                messages.success(request, _("已取消审核，数据已解锁，重新审核前不计入指标。")
                                 if last == "unapprove" else _("已退回填报部门。"))
        except EntryError as e:
            messages.error(request, str(e))
        return redirect(_url("entry_form", ds, r, p))
    return HttpResponseBadRequest(_("未知的操作"))


def _save(request, ds, r, p, *, submit: bool):
    elements = _elements(ds)
    form = ReturnForm(elements, request.POST)
    raw = {el.code: request.POST.get(el.code, "") for el in elements}
    try:
        entry.save(request.user, ds, r, p, raw)
    except EntryError as e:
        top = _errors_into(form, e.errors)
        _mark_rule_fields(form, ds, e.errors.get("", []))
        return _page(request, ds, r, p, form=form, top_errors=top)
    if not submit:
        messages.success(request, _("已保存（尚未上报）。"))
        return redirect(_url("entry_form", ds, r, p))
    try:
        entry.submit(request.user, ds, r, p)
    except EntryError as e:
        missing = {el.code: [_("上报前请填写此项")] for el in elements
                   if not raw[el.code].strip()}
        top = _errors_into(form, missing or e.errors)
        if missing:  # the service's message names them all; the fields are marked
            top = [{"field": "", "label": "", "message": str(e)}]
        return _page(request, ds, r, p, form=form, top_errors=top, saved=True)
    messages.success(request, _("已上报，等待审核。审核前不能修改。"))
    return redirect(_url("entry_form", ds, r, p))


# --- Excel --------------------------------------------------------------------------------------

SHEET = "填报"
ID_KEYS = ("填报表代码", "区划代码", "期间")
HEADER = ("代码", "数据项", "计量单位", "数值", "填写要求", "口径说明")


def _download(content: bytes, filename: str) -> HttpResponse:
    return download(content, filename, XLSX_TYPE)


def return_workbook(ds: DataSet, region: Region, p: Period) -> bytes:
    """The return as an .xlsx: an identity row (so a file is not loaded into another return),
    then one row per data element with its saved value."""
    values = entry.values_of(ds, region, p)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    append_row(ws, [f"{ds.name} · {region.name} · {p.label}"])
    ws["A1"].font = Font(bold=True, size=13)
    append_row(ws, [ID_KEYS[0], ds.code, ID_KEYS[1], region.code, ID_KEYS[2], p.id])
    append_row(ws, ["只在“数值”一列填写；上传时整张表要么全部保存，要么一项也不保存。"])
    ws["A3"].font = Font(italic=True, color="666666")
    append_row(ws, list(HEADER))
    fill = PatternFill("solid", fgColor="F1F5F9")
    for cell in ws[4]:
        cell.font = Font(bold=True)
        cell.fill = fill
    for el in _elements(ds):
        v = values.get(el.code)
        if v is not None:
            v = int(v) if el.value_type == DataElement.ValueType.INTEGER else v.normalize()
        append_row(ws, [el.code, el.name, el.unit, v, _range_text(el), el.definition])
        ws.cell(ws.max_row, 4).fill = PatternFill("solid", fgColor="FFFBEB")
        ws.cell(ws.max_row, 6).alignment = Alignment(wrap_text=True, vertical="top")
    for col, width in zip("ABCDEF", (26, 30, 12, 14, 22, 60), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A5"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@login_required
def entry_xlsx(request, dataset: str, region: str, period: str):
    ds, r, p = _return(request, dataset, region, period)
    return _download(return_workbook(ds, r, p), f"{ds.name}_{r.name}_{p.id}.xlsx")


def read_workbook(ds: DataSet, region: Region, p: Period, file, name: str
                  ) -> tuple[dict[str, str], dict[str, int]]:
    """The raw values in an uploaded return and the row each came from. ImportRejected lists
    every problem of the file (unreadable or too large, unknown, repeated or missing rows, a file
    of another return), each a RowError whose column is the data element's name."""
    try:
        table = read_table(file, name, sheet=SHEET, max_bytes=MAX_UPLOAD)
    except ImportRejected as e:
        if any("无法读取" in err.message for err in e.errors):
            raise ImportRejected([file_error(_("无法读取这个文件。请上传本页“下载 Excel”得到的 .xlsx "
                                               "文件，填好后另存为 .xlsx。"))]) from e
        raise
    problems: list[RowError] = []
    expected = {ID_KEYS[0]: ds.code, ID_KEYS[1]: region.code, ID_KEYS[2]: p.id}
    header_at = None
    for i, (n, row) in enumerate(table.rows):
        for j, cell in enumerate(row[:-1]):
            if cell in expected and row[j + 1] and row[j + 1] != expected[cell]:
                problems.append(RowError(n, cell, row[j + 1], _(
                    "这个文件属于另一张填报表（%(key)s 为 %(got)s，本表为 %(want)s），"
                    "请下载本表的 Excel 后填写") % {"key": cell, "got": row[j + 1],
                                                "want": expected[cell]}, column_no=j + 2))
        if "代码" in row and "数值" in row:
            header_at = i
            break
    if header_at is None:
        problems.append(file_error(_("没有找到表头行（应有“代码”和“数值”两列）。"
                                     "请使用本页下载的 Excel 模板。")))
        raise ImportRejected(problems)
    head = table.rows[header_at][1]
    c_code, c_value = head.index("代码"), head.index("数值")
    c_name = head.index("数据项") if "数据项" in head else None
    elements = {el.code: el for el in _elements(ds)}
    by_name = {el.name: el.code for el in elements.values()}
    raw: dict[str, str] = {}
    row_of: dict[str, int] = {}
    for n, row in table.rows[header_at + 1:]:
        code = row[c_code] if c_code < len(row) else ""
        name = row[c_name] if c_name is not None and c_name < len(row) else ""
        if not code and name in by_name:
            code = by_name[name]
        value = row[c_value] if c_value < len(row) else ""
        if code not in elements:
            problems.append(RowError(n, code or name, value, _("本表没有这个数据项")))
            continue
        if code in raw:
            problems.append(RowError(n, elements[code].name, value, _(
                "数据项重复（第 %(first)d 行已有）") % {"first": row_of[code]}))
            continue
        raw[code], row_of[code] = value, n
    for code, el in elements.items():
        if code not in raw:
            problems.append(file_error(_("文件中缺少这一行，请勿删除模板中的行"), column=el.name))
    if problems:
        raise ImportRejected(problems)
    return raw, row_of


def _shown(errors: list[RowError]) -> list[dict]:
    """RowErrors as entry_form.html lists them (its column “数据项” is the RowError's column)."""
    return [{"row": e.row, "element": e.column, "value": e.value, "message": e.message}
            for e in errors]


class UploadForm(InputChecked, forms.Form):
    file = forms.FileField(label=gettext_lazy("填好的 Excel 文件 (.xlsx)"))


@require_POST
@login_required
def entry_upload(request, dataset: str, region: str, period: str):
    ds, r, p = _return(request, dataset, region, period)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        problems = [file_error(_("请选择要上传的 Excel 文件"))]
        return _page(request, ds, r, p, upload_errors=_shown(problems))
    f = form.cleaned_data["file"]
    if not f.name.lower().endswith(".xlsx"):
        problems = [file_error(_("请上传不超过 2 MB 的 .xlsx 文件（收到：%(name)s）")
                               % {"name": f.name})]
        return _page(request, ds, r, p, upload_errors=_shown(problems))
    try:
        raw, row_of = read_workbook(ds, r, p, f, f.name)
        entry.save(request.user, ds, r, p, raw)
    except ImportRejected as e:
        return _page(request, ds, r, p, upload_errors=_shown(e.errors))
    except EntryError as e:
        names = {el.code: el.name for el in _elements(ds)}
        problems = [RowError(row_of.get(code, 0), names.get(code, ""), raw.get(code, ""), m)
                    for code, msgs in e.errors.items() for m in msgs]
        return _page(request, ds, r, p, upload_errors=_shown(problems))
    filled = sum(1 for v in raw.values() if v.strip())
    messages.success(request, _("已从 Excel 保存 %(n)d 项数据（尚未上报）。") % {"n": filled})
    return redirect(_url("entry_form", ds, r, p))
