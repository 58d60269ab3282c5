"""Monthly sums of the cases received in each district (CaseTally), kept up to date, so that the
indicator catalogue adds up a few thousand rows instead of a district's million cases
(bench/indicators_bench.py: one district-year over 1,000,000 cases).

One month of one district is one unit (TallyMonth):
- its sums are trusted when they were computed from the cases at least TRUST_AFTER after the
  month was over, and no case of that month changed since (version = computed_version);
- saving or deleting a case through the ORM (any action, the back office, an import, loaddata)
  whose month is over bumps that month's version (receiver below), so the next read recomputes
  that month alone; the current month is recomputed on every read and costs no query on filing;
- what bypasses the ORM's signals (QuerySet.update, bulk_create of back-dated cases, SQL loads)
  calls `invalidate(district)` afterwards (cases/demo.py does).

A recomputation that a concurrent change overtakes stays untrusted: the change bumps the version
in its own transaction, and the recomputation marks the month computed only if the version is
still the one it read before counting. The RECOMPUTE guard (tests/indicators/test_values.py)
recomputes every figure from the cases themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db import connection, transaction
from django.db.models import BigIntegerField, Count, F, Q, Sum
from django.db.models.functions import Cast, Extract, Substr
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from minsheng.cases import stats as case_stats
from minsheng.cases.models import Case, CaseTally, TallyMonth
from minsheng.places.models import Region

__all__ = ["TRUST_AFTER", "invalidate", "month_of", "rows"]

# a month's sums are trusted once computed this long after it ended: a transaction that saved a
# case of the month just before midnight has long committed by then
TRUST_AFTER = dt.timedelta(hours=1)

# (region code, case type, resolved, received, on time, handling, rated, rating sum,
#  with verdict, fixed, escalated); handling is resolved − created summed over resolved cases
Row = tuple[str, str, bool, int, int, dt.timedelta | None, int, int, int, int, int]


def month_of(at: dt.datetime) -> dt.date:
    """The first day of the local month of a moment."""
    return timezone.localtime(at).date().replace(day=1)


def _next(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _months(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    if start.day != 1 or end.day != 1:
        raise ValueError(f"months only: {start} – {end}")
    m = start
    while m < end:
        yield m
        m = _next(m)


def _trusted(t: TallyMonth) -> bool:
    return (t.computed_version == t.version and t.computed_at is not None
            and t.computed_at >= case_stats.aware(_next(t.month)) + TRUST_AFTER)


_COLUMNS = ("month", "region_id", "case_type_id", "resolved", "received", "on_time", "handling_us",
            "rated", "rating_sum", "with_verdict", "fixed", "escalated")


def _handling_us():
    """resolve − create summed, in whole microseconds, in SQL: PostgreSQL sums intervals (its
    EXTRACT(EPOCH) is numeric, so exact); SQLite keeps durations as microseconds already."""
    total = Sum(case_stats.HANDLING)
    if connection.vendor == "postgresql":
        return Cast(Extract(total, "epoch") * 1_000_000, BigIntegerField())
    return Cast(total, BigIntegerField())


def _states(districts: list[str], month: dt.date) -> list[TallyMonth]:
    """The states of one month of these districts, made when missing and locked until the
    recount commits: two recounts of the same month wait for each other (each would otherwise
    delete the sums it saw and insert its own, and the month would be counted twice)."""
    TallyMonth.objects.bulk_create([TallyMonth(district=d, month=month) for d in districts],
                                   ignore_conflicts=True)
    return list(TallyMonth.objects.select_for_update().filter(
        district__in=districts, month=month).order_by("district"))


def _refresh(districts: list[str], month: dt.date) -> None:
    """Recount one month of these districts from their cases, in the database (INSERT … SELECT
    over the ORM's GROUP BY region, type and status: no case row travels to Python)."""
    started = timezone.now()
    if len(districts) == 1:  # one district: its region prefix, on the (region, time) index
        cases = Case.objects.filter(region__code__startswith=districts[0])
        sums = CaseTally.objects.filter(region__code__startswith=districts[0])
    else:  # many: the month's cases, each kept when its district is one of them
        cases = Case.objects.alias(d6=Substr("region_id", 1, 6)).filter(d6__in=districts)
        sums = CaseTally.objects.alias(d6=Substr("region_id", 1, 6)).filter(d6__in=districts)
    inner = (cases.filter(created_at__gte=case_stats.aware(month),
                          created_at__lt=case_stats.aware(_next(month)))
             .exclude(status=Case.Status.MERGED).order_by()
             .values("region_id", "case_type_id", "status").annotate(
                 n=Count("pk"),
                 n_on_time=Count("pk", filter=case_stats.Q_ON_TIME),
                 n_handling=_handling_us(),
                 n_rated=Count("pk", filter=Q(rating__isnull=False)),
                 n_rating=Sum("rating"),
                 n_verdict=Count("pk", filter=~Q(verdict="")),
                 n_fixed=Count("pk", filter=Q(verdict="fixed")),
                 n_escalated=Count("pk", filter=Q(escalation_level__gt=0))))
    sql, params = inner.query.sql_with_params()
    q = connection.ops.quote_name
    done = ", ".join(["%s"] * len(case_stats.RESOLVED))
    resolved = f"(s.{q('status')} IN ({done}))"
    table = q(CaseTally._meta.db_table)
    insert = (  # names quoted, values passed as parameters
        f"INSERT INTO {table} ({', '.join(q(c) for c in _COLUMNS)}) "  # noqa: S608
        f"SELECT %s, s.{q('region_id')}, s.{q('case_type_id')}, {resolved}, SUM(s.{q('n')}), "
        f"SUM(CASE WHEN {resolved} THEN s.{q('n_on_time')} ELSE 0 END), "
        f"SUM(CASE WHEN {resolved} THEN COALESCE(s.{q('n_handling')}, 0) ELSE 0 END), "
        f"SUM(s.{q('n_rated')}), SUM(COALESCE(s.{q('n_rating')}, 0)), SUM(s.{q('n_verdict')}), "
        f"SUM(s.{q('n_fixed')}), SUM(s.{q('n_escalated')}) "
        f"FROM ({sql}) s GROUP BY s.{q('region_id')}, s.{q('case_type_id')}, {resolved}")
    flags = [str(v) for v in case_stats.RESOLVED]
    with transaction.atomic():
        versions: dict[int, list[int]] = {}
        for state in _states(districts, month):
            versions.setdefault(state.version, []).append(state.pk)
        sums.filter(month=month).delete()
        with connection.cursor() as cur:
            cur.execute(insert, [month, *flags, *flags, *flags, *params, *flags])
        # a change committed since its version was read leaves a month to be counted again
        for version, pks in versions.items():
            TallyMonth.objects.filter(pk__in=pks, version=version).update(
                computed_version=version, computed_at=started)


def _stale_districts(month: dt.date) -> list[str]:
    """Every district whose sums of `month` are not trusted."""
    trusted = {t.district for t in TallyMonth.objects.filter(month=month) if _trusted(t)}
    return sorted({code[:6] for code in Region.objects.filter(
        level=Region.Level.DISTRICT).values_list("code", flat=True)} - trusted)


def _ensure(district: str, start: dt.date, end: dt.date) -> None:
    """Recount the months of a district that are not trusted. A month long enough over that its
    recount will be trusted is recounted for every district where it is not, in one statement:
    after a bulk load or an upgrade the first district read counts the province's month once
    (one pass over its cases), instead of each district reading its own cases scattered over
    the same pages (bench/province_bench.py: 109 s for 100 districts' year, cold)."""
    wanted = list(_months(start, end))  # a month not yet over is never trusted
    known = {t.month: t for t in TallyMonth.objects.filter(district=district, month__in=wanted)}
    now = timezone.now()
    for month in wanted:
        t = known.get(month)
        if t is not None and _trusted(t):
            continue
        if case_stats.aware(_next(month)) + TRUST_AFTER <= now:
            _refresh(sorted(set(_stale_districts(month)) | {district}), month)
        else:
            _refresh([district], month)


def rows(prefix: str, start: dt.date, end: dt.date) -> list[Row]:
    """The sums of the cases received from `start` to `end` (first days of months, end
    excluded) in the regions under `prefix` (a district's 6-digit code or a longer prefix), by
    region, case type and resolved or not; merged duplicates are not counted."""
    _ensure(prefix[:6], start, end)
    qs = (CaseTally.objects.filter(region__code__startswith=prefix, month__gte=start, month__lt=end)
          .order_by().values("region_id", "case_type_id", "resolved").annotate(
              s_received=Sum("received"), s_on_time=Sum("on_time"),
              s_handling=Sum("handling_us"), s_rated=Sum("rated"),
              s_rating=Sum("rating_sum"), s_verdict=Sum("with_verdict"), s_fixed=Sum("fixed"),
              s_escalated=Sum("escalated"))
          .values_list("region_id", "case_type_id", "resolved", "s_received", "s_on_time",
                       "s_handling", "s_rated", "s_rating", "s_verdict", "s_fixed",
                       "s_escalated"))
    return [(region, kind, resolved, received, on_time,
             dt.timedelta(microseconds=handling) if resolved else None,
             rated, rating, verdict, fixed, escalated)
            for (region, kind, resolved, received, on_time, handling, rated, rating, verdict,
                 fixed, escalated) in qs]


def invalidate(district: str | None = None) -> None:
    """Forget the sums of a district (every district when None): after changes that bypass the
    ORM's signals."""
    qs = TallyMonth.objects.all() if district is None else TallyMonth.objects.filter(
        district=district[:6])
    qs.update(version=F("version") + 1)


def _case_changed(sender, instance: Case, **_kwargs) -> None:
    at, region = instance.created_at, instance.region_id
    if at is None or not region:
        return
    month = month_of(at)
    if month >= month_of(timezone.now()):  # recomputed on every read until it is over
        return
    TallyMonth.objects.filter(district=region[:6], month=month).update(version=F("version") + 1)


post_save.connect(_case_changed, sender=Case, dispatch_uid="cases.tally.case_saved")
post_delete.connect(_case_changed, sender=Case, dispatch_uid="cases.tally.case_deleted")
