"""Measures behind the evaluation: each scheme item of each company measured from the records,
then scored by scoring.py. Used by actions.do_compute_scores, the CLI and the pages.

- 诉求办理 items come from cases/stats.responsiveness_ranking (one owner of on-time rates and of
  the minimum sample): a company with fewer than stats.MIN_SAMPLE resolved cases in the period is
  样本不足 for these items, not zero. Rates are used as they are (0–100); the mean rating (1–5) is
  multiplied by 20.
- 检查 items: the mean of the item's score (0–100) over the company's inspections in the period.
- 问卷 items: the mean answer (1–5) × 20 over the households that answered in the period, with the
  sample size; no answer → 样本不足.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from minsheng.cases import stats
from minsheng.governance import scoring
from minsheng.governance.models import Inspection, Scheme, SchemeItem, SurveyAnswer
from minsheng.places.models import Organisation, code_prefix

PERIOD_RE = re.compile(r"^(\d{4})(?:Q([1-4]))?$")


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    code: str
    start: dt.date
    end: dt.date  # exclusive

    @property
    def label(self) -> str:
        if "Q" in self.code:
            return _("%(year)s年第%(q)s季度") % {"year": self.code[:4], "q": self.code[5]}
        return _("%(year)s年") % {"year": self.code}


def parse_period(text: str) -> Period:
    """'2025' → the year, '2025Q3' → the third quarter (end exclusive)."""
    m = PERIOD_RE.match((text or "").strip().upper())
    if not m or not 2000 <= int(m.group(1)) <= 2100:
        raise PeriodError(_("考评期应为年份（如 2025）或年份加季度（如 2025Q3），收到“%(v)s”")
                          % {"v": str(text)[:20]})
    year = int(m.group(1))
    if m.group(2):
        q = int(m.group(2))
        start = dt.date(year, 3 * q - 2, 1)
        end = dt.date(year + (q == 4), (3 * q) % 12 + 1, 1)
    else:
        start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    return Period(m.group(0), start, end)


class _System:
    """Reads every case, for figures computed without a request (the CLI, the scorecards).
    cases.access.cases_for asks places.scope.scope_of, which treats a superuser as 'everything'."""

    is_authenticated = True
    is_active = True
    is_superuser = True
    pk = None


SYSTEM = _System()


def companies_of(scheme: Scheme):
    """The property companies registered in the scheme's region."""
    return Organisation.objects.filter(kind=Organisation.Kind.PROPERTY_COMPANY,
                                       region__code__startswith=code_prefix(scheme.region_id))


def case_measures(scheme: Scheme, period: Period, *,
                  min_sample: int | None = None) -> dict[int, dict]:
    """organisation id → the responsiveness row, with 'sufficient' saying whether it was ranked
    (stats.MIN_SAMPLE unless a test asks for another sample)."""
    r = stats.responsiveness_ranking(
        SYSTEM, period.start, period.end, code_prefix(scheme.region_id),
        min_sample=stats.MIN_SAMPLE if min_sample is None else min_sample)
    out = {}
    for row in r["ranked"]:
        out[row["organisation_id"]] = {**row, "sufficient": True, "min_sample": r["min_sample"]}
    for row in r["insufficient"]:
        out[row["organisation_id"]] = {**row, "sufficient": False, "min_sample": r["min_sample"]}
    return out


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def measure(scheme: Scheme, period: Period, company: Organisation, *,
            cases: dict[int, dict] | None = None) -> list[scoring.Item]:
    """The scheme's items measured for one company, with their evidence (no personal data)."""
    if cases is None:
        cases = case_measures(scheme, period)
    row = cases.get(company.pk)
    inspections = list(
        Inspection.objects.filter(scheme=scheme, company=company,
                                  inspected_on__gte=period.start, inspected_on__lt=period.end)
        .select_related("compound").order_by("inspected_on", "pk"))
    answers = list(SurveyAnswer.objects.filter(
        survey__scheme=scheme, company=company, answered_on__gte=period.start,
        answered_on__lt=period.end).values_list("survey__compound__name", "answers"))
    items = []
    for it in scheme.items.all():
        value, evidence = None, {}
        if it.source == SchemeItem.Source.CASES:
            evidence = {"resolved": row["resolved"] if row else 0,
                        "received": row["n"] if row else 0,
                        "on_time": row["on_time"] if row else 0,
                        "min_sample": row["min_sample"] if row else stats.MIN_SAMPLE,
                        "measure": row.get(it.metric) if row else None,
                        "metric": it.metric}
            if row and row["sufficient"] and row.get(it.metric) is not None:
                raw = row[it.metric]
                value = raw * 20 if it.metric == SchemeItem.Metric.RATING else raw
        elif it.source == SchemeItem.Source.INSPECTION:
            seen = [(i, i.results.get(it.code)) for i in inspections]
            seen = [(i, float(v)) for i, v in seen if isinstance(v, int | float)]
            value = _mean([v for _i, v in seen])
            evidence = {"inspections": [
                {"id": i.pk, "compound": i.compound.name, "date": i.inspected_on.isoformat(),
                 "kind": i.kind, "score": v} for i, v in seen]}
        else:
            got = [(name, a.get(it.code)) for name, a in answers]
            got = [(name, float(v)) for name, v in got if isinstance(v, int | float)]
            mean = _mean([v for _n, v in got])
            value = mean * 20 if mean is not None else None
            per: dict[str, int] = {}
            for name, _v in got:
                per[name] = per.get(name, 0) + 1
            evidence = {"answers": len(got), "mean": round(mean, 2) if mean is not None else None,
                        "compounds": per}
        items.append(scoring.Item(it.code, it.name, float(it.weight), value, evidence))
    return items


def bands_of(scheme: Scheme) -> list[tuple[str, float]]:
    return [(str(name), float(minimum)) for name, minimum in scheme.bands]


def compute(scheme: Scheme, period: Period, *,
            min_sample: int | None = None) -> list[tuple[Organisation, scoring.Card]]:
    """Every company of the scheme's region scored for the period, best first, ungraded last."""
    cases = case_measures(scheme, period, min_sample=min_sample)
    bands = bands_of(scheme)
    cards = [(c, scoring.score(measure(scheme, period, c, cases=cases), bands))
             for c in companies_of(scheme).order_by("name")]
    cards.sort(key=lambda oc: (oc[1].total is None, -(oc[1].total or 0), oc[0].name))
    return cards


def card_to_json(card: scoring.Card) -> list[dict]:
    return [{"code": i.code, "name": i.name, "weight": i.weight, "value": i.value,
             "points": i.points, "status": i.status, "evidence": i.evidence} for i in card.items]
