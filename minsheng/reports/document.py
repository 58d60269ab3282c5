"""The annual report as a list of blocks, from a template a district can edit.

The template (templates/reports/annual.md, or annual.md in the override folder: the setting or
environment variable MINSHENG_REPORT_TEMPLATES, else var/report_templates/) is Django template
language producing a small Markdown-like text:

    # title                       the report's title
    ## 一、民生支出 {#spending}     a section; {#key} names it for edited narratives
    ### heading                   a sub-heading
    > text                        a note (smaller type)
    ::table spending              a block directive, alone on its line (see DIRECTIVES)
    any other lines               paragraphs, separated by a blank line

Only a blank line in the template separates paragraphs; a line that renders empty (a false
{% if %}, a tag or a comment on its own line) leaves nothing behind, so a paragraph's sentences can
each sit on their own conditional line.

The paragraphs of a section are its narrative: a district admin may rewrite them (ReportDraft);
the rewrite replaces the generated paragraphs in every export, tables and charts stay.
Renderers (export.py) draw the blocks; nothing here knows about HTML, Word or PDF.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.template import Context, Engine, TemplateDoesNotExist, TemplateSyntaxError

from minsheng.indicators import services
from minsheng.indicators.models import DataElement, Indicator, Section
from minsheng.lib.money import format_amount, to_unit
from minsheng.projects.progress import FLAG_LABELS
from minsheng.reports import charts
from minsheng.reports.figures import MISSING, Data

TEMPLATE_NAME = "annual.md"
BUILTIN_DIR = Path(__file__).resolve().parent / "templates" / "reports"
FLAG_COLOURS = {"completed": "#5a9e4b", "on_track": "#2f6db5", "not_started": "#9e9e9e",
                "lagging": "#e39b3b", "at_risk": "#d9534f", "overdue": "#a50f15",
                "cancelled": "#bbbbbb"}


class ReportTemplateError(ValueError):
    """The report template cannot be used (syntax, unknown directive): a Chinese message."""


# --- blocks ------------------------------------------------------------------------------------


@dataclass
class Heading:
    level: int  # 1 title, 2 section, 3 sub-heading
    text: str
    key: str = ""
    kind = "heading"


@dataclass
class Paragraph:
    text: str
    section: str
    edited: bool = False
    kind = "paragraph"


@dataclass
class Note:
    text: str
    kind = "note"


@dataclass
class Column:
    label: str
    width: float  # relative
    align: str = "left"  # left | right | center


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[list[str]]
    note: str = ""
    kind = "table"

    @property
    def widths(self) -> list[float]:
        """Column widths in per cent of the table."""
        total = sum(c.width for c in self.columns) or 1
        return [round(100 * c.width / total, 1) for c in self.columns]

    @property
    def head(self) -> list[tuple[Column, float]]:
        return list(zip(self.columns, self.widths, strict=True))

    @property
    def body(self) -> list[list[tuple[str, str]]]:
        """Rows as (cell, align) pairs, for templates."""
        return [[(cell, c.align) for cell, c in zip(row, self.columns, strict=False)]
                for row in self.rows]


@dataclass
class ChartBlock:
    chart: charts.Chart
    kind = "chart"

    @property
    def svg(self) -> str:
        return charts.to_svg(self.chart)


Block = Heading | Paragraph | Note | Table | ChartBlock


@dataclass
class SectionText:
    key: str
    title: str
    generated: str  # the template's paragraphs, blank-line separated
    text: str  # what the report prints (edited or generated)
    edited: bool


@dataclass
class Report:
    data: Data
    title: str
    blocks: list[Block]
    sections: list[SectionText] = field(default_factory=list)

    @property
    def region(self):
        return self.data.region

    @property
    def year(self) -> int:
        return self.data.year

    @property
    def filename_stem(self) -> str:
        return re.sub(r'[\\/:*?"<>|\s]+', "_", self.title)


# --- the template ------------------------------------------------------------------------------

BREAK = "\ue000"  # stands for a blank template line through rendering (private use, not a space)
_BLANK = re.compile(r"^[ \t]*$", re.MULTILINE)


def template_dirs() -> list[Path]:
    """Where annual.md is looked for, first match wins."""
    override = settings.REPORT_TEMPLATES_DIR
    dirs = [Path(override)] if override else []
    dirs.append(Path(settings.VAR_DIR) / "report_templates")
    dirs.append(BUILTIN_DIR)
    return dirs


def template_source() -> tuple[str, Path]:
    for d in template_dirs():
        path = d / TEMPLATE_NAME
        if path.is_file():
            return path.read_text(encoding="utf-8"), path
    raise ReportTemplateError(f"找不到报告模板 {TEMPLATE_NAME}")


def render_text(data: Data) -> str:
    """The template rendered with the data (still Markdown-like text)."""
    source, path = template_source()
    source = _BLANK.sub(BREAK, source.replace("\r\n", "\n"))
    engine = Engine(dirs=[str(d) for d in template_dirs()], autoescape=False,
                    libraries={}, builtins=["django.template.defaulttags",
                                            "django.template.defaultfilters"])
    try:
        template = engine.from_string(source)
        return template.render(Context(data.context()))
    except (TemplateSyntaxError, TemplateDoesNotExist) as exc:
        raise ReportTemplateError(f"报告模板 {path} 有错误：{exc}") from exc


# --- parsing -----------------------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,3})\s+(.*?)\s*(?:\{#([A-Za-z0-9_-]+)\})?\s*$")


def parse(text: str, data: Data) -> tuple[str, list[Block]]:
    """(title, blocks) from the rendered template text."""
    blocks: list[Block] = []
    title = ""
    section = "intro"
    para: list[str] = []
    note: list[str] = []
    n_sections = 0

    def flush() -> None:
        if para:
            joined = "".join(s.strip() for s in para).strip()
            if joined:
                blocks.append(Paragraph(joined, section))
            para.clear()
        if note:
            blocks.append(Note("".join(s.strip() for s in note)))
            note.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if BREAK in line:
            flush()
            line = line.replace(BREAK, "").strip()
        if not line:
            continue
        m = _HEADING.match(line)
        if m:
            flush()
            level, heading, key = len(m.group(1)), m.group(2), m.group(3)
            if level == 1:
                title = title or heading
            if level == 2:
                n_sections += 1
                section = key or f"section-{n_sections}"
            blocks.append(Heading(level, heading, section if level == 2 else ""))
            continue
        if line.startswith("::"):
            flush()
            blocks.extend(directive(line[2:].split(), data))
            continue
        if line.startswith(">"):
            if para:
                flush()
            note.append(line[1:])
            continue
        if note:
            flush()
        para.append(line)
    flush()
    return title, blocks


# --- directives --------------------------------------------------------------------------------


def directive(words: list[str], data: Data) -> list[Block]:
    if not words:
        raise ReportTemplateError("报告模板中有空的指令行“::”")
    name, args = words[0], words[1:]
    fn = DIRECTIVES.get(name)
    if fn is None:
        raise ReportTemplateError(
            f"报告模板中有未知的指令“::{name}”；可用的指令：{'、'.join(DIRECTIVES)}")
    try:
        out = fn(data, *args)
    except TypeError as exc:
        raise ReportTemplateError(f"报告模板中的指令“::{' '.join(words)}”参数不对") from exc
    return [b for b in out if b is not None]


def _indicator(code: str) -> Indicator:
    ind = Indicator.objects.filter(code=code).first()
    if ind is None:
        raise ReportTemplateError(f"报告模板引用了不存在的指标“{code}”")
    return ind


def _section(key: str) -> str:
    if key not in Section.values:
        raise ReportTemplateError(
            f"报告模板引用了不存在的板块“{key}”；可用：{'、'.join(Section.values)}")
    return key


def table_of_section(data: Data, key: str) -> list[Block]:
    """::table SECTION — the section's indicators: this year, last year, change, target."""
    _section(key)
    rows = []
    unverified = False
    for code, v in data.values.items():
        ind = v.indicator
        if ind.section != key:
            continue
        fig = data.figures[code]
        name = ind.name
        if not ind.verified:
            name += "*"
            unverified = True
        change = fig.vs_prev.removeprefix("比上年") if fig.vs_prev else ""
        rows.append([name, fig.text if fig else "—", fig.prev.text if fig.prev else "—",
                     change or "—", fig.target.text if fig.target else "—"])
    if not rows or all(r[1] == "—" and r[2] == "—" for r in rows):
        return []  # nothing this year or last: a table of dashes says nothing
    return [Table(
        title=f"{Section(key).label}主要指标",
        columns=[Column("指标", 5.2), Column(f"{data.year}年", 2.4, "right"),
                 Column(f"{data.year - 1}年", 2.4, "right"), Column("变化", 3.2, "right"),
                 Column("年度目标", 2.2, "right")],
        rows=rows, note="注：标*的指标口径尚未与依据文件核实。" if unverified else "")]


def table_of_projects(data: Data) -> list[Block]:
    """::projects — the year's projects with their progress and status flag."""
    p = data.projects
    if not p.rows:
        return [Paragraph(f"{data.year}年没有录入民生项目清单{MISSING}。", "projects")]
    rows = [[r.number or str(i), r.name, r.lead, r.target,
             format_amount(r.planned_money, "万元", 0, show_unit=False) if r.planned_money else "—",
             f"{r.actual:.0f}%", r.label] for i, r in enumerate(p.rows, start=1)]
    return [Table(
        title=f"{p.plan_name}项目进展（截至{data.at.month}月{data.at.day}日）",
        columns=[Column("序号", 1.2, "center"), Column("项目名称", 3.6), Column("牵头单位", 2.7),
                 Column("目标任务", 3.6), Column("计划投资（万元）", 1.9, "right"),
                 Column("实际进度", 2.0, "right"), Column("状态", 2.2, "center")],
        rows=rows, note="实际进度取已审核通过的最新进度报告；状态按计划进度与实际进度之差判定。")]


def chart_of_projects(data: Data) -> list[Block]:
    """::chart projects — how many projects have each status."""
    counts = {f: n for f, n in data.projects.counts.items() if n}
    if not counts:
        return []
    order = [f for f in ("completed", "on_track", "not_started", "lagging", "at_risk",
                         "overdue", "cancelled") if f in counts]
    return [ChartBlock(charts.Chart(
        title=f"{data.year}年民生项目进展状态", labels=[FLAG_LABELS[f] for f in order],
        series=[charts.Series("项目数", [float(counts[f]) for f in order],
                              colors=[FLAG_COLOURS[f] for f in order])], unit="个"))]


def chart_of_cases_by_month(data: Data) -> list[Block]:
    """::chart cases-monthly — cases received and resolved per month."""
    by_month = {m["month"]: m for m in data.cases["monthly"]}
    last = data.at.month
    months = [f"{data.year}-{m:02d}" for m in range(1, last + 1)]
    if not any(by_month.get(m) for m in months):
        return []
    return [ChartBlock(charts.Chart(
        title=f"{data.year}年各月受理和办结群众诉求", labels=[f"{int(m[5:])}月" for m in months],
        series=[charts.Series("受理", [float(by_month[m]["n"]) if m in by_month else 0.0
                                      for m in months]),
                charts.Series("已办结", [float(by_month[m]["resolved"]) if m in by_month else 0.0
                                        for m in months])],
        unit="件"))]


def _street_values(data: Data, inds: list[Indicator]) -> tuple[list, dict]:
    """The region's children and {child: {indicator: value}}. A count or amount made only of
    computed data is 0, not missing, for a child without records (the computation writes
    values only where there are records, and 0 for the district)."""
    kids = services.children(data.region.code)
    if not kids:
        return [], {}
    values = services.evaluate([k.code for k in kids], data.period, indicators=inds,
                               with_previous=False)
    computed = set(DataElement.objects.filter(source="computed").values_list("code", flat=True))
    zero_ok = {i.code for i in inds if i.kind in (Indicator.Kind.COUNT, Indicator.Kind.AMOUNT)
               and i.element_codes() <= computed and data.computed_at is not None}
    out = {k.code: {i.code: values[k.code][i.code].value for i in inds} for k in kids}
    for row in out.values():
        for code in zero_ok:
            if row[code] is None:
                row[code] = Decimal(0)
    return kids, out


def chart_by_street(data: Data, code: str) -> list[Block]:
    """::chart streets INDICATOR — the indicator for each street (or community) of the region."""
    ind = _indicator(code)
    kids, values = _street_values(data, [ind])
    if not kids:
        return []
    pairs = [(k.name, values[k.code][code]) for k in kids]
    if all(v is None for _n, v in pairs):
        return []
    pairs.sort(key=lambda p: -(p[1] if p[1] is not None else -1))
    level = "街道（乡镇）" if data.region.level == "district" else "社区（村）"
    return [ChartBlock(charts.Chart(
        title=f"各{level}{ind.name}", labels=[n for n, _v in pairs],
        series=[charts.Series(ind.name, [float(v) if v is not None else None
                                         for _n, v in pairs])],
        unit=ind.unit, horizontal=True, decimals=ind.decimals))]


def chart_of_spending(data: Data) -> list[Block]:
    """::chart spending — livelihood spending of the year by functional class (亿元)."""
    rows = data.spending
    if not rows:
        return []
    return [ChartBlock(charts.Chart(
        title=f"{data.year}年民生支出构成（按支出功能分类）", labels=[r["name"] for r in rows],
        series=[charts.Series("支出", [float(to_unit(r["amount"], "亿元")) for r in rows])], unit="亿元",
        horizontal=True, decimals=2))]


def table_of_case_types(data: Data, n: str = "10") -> list[Block]:
    """::cases-categories [N] — the N most frequent case types of the year."""
    try:
        limit = int(n)
    except ValueError as exc:
        raise ReportTemplateError(f"指令“::cases-categories {n}”的条数应为整数") from exc
    rows = data.cases["categories"][:limit]
    if not rows:
        return []
    return [Table(
        title=f"受理量居前{len(rows)}位的诉求类型",
        columns=[Column("诉求类型", 5.0), Column("受理（件）", 2.5, "right"),
                 Column("已办结（件）", 2.5, "right"), Column("按时办结率", 2.5, "right")],
        rows=[[r["name"], f"{r['n']:,}", f"{r['resolved']:,}",
               f"{r['on_time_rate']:.1f}%" if r["on_time_rate"] is not None else "—"]
              for r in rows])]


def table_by_street(data: Data, *codes: str) -> list[Block]:
    """::streets IND1 IND2 … — a table of the indicators for each street of the region."""
    if not codes:
        raise ReportTemplateError("指令“::streets”后面应写至少一个指标代码")
    inds = [_indicator(c) for c in codes]
    kids, values = _street_values(data, inds)
    if not kids:
        return []
    level = "街道（乡镇）" if data.region.level == "district" else "社区（村）"
    return [Table(
        title=f"各{level}情况",
        columns=[Column(level, 4.0)] + [Column(f"{i.short_name or i.name}", 2.6, "right")
                                        for i in inds],
        rows=[[k.name] + [services.fmt(i, values[k.code][i.code]) for i in inds] for k in kids])]


DIRECTIVES = {
    "table": table_of_section,
    "projects": table_of_projects,
    "cases-categories": table_of_case_types,
    "streets": table_by_street,
    "chart": None,  # dispatched below
}
CHARTS = {
    "projects": chart_of_projects,
    "cases-monthly": chart_of_cases_by_month,
    "streets": chart_by_street,
    "spending": chart_of_spending,
}


def chart(data: Data, kind: str = "", *args: str) -> list[Block]:
    """::chart KIND [ARGS] — see CHARTS."""
    fn = CHARTS.get(kind)
    if fn is None:
        raise ReportTemplateError(
            f"报告模板中有未知的图表“::chart {kind}”；可用：{'、'.join(CHARTS)}")
    return fn(data, *args)


DIRECTIVES["chart"] = chart


# --- narratives --------------------------------------------------------------------------------


def split_paragraphs(text: str) -> list[str]:
    parts = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    return ["".join(line.strip() for line in p.splitlines()) for p in parts if p.strip()]


def apply_narratives(blocks: list[Block], narratives: dict[str, str]) -> list[Block]:
    """Put each edited section's paragraphs in the slots of the generated ones (extra ones after
    the last slot, unused slots dropped); a section without paragraphs gets them after its
    heading."""
    out = list(blocks)
    for key, text in narratives.items():
        new = [Paragraph(t, key, edited=True) for t in split_paragraphs(text)]
        slots = [i for i, b in enumerate(out) if isinstance(b, Paragraph) and b.section == key]
        if not slots:
            at = next((i + 1 for i, b in enumerate(out)
                       if isinstance(b, Heading) and b.key == key), None)
            if at is None and key == "intro":
                at = next((i + 1 for i, b in enumerate(out)
                           if isinstance(b, Heading) and b.level == 1), 0)
            if at is None:
                continue  # a section the template no longer has
            out[at:at] = new
            continue
        for slot, para in zip(slots, new, strict=False):
            out[slot] = para
        if len(new) > len(slots):
            last = slots[-1]
            out[last + 1:last + 1] = new[len(slots):]
        elif len(new) < len(slots):
            drop = set(slots[len(new):])
            out = [b for i, b in enumerate(out) if i not in drop]
    return out


def section_texts(blocks: list[Block], narratives: dict[str, str]) -> list[SectionText]:
    """The editable sections, in template order, with their generated and current text."""
    out: list[SectionText] = []
    titles: dict[str, str] = {"intro": "导语"}
    order: list[str] = []
    paras: dict[str, list[str]] = {}
    for b in blocks:
        if isinstance(b, Heading) and b.level == 2:
            titles[b.key] = b.text
            if b.key not in order:
                order.append(b.key)
        elif isinstance(b, Paragraph):
            paras.setdefault(b.section, []).append(b.text)
            if b.section not in order:
                order.insert(0 if b.section == "intro" else len(order), b.section)
    for key in order:
        generated = "\n\n".join(paras.get(key, []))
        edited = key in narratives
        out.append(SectionText(key, titles.get(key, key), generated,
                               narratives[key] if edited else generated, edited))
    return out


def build(data: Data, narratives: dict[str, str] | None = None) -> Report:
    """The report of `data`, with the edited narratives (ReportDraft.narratives) applied."""
    title, blocks = parse(render_text(data), data)
    narratives = {k: v for k, v in (narratives or {}).items() if v and v.strip()}
    sections = section_texts(blocks, narratives)
    blocks = apply_narratives(blocks, narratives)
    if not title:
        title = f"{data.region.name}{data.year}年民生工作报告"
    return Report(data=data, title=title, blocks=blocks, sections=sections)
