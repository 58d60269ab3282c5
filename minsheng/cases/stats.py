"""Case statistics: what the supervisors' page shows and what the indicators issue publishes.

Every figure is a SQL aggregate (GROUP BY / COUNT / AVG) over `access.cases_for(user)` — never a
Python loop over cases — limited to a period and, optionally, a region prefix (the region
switcher). All functions return plain dicts and lists (JSON-serialisable apart from Decimal
amounts, which `as_json` turns into floats).

Definitions (one place, so the page, the JSON and the indicators agree):

- Period: `start` inclusive, `end` exclusive (aware datetimes, or dates meaning local midnight).
  Case figures are about the cases *received* in the period (created_at in [start, end)).
- Resolved: status resolved or closed (the handler finished; "closed is not fixed" — the resident's
  verdict is counted separately under satisfaction).
- On time: a resolved case accepted by its accept_due, resolved by its resolve_due and never
  flagged overdue (escalation pushes the due times back, so the overdue flag keeps a late case
  late). Rate = on-time / resolved.
  The due times are set on working-day clocks (cases.clocks: working hours on the holiday
  calendar, moved by pauses and approved extensions), so this one definition is the on-time rate on
  working-day clocks.
- Extensions (延期): applications on the cases received in the period, by decision; "cases
  extended" counts the cases with at least one approved extension.
- 督办 orders: issued on the cases received in the period; answered, answered by their due
  time, and escalated (unanswered past the due time, by the SLA job).
- Outcomes by kind: resolved cases by the handler's outcome kind (resolved, partly, explained,
  redirected); cases resolved before the kind was recorded are not counted there.
- Average handling time: mean of (resolved_at − created_at) over resolved cases, in hours.
- Satisfaction: mean rating (1–5) of rated cases; fixed share = verdict "fixed" among cases with
  a verdict.
- Mediation: a mediation is *concluded* (= mediated) when its outcome is settled or failed, counted
  in the period its concluded_at falls in; success rate = settled / concluded.
- Reconsiderations (AdminReview of kind reconsideration): accepted in the period by accepted_at,
  concluded by concluded_at (outcome set); corrected / settled among the concluded; amount
  recovered summed over the concluded. Administrative disputes likewise, with the share resolved
  by the dispute centre.
- Responsiveness ranking: per *responsible* organisation — the one the case was last routed,
  transferred or returned to (an escalation does not move the responsibility, so letting a case
  go overdue does not clean an organisation's record). Ranked by on-time rate; an organisation
  with fewer than MIN_SAMPLE resolved cases in the period is listed as 样本不足, not ranked.
- Call-backs and ratings by channel: per channel the case came by (hotline, walk-in, patrol …),
  the resolved cases received in the period, those with a call-back that reached the resident
  (coverage = reached / resolved) and the rated ones with their mean rating; per channel the
  rating came by (web link, SMS link, staff call-back), the rated cases, their mean rating and
  the share the resident called fixed.
- Devices: the devices counted are devices_for(user) (compounds in the user's case regions, or
  operated by the user's organisations) in the region prefix. Alarms per device type: the alarm
  records (a burst within the window is one record) whose first alarm falls in the period, the
  alarms they count and the cases they filed. Devices offline: *now* (not the period), the
  active devices silent longer than their kind's setting (devices.offline_q).
- Heat map: case points binned to ~250 m squares (SQL FLOOR of lat/lng over the cell size, GROUP
  BY the cell), returned as GeoJSON polygons with their count and a colour.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from django.db.models import (
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Cast, Coalesce, Floor, Substr, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from minsheng.cases.access import cases_for, devices_for
from minsheng.cases.devices import offline_q
from minsheng.cases.models import (
    AdminReview,
    Alarm,
    CallBack,
    Case,
    CaseEvent,
    CaseType,
    Device,
    Extension,
    Mediation,
    RatingChannel,
    SupervisionOrder,
)
from minsheng.places.models import Organisation, Region

S = Case.Status
RESOLVED = (S.RESOLVED, S.CLOSED)
MIN_SAMPLE = 20  # resolved cases an organisation needs before it is ranked
CELL_M = 250.0  # heat-map cell size in metres
M_PER_DEG_LAT = 111_320.0

LEGAL_AID = "legal_aid"
HAZARD = "safety_hazard"
INTERVIEW = "enterprise_interview"

# the length of a region prefix one level down
CHILD_LEN = {0: 6, 2: 4, 4: 6, 6: 9, 9: 12, 12: 12}

Q_RESOLVED = Q(status__in=RESOLVED)
Q_ON_TIME = Q_RESOLVED & Q(overdue=False, accepted_at__isnull=False,
                           accepted_at__lte=F("accept_due"), resolved_at__isnull=False,
                           resolved_at__lte=F("resolve_due"))
HANDLING = ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField())
ACCEPTING = ExpressionWrapper(F("accepted_at") - F("created_at"), output_field=DurationField())

HEAT_COLOURS = ("#fee5d9", "#fcbba1", "#fc9272", "#fb6a4a", "#de2d26", "#a50f15")


# --- helpers ---------------------------------------------------------------------------------


def aware(value: dt.date | dt.datetime) -> dt.datetime:
    """A date means local midnight; a naive datetime is local time."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time.min)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _prefix(prefix: str | None) -> str:
    p = (prefix or "").strip()
    if p and (not p.isdigit() or len(p) > 12):
        raise ValueError(f"区划代码前缀应为不超过12位的数字，收到 {prefix}")
    return p


def all_cases(user, prefix: str | None = None) -> QuerySet[Case]:
    """The user's cases (cases_for), in a region prefix, with no default ordering (GROUP BY
    must not pick up `-created_at`)."""
    qs = cases_for(user)
    p = _prefix(prefix)
    if p:
        qs = qs.filter(region__code__startswith=p)
    return qs.order_by()


def received(user, start, end, prefix: str | None = None) -> QuerySet[Case]:
    """Cases received (created) in [start, end), in scope and in the region prefix; a duplicate
    merged into another case is not counted again (the case it was merged into is)."""
    return (all_cases(user, prefix).filter(created_at__gte=aware(start), created_at__lt=aware(end))
            .exclude(status=S.MERGED))


def _rate(n: int, of: int) -> float | None:
    return round(100.0 * n / of, 1) if of else None


def _hours(d: dt.timedelta | None) -> float | None:
    return round(d.total_seconds() / 3600, 1) if d is not None else None


# --- the figures -----------------------------------------------------------------------------


def case_figures(user, start, end, prefix: str | None = None) -> dict[str, Any]:
    """Headline figures of the cases received in the period (see the module docstring)."""
    qs = received(user, start, end, prefix)
    agg = qs.aggregate(
        n_received=Count("id"),
        n_resolved=Count("id", filter=Q_RESOLVED),
        n_open=Count("id", filter=Q(status__in=[S.ASSIGNED, S.ACCEPTED])),
        n_overdue=Count("id", filter=Q(overdue=True)),
        n_on_time=Count("id", filter=Q_ON_TIME),
        n_avg_handling=Avg(HANDLING, filter=Q_RESOLVED & Q(resolved_at__isnull=False)),
        n_rated=Count("id", filter=Q(rating__isnull=False)),
        n_mean_rating=Avg("rating", filter=Q(rating__isnull=False)),
        n_with_verdict=Count("id", filter=~Q(verdict="")),
        n_fixed=Count("id", filter=Q(verdict=Case.Verdict.FIXED)),
        n_reopened=Count("id", filter=Q(reopen_count__gt=0)),
        n_legal_aid=Count("id", filter=Q(case_type_id=LEGAL_AID)),
        n_hazards=Count("id", filter=Q(case_type_id=HAZARD)),
        n_hazards_fixed=Count("id", filter=Q(case_type_id=HAZARD) & Q_RESOLVED),
        n_interviews=Count("id", filter=Q(case_type_id=INTERVIEW)),
        n_supports=Sum("support_count"),
        n_supported=Count("id", filter=Q(support_count__gt=0)),
        n_called_back=Count("id", filter=Q(rating_channel=RatingChannel.CALLBACK)),
    )
    return {
        "received": agg["n_received"],
        "resolved": agg["n_resolved"],
        "resolved_rate": _rate(agg["n_resolved"], agg["n_received"]),
        "open": agg["n_open"],
        "overdue": agg["n_overdue"],
        "on_time": agg["n_on_time"],
        "on_time_rate": _rate(agg["n_on_time"], agg["n_resolved"]),
        "avg_hours": _hours(agg["n_avg_handling"]),
        "satisfaction": {
            "rated": agg["n_rated"],
            "mean_rating": round(agg["n_mean_rating"], 2) if agg["n_mean_rating"] is not None
            else None,
            "with_verdict": agg["n_with_verdict"],
            "fixed": agg["n_fixed"],
            "fixed_rate": _rate(agg["n_fixed"], agg["n_with_verdict"]),
        },
        "reopened": agg["n_reopened"],
        "legal_aid_consultations": agg["n_legal_aid"],
        "hazards_found": agg["n_hazards"],
        "hazards_fixed": agg["n_hazards_fixed"],
        "enterprises_interviewed": agg["n_interviews"],
        "rating_channels": dict(qs.exclude(rating_channel="").values_list(
            "rating_channel").annotate(n=Count("id")).order_by("rating_channel")),
        "callbacks": _callbacks(qs, agg["n_resolved"]),
        "supports": {"total": agg["n_supports"] or 0, "cases": agg["n_supported"]},
        "extensions": _extensions(qs),
        "supervision": _supervision(qs),
        "outcomes": dict(qs.filter(Q_RESOLVED).exclude(outcome_kind="").values_list(
            "outcome_kind").annotate(n=Count("id")).order_by("outcome_kind")),
    }


def _callbacks(cases, resolved: int) -> dict[str, Any]:
    """Call-backs (回访) on the cases received in the period: calls, cases called (reached), and
    coverage = cases with a reached call-back among the resolved ones."""
    agg = CallBack.objects.filter(case__in=cases.values("pk")).aggregate(
        calls=Count("id"), cases=Count("case", distinct=True),
        reached=Count("case", filter=Q(reached=True), distinct=True))
    agg["coverage_rate"] = _rate(agg["reached"], resolved)
    return agg


def _supervision(cases) -> dict[str, int]:
    """督办 orders on the cases received in the period: issued, answered (on time), escalated."""
    return SupervisionOrder.objects.filter(case__in=cases.values("pk")).aggregate(
        issued=Count("id"), answered=Count("id", filter=Q(answered_at__isnull=False)),
        answered_on_time=Count("id", filter=Q(answered_at__lte=F("due"))),
        escalated=Count("id", filter=Q(escalated_at__isnull=False)))


def _extensions(cases) -> dict[str, int]:
    ES = Extension.Status
    agg = Extension.objects.filter(case__in=cases.values("pk")).aggregate(
        applied=Count("id"), approved=Count("id", filter=Q(status=ES.APPROVED)),
        refused=Count("id", filter=Q(status=ES.REFUSED)),
        pending=Count("id", filter=Q(status=ES.PENDING)),
        cases=Count("case", filter=Q(status=ES.APPROVED), distinct=True))
    return agg


def callbacks_by_channel(user, start, end, prefix: str | None = None) -> list[dict[str, Any]]:
    """Per channel the cases came by: resolved, reached by a call-back (coverage), rated."""
    reached = CallBack.objects.filter(case=OuterRef("pk"), reached=True)
    rows = {r["channel"]: r for r in (
        received(user, start, end, prefix).annotate(has_callback=Exists(reached)).values("channel")
        .annotate(n=Count("id"), resolved=Count("id", filter=Q_RESOLVED),
                  called=Count("id", filter=Q_RESOLVED & Q(has_callback=True)),
                  rated=Count("id", filter=Q(rating__isnull=False)),
                  mean=Avg("rating", filter=Q(rating__isnull=False))).order_by())}
    return [{"code": v, "name": str(label), "n": r["n"], "resolved": r["resolved"],
             "called_back": r["called"], "coverage_rate": _rate(r["called"], r["resolved"]),
             "rated": r["rated"],
             "mean_rating": round(r["mean"], 2) if r["mean"] is not None else None}
            for v, label in Case.Channel.choices if (r := rows.get(v))]


def ratings_by_channel(user, start, end, prefix: str | None = None) -> list[dict[str, Any]]:
    """Per channel the rating came by (web link, SMS link, staff call-back)."""
    rows = {r["rating_channel"]: r for r in (
        received(user, start, end, prefix).filter(rating__isnull=False)
        .exclude(rating_channel="").values("rating_channel")
        .annotate(n=Count("id"), mean=Avg("rating"),
                  with_verdict=Count("id", filter=~Q(verdict="")),
                  fixed=Count("id", filter=Q(verdict=Case.Verdict.FIXED))).order_by())}
    return [{"code": v, "name": str(label), "n": r["n"], "mean_rating": round(r["mean"], 2),
             "fixed_rate": _rate(r["fixed"], r["with_verdict"])}
            for v, label in RatingChannel.choices if (r := rows.get(v))]


def device_figures(user, start, end, prefix: str | None = None,
                   now: dt.datetime | None = None) -> dict[str, Any]:
    """Alarms per device type in the period and devices offline now (module docstring)."""
    devices = devices_for(user)
    p = _prefix(prefix)
    if p:
        devices = devices.filter(compound__region__code__startswith=p)
    counts = {r["kind"]: r for r in devices.filter(active=True).values("kind").annotate(
        n=Count("id"), offline=Count("id", filter=offline_q(now))).order_by()}
    alarms = {r["device__kind"]: r for r in Alarm.objects.filter(
        device__in=devices.values("pk"), first_at__gte=aware(start), first_at__lt=aware(end))
        .values("device__kind").annotate(records=Count("id"), alarms=Sum("count"),
                                         cases=Count("case")).order_by()}
    rows = []
    for v, label in Device.Kind.choices:
        c, a = counts.get(v, {}), alarms.get(v, {})
        if c or a:
            rows.append({"code": v, "name": str(label), "devices": c.get("n", 0),
                         "offline": c.get("offline", 0), "records": a.get("records", 0),
                         "alarms": a.get("alarms") or 0, "cases": a.get("cases", 0)})
    return {"by_kind": rows, "devices": sum(r["devices"] for r in rows),
            "offline": sum(r["offline"] for r in rows), "alarms": sum(r["alarms"] for r in rows),
            "records": sum(r["records"] for r in rows), "cases": sum(r["cases"] for r in rows)}


def by_category(user, start, end, prefix: str | None = None) -> list[dict[str, Any]]:
    rows = (received(user, start, end, prefix).values("case_type_id")
            .annotate(n=Count("id"), resolved=Count("id", filter=Q_RESOLVED),
                      on_time=Count("id", filter=Q_ON_TIME))
            .order_by("-n", "case_type_id"))
    names = dict(CaseType.objects.values_list("code", "name"))
    return [{"code": r["case_type_id"], "name": names.get(r["case_type_id"], r["case_type_id"]),
             "n": r["n"], "resolved": r["resolved"],
             "on_time_rate": _rate(r["on_time"], r["resolved"])} for r in rows]


def by_status(user, start, end, prefix: str | None = None) -> list[dict[str, Any]]:
    rows = received(user, start, end, prefix).values("status").annotate(n=Count("id"))
    counts = {r["status"]: r["n"] for r in rows}
    return [{"code": v, "name": str(label), "n": counts[v]} for v, label in S.choices
            if counts.get(v)]


def by_channel(user, start, end, prefix: str | None = None) -> list[dict[str, Any]]:
    rows = received(user, start, end, prefix).values("channel").annotate(n=Count("id"))
    counts = {r["channel"]: r["n"] for r in rows}
    return [{"code": v, "name": str(label), "n": counts[v]} for v, label in Case.Channel.choices
            if counts.get(v)]


def child_length(prefix: str | None) -> int:
    p = _prefix(prefix)
    return CHILD_LEN.get(len(p), min(12, len(p) + 3))


def by_child_region(user, start, end, prefix: str | None = None) -> list[dict[str, Any]]:
    """One row per region one level below `prefix` (SUBSTR of the case's region code)."""
    n = child_length(prefix)
    rows = (received(user, start, end, prefix)
            .annotate(child=Substr("region_id", 1, n)).values("child")
            .annotate(n=Count("id"), resolved=Count("id", filter=Q_RESOLVED),
                      on_time=Count("id", filter=Q_ON_TIME),
                      n_overdue=Count("id", filter=Q(overdue=True)),
                      avg_handling=Avg(HANDLING, filter=Q_RESOLVED & Q(resolved_at__isnull=False)),
                      mean_rating=Avg("rating", filter=Q(rating__isnull=False)))
            .order_by("child"))
    rows = list(rows)
    names = dict(Region.objects.filter(code__in=[r["child"].ljust(12, "0") for r in rows])
                 .values_list("code", "name"))
    out = []
    for r in rows:
        code = r["child"].ljust(12, "0")
        out.append({
            "code": code, "name": names.get(code) or _("（未细分到下级区划）"),
            "known": code in names,
            "n": r["n"], "resolved": r["resolved"], "overdue": r["n_overdue"],
            "on_time_rate": _rate(r["on_time"], r["resolved"]),
            "avg_hours": _hours(r["avg_handling"]),
            "mean_rating": round(r["mean_rating"], 2) if r["mean_rating"] is not None else None,
        })
    return out


def monthly_trend(user, start, end, prefix: str | None = None) -> list[dict[str, Any]]:
    """Cases received per month (local time) and how many of them are resolved."""
    rows = (received(user, start, end, prefix).annotate(month=TruncMonth("created_at"))
            .values("month").annotate(n=Count("id"), resolved=Count("id", filter=Q_RESOLVED))
            .order_by("month"))
    out = []
    for r in rows:
        m = r["month"]
        if isinstance(m, dt.datetime):
            m = timezone.localtime(m) if timezone.is_aware(m) else m
        out.append({"month": f"{m:%Y-%m}", "n": r["n"], "resolved": r["resolved"]})
    return out


def mediation_figures(user, start, end, prefix: str | None = None) -> dict[str, Any]:
    """Mediations of the user's cases concluded in the period; pending ones of cases received."""
    base = all_cases(user, prefix).values("pk")
    concluded = Mediation.objects.filter(
        case_id__in=base, outcome__in=[Mediation.Outcome.SETTLED, Mediation.Outcome.FAILED],
        concluded_at__gte=aware(start), concluded_at__lt=aware(end))
    agg = concluded.aggregate(
        concluded=Count("id"),
        settled=Count("id", filter=Q(outcome=Mediation.Outcome.SETTLED)),
        failed=Count("id", filter=Q(outcome=Mediation.Outcome.FAILED)),
        to_court=Count("id", filter=Q(referral=Mediation.Referral.COURT)),
        to_arbitration=Count("id", filter=Q(referral=Mediation.Referral.ARBITRATION)),
        to_admin=Count("id", filter=Q(referral=Mediation.Referral.ADMIN)),
        amount=Sum("amount", filter=Q(outcome=Mediation.Outcome.SETTLED)),
    )
    pending = Mediation.objects.filter(
        case_id__in=received(user, start, end, prefix).values("pk"),
        outcome=Mediation.Outcome.PENDING).count()
    return {
        "mediated": agg["concluded"],
        "concluded": agg["concluded"],
        "settled": agg["settled"],
        "failed": agg["failed"],
        "success_rate": _rate(agg["settled"], agg["concluded"]),
        "referred": {"court": agg["to_court"], "arbitration": agg["to_arbitration"],
                     "admin": agg["to_admin"]},
        "amount_settled": agg["amount"] or Decimal(0),
        "pending": pending,
    }


def review_figures(user, start, end, prefix: str | None = None) -> dict[str, Any]:
    """Administrative reconsiderations and disputes: accepted / concluded in the period."""
    base = all_cases(user, prefix).values("pk")
    s, e = aware(start), aware(end)
    reviews = AdminReview.objects.filter(case_id__in=base)
    accepted_at = Coalesce("accepted_at", "case__created_at")
    concluded_q = ~Q(outcome="") & Q(concluded_at__gte=s, concluded_at__lt=e)

    def figures(kind: str) -> dict[str, Any]:
        agg = reviews.filter(kind=kind).annotate(acc_at=accepted_at).aggregate(
            n_accepted=Count("id", filter=Q(accepted=True, acc_at__gte=s, acc_at__lt=e)),
            concluded=Count("id", filter=concluded_q),
            corrected=Count("id", filter=concluded_q & Q(outcome=AdminReview.Outcome.CORRECTED)),
            settled=Count("id", filter=concluded_q & Q(outcome=AdminReview.Outcome.SETTLED)),
            upheld=Count("id", filter=concluded_q & Q(outcome=AdminReview.Outcome.UPHELD)),
            dismissed=Count("id", filter=concluded_q & Q(outcome=AdminReview.Outcome.DISMISSED)),
            withdrawn=Count("id", filter=concluded_q & Q(outcome=AdminReview.Outcome.WITHDRAWN)),
            by_centre=Count("id", filter=concluded_q & Q(by_dispute_centre=True)),
            recovered=Sum("amount_recovered", filter=concluded_q),
        )
        agg["accepted"] = agg.pop("n_accepted")
        agg["recovered"] = agg["recovered"] or Decimal(0)
        agg["by_centre_rate"] = _rate(agg["by_centre"], agg["concluded"])
        return agg

    return {"reconsideration": figures(AdminReview.Kind.RECONSIDERATION),
            "dispute": figures(AdminReview.Kind.DISPUTE)}


def _responsible_org() -> Subquery:
    """The organisation a case was last routed, transferred or returned to."""
    A = CaseEvent.Action
    return Subquery(CaseEvent.objects.filter(
        case_id=OuterRef("pk"), action__in=[A.ROUTED, A.TRANSFERRED, A.RETURNED],
        organisation__isnull=False).order_by("-at", "-id").values("organisation_id")[:1])


def responsiveness_ranking(user, start, end, prefix: str | None = None, *,
                           min_sample: int = MIN_SAMPLE) -> dict[str, Any]:
    """Organisations ranked by on-time rate over the cases received in the period; those with
    fewer than `min_sample` resolved cases are listed under "insufficient" (样本不足)."""
    rows = list(
        received(user, start, end, prefix).annotate(org=_responsible_org()).values("org")
        .annotate(n=Count("id"), resolved=Count("id", filter=Q_RESOLVED),
                  on_time=Count("id", filter=Q_ON_TIME),
                  n_accepted=Count("id", filter=Q(accepted_at__isnull=False)),
                  accepted_on_time=Count("id", filter=Q(accepted_at__isnull=False,
                                                        accepted_at__lte=F("accept_due"))),
                  avg_accept=Avg(ACCEPTING, filter=Q(accepted_at__isnull=False)),
                  avg_handling=Avg(HANDLING, filter=Q_RESOLVED & Q(resolved_at__isnull=False)),
                  mean_rating=Avg("rating", filter=Q(rating__isnull=False)))
        .order_by())
    names = dict(Organisation.objects.filter(pk__in=[r["org"] for r in rows if r["org"]])
                 .values_list("pk", "name"))
    ranked, insufficient = [], []
    for r in rows:
        item = {
            "organisation_id": r["org"], "name": names.get(r["org"], "—"),
            "n": r["n"], "resolved": r["resolved"], "on_time": r["on_time"],
            "on_time_rate": _rate(r["on_time"], r["resolved"]),
            "accept_on_time_rate": _rate(r["accepted_on_time"], r["n_accepted"]),
            "avg_accept_hours": _hours(r["avg_accept"]),
            "avg_hours": _hours(r["avg_handling"]),
            "mean_rating": round(r["mean_rating"], 2) if r["mean_rating"] is not None else None,
        }
        (ranked if r["resolved"] >= min_sample else insufficient).append(item)
    ranked.sort(key=lambda i: (-(i["on_time_rate"] or 0), i["avg_accept_hours"] or 0,
                               -i["resolved"], i["name"]))
    for k, item in enumerate(ranked, start=1):
        item["rank"] = k
    insufficient.sort(key=lambda i: (-i["resolved"], -i["n"], i["name"]))
    return {"min_sample": min_sample, "ranked": ranked, "insufficient": insufficient}


def _reference_lat(qs: QuerySet[Case], prefix: str) -> float:
    """Latitude at which a cell's width in degrees of longitude is computed."""
    if prefix:
        r = Region.objects.filter(code=prefix.ljust(12, "0"), lat__isnull=False).only("lat").first()
        if r is not None:
            return r.lat
    mean = qs.aggregate(m=Avg("lat"))["m"]
    return mean if mean is not None else 35.0


def heat_cells(user, start, end, prefix: str | None = None, *,
               cell_m: float = CELL_M) -> dict[str, Any]:
    """Cases received in the period binned to ~`cell_m` squares, as a GeoJSON FeatureCollection:
    each feature a square polygon with properties n (cases) and color. The cell counts sum to
    the number of received cases that have a location."""
    qs = received(user, start, end, prefix).filter(lat__isnull=False, lng__isnull=False)
    p = _prefix(prefix)
    ref = _reference_lat(qs, p)
    dlat = cell_m / M_PER_DEG_LAT
    dlng = cell_m / (M_PER_DEG_LAT * max(0.1, math.cos(math.radians(ref))))
    rows = list(qs.annotate(
        iy=Cast(Floor(F("lat") / dlat), IntegerField()),
        ix=Cast(Floor(F("lng") / dlng), IntegerField()),
    ).values("iy", "ix").annotate(n=Count("id")).order_by())
    top = max((r["n"] for r in rows), default=0)
    breaks = _breaks(top)
    features = []
    for r in rows:
        x0, y0 = r["ix"] * dlng, r["iy"] * dlat
        x1, y1 = x0 + dlng, y0 + dlat
        ring = [[round(x0, 6), round(y0, 6)], [round(x1, 6), round(y0, 6)],
                [round(x1, 6), round(y1, 6)], [round(x0, 6), round(y1, 6)],
                [round(x0, 6), round(y0, 6)]]
        features.append({"type": "Feature",
                         "geometry": {"type": "Polygon", "coordinates": [ring]},
                         "properties": {"n": r["n"], "color": colour_for(r["n"], breaks)}})
    features.sort(key=lambda f: f["properties"]["n"])
    return {"type": "FeatureCollection", "features": features,
            "properties": {"cell_m": cell_m, "total": sum(r["n"] for r in rows), "max": top,
                           "breaks": breaks, "colors": list(HEAT_COLOURS)}}


def _breaks(top: int) -> list[int]:
    """Lower bounds of the colour classes: 1 and then geometric steps up to the maximum."""
    k = len(HEAT_COLOURS)
    if top <= k:
        return list(range(1, max(top, 1) + 1))
    out = [1]
    for i in range(1, k):
        b = round(top ** (i / k))
        out.append(max(b, out[-1] + 1))
    return out


def colour_for(n: int, breaks: list[int]) -> str:
    idx = 0
    for i, b in enumerate(breaks):
        if n >= b:
            idx = i
    offset = len(HEAT_COLOURS) - len(breaks)
    return HEAT_COLOURS[min(len(HEAT_COLOURS) - 1, idx + offset)]


def summary(user, start, end, prefix: str | None = None) -> dict[str, Any]:
    """Everything the statistics page shows (except the heat map, fetched separately)."""
    return {
        "period": {"start": aware(start).isoformat(), "end": aware(end).isoformat()},
        "prefix": _prefix(prefix),
        "cases": case_figures(user, start, end, prefix),
        "by_category": by_category(user, start, end, prefix),
        "by_status": by_status(user, start, end, prefix),
        "by_channel": by_channel(user, start, end, prefix),
        "by_region": by_child_region(user, start, end, prefix),
        "monthly": monthly_trend(user, start, end, prefix),
        "mediation": mediation_figures(user, start, end, prefix),
        "reviews": review_figures(user, start, end, prefix),
        "ranking": responsiveness_ranking(user, start, end, prefix),
        "callbacks_by_channel": callbacks_by_channel(user, start, end, prefix),
        "ratings_by_channel": ratings_by_channel(user, start, end, prefix),
        "devices": device_figures(user, start, end, prefix),
    }


def as_json(value: Any) -> Any:
    """Decimals to floats (recursively), for JsonResponse and json_script."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    return value


# --- periods ---------------------------------------------------------------------------------


PERIOD_KINDS = ("year", "quarter", "month", "custom")


def period_bounds(kind: str, *, year: int | None = None, quarter: int | None = None,
                  month: int | None = None, start: dt.date | None = None,
                  end: dt.date | None = None, today: dt.date | None = None
                  ) -> tuple[dt.datetime, dt.datetime, str]:
    """(start, end exclusive, label) of a year, quarter, month or custom range (end inclusive
    as the user picks it). Missing parts default to the current one."""
    today = today or timezone.localdate()
    year = year or today.year
    if kind == "quarter":
        q = quarter or (today.month - 1) // 3 + 1
        s = dt.date(year, 3 * (q - 1) + 1, 1)
        e = dt.date(year + (q == 4), (3 * q) % 12 + 1, 1)
        label = _("%(year)d年第%(q)d季度") % {"year": year, "q": q}
    elif kind == "month":
        m = month or today.month
        s = dt.date(year, m, 1)
        e = dt.date(year + (m == 12), m % 12 + 1, 1)
        label = _("%(year)d年%(month)d月") % {"year": year, "month": m}
    elif kind == "custom":
        s = start or dt.date(today.year, 1, 1)
        last = end or today
        if last < s:
            s, last = last, s
        e = last + dt.timedelta(days=1)
        label = _("%(start)s 至 %(end)s") % {"start": f"{s:%Y-%m-%d}", "end": f"{last:%Y-%m-%d}"}
    else:
        s, e = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
        label = _("%(year)d年") % {"year": year}
    return aware(s), aware(e), label


__all__ = [
    "MIN_SAMPLE", "aware", "all_cases", "received", "case_figures", "by_category", "by_status",
    "by_channel", "by_child_region", "monthly_trend", "mediation_figures", "review_figures",
    "responsiveness_ranking", "callbacks_by_channel", "ratings_by_channel", "device_figures",
    "heat_cells", "summary", "as_json", "period_bounds",
]
