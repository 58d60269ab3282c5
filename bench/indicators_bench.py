"""All computed indicator data elements of a district-year over 1,000,000 cases on PostgreSQL,
side by side with the hand-written SQL that produces the same case aggregates (the ceiling).

Run (scripts/with-postgres starts a throwaway PostgreSQL and removes it afterwards; any
DATABASE_URL to a scratch PostgreSQL database works, and a second run reuses the loaded cases):

    scripts/with-postgres .venv/bin/python bench/indicators_bench.py [--cases 1000000] [--repeats 15]

Data: the demo geography of 安次区 (15 streets, 341 communities, 214 compounds), the demo's year
of cases with their histories, mediations and administrative reviews (3,000 cases, generated as
`minsheng demo` does), then copies of those cases made in SQL (generate_series) up to --cases,
spread evenly over last calendar year with every timestamp shifted alike, each copy with a copy
of its model's mediation and review — so statuses, ratings, verdicts, delays and the share of
disputes (~14 % mediated, ~0.8 % administrative reviews) are the demo's.

Timed in --repeats rounds after one warm-up round, every line once per round in turn (the
machine's drift then hits all lines alike); median, p95 and fastest:

- (a) Minsheng: `services.compute(district, Period(year))` with the cases' monthly sums current
  (the steady state of the scheduled job: no case of the year changed since its last run) — every
  source (one ORM GROUP BY per module; the cases' over their monthly sums), the roll-up by
  code prefix, and the writes (delete + insert of the period's values, the Computation stamp),
  in its transaction. The year is over, so the stock elements (compounds,
  life circle) are kept from the first run, as in production;
- (b) raw SQL, the ceiling the issue names: one hand-written GROUP BY region per case table
  (cases, mediations, reviews) with one FILTER aggregate per figure, rows fetched, nothing
  rolled up or written;
- (b') raw SQL the faster way: the cases GROUP BY region, type and status, the groups added up in
  Python (what Minsheng's cases source does); mediations and reviews as in (b);
- (a') the ORM sources alone (the SQL part of (a), rows consumed, no roll-up or writes);
- (a1) a case of June saved through the ORM (its rating changed), then compute: what the
  ten-minute job pays after a change — June is counted again from its cases (cases/tally.py);
- (a12) the district's monthly sums forgotten, then compute: every month counted from the cases
  (the first run after an upgrade or a bulk load; the old compute's work plus writing the sums);
- (c) reading: `services.evaluate` of all active indicators for the district, and for the
  district with its streets (what the dashboard shows).

Then every case element of every region, rolled up from (b) and from (b'), is compared with what
(a) stored; a few are printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minsheng.settings")
os.environ.setdefault("MINSHENG_SECRET_KEY", "bench-secret-key-not-for-production-0123456789")

DISTRICT6 = "131002"
DISTRICT = DISTRICT6 + "000000"


def setup() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from minsheng.cases.demo import generate as demo_cases
    from minsheng.places.demo import generate as demo_places

    call_command("migrate", verbosity=0)
    demo_places(DISTRICT6, progress=lambda *_: None)
    demo_cases(DISTRICT6, n=3000, progress=lambda *_: None)


CASE_COLUMNS = (
    "number, token, case_type_id, description, status, channel, region_id, grid_id, compound_id, "
    "lat, lng, address, reporter_id, reporter_name, reporter_phone, organisation_id, assignee_id, "
    "created_at, accept_due, resolve_due, accepted_at, resolved_at, closed_at, escalation_level, "
    "overdue, outcome, verdict, rating, reopen_count, duplicate_of_id, external_id, attributes, "
    "public, generated, priority, outcome_kind, outcome_rule, outcome_redirect, rating_channel, "
    "support_count")


def bulk_load(n: int, year: int) -> int:
    """Copies of the demo cases (and their mediations and reviews) up to n cases in all, created
    evenly over `year` (local time), every timestamp of a copy shifted by the same amount."""
    from django.db import connection, transaction

    from minsheng.cases import stats as case_stats
    from minsheng.cases.models import Case

    have = Case.objects.count()
    if have >= n:
        return 0
    start = case_stats.aware(dt.date(year, 1, 1))
    end = case_stats.aware(dt.date(year + 1, 1, 1))
    k = n - have
    seeds = "SELECT array_agg(id ORDER BY id) AS ids FROM cases_case WHERE number NOT LIKE 'B%%'"
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"""
        WITH s AS MATERIALIZED ({seeds})
        INSERT INTO cases_case ({CASE_COLUMNS})
        SELECT 'B' || g, md5('bench' || g), c.case_type_id, c.description, c.status, c.channel,
            c.region_id, c.grid_id, c.compound_id, c.lat, c.lng, c.address, NULL,
            c.reporter_name, c.reporter_phone, c.organisation_id, NULL,
            c.created_at + d.shift, c.accept_due + d.shift, c.resolve_due + d.shift,
            c.accepted_at + d.shift, c.resolved_at + d.shift, c.closed_at + d.shift,
            c.escalation_level, c.overdue, c.outcome, c.verdict, c.rating, c.reopen_count, NULL,
            '', '{{}}'::jsonb, c.public, true, c.priority, c.outcome_kind, c.outcome_rule,
            c.outcome_redirect, c.rating_channel, c.support_count
        FROM generate_series(1, %(k)s) g CROSS JOIN s
        JOIN cases_case c ON c.id = s.ids[1 + g %% array_length(s.ids, 1)]
        CROSS JOIN LATERAL (SELECT %(start)s::timestamptz
            + (g - 1) * ((%(end)s::timestamptz - %(start)s::timestamptz) / %(k)s)
            - c.created_at AS shift) d
        """, {"k": k, "start": start, "end": end})  # noqa: S608 - constants, no input
        cur.execute("ANALYZE cases_case")  # the planner must know there are 1M rows now
        copies = """
        FROM cases_case nc CROSS JOIN s
        JOIN cases_case c ON c.id = s.ids[1 + substr(nc.number, 2)::int %% array_length(s.ids, 1)]
        """
        cur.execute(f"""
        WITH s AS MATERIALIZED ({seeds})
        INSERT INTO cases_mediation (case_id, region_id, committee_id, mediator_id, matter,
            agreement, outcome, referral, amount, concluded_at)
        SELECT nc.id, nc.region_id, m.committee_id, NULL, m.matter, m.agreement, m.outcome, m.referral,
            m.amount, m.concluded_at + (nc.created_at - c.created_at)
        {copies} JOIN cases_mediation m ON m.case_id = c.id WHERE nc.number LIKE 'B%%'
        """.replace("%%", "%"))
        cur.execute(f"""
        WITH s AS MATERIALIZED ({seeds})
        INSERT INTO cases_adminreview (case_id, region_id, kind, respondent, accepted,
            accepted_at, concluded_at, outcome, by_dispute_centre, amount_recovered)
        SELECT nc.id, nc.region_id, r.kind, r.respondent, r.accepted,
            r.accepted_at + (nc.created_at - c.created_at),
            r.concluded_at + (nc.created_at - c.created_at), r.outcome, r.by_dispute_centre,
            r.amount_recovered
        {copies} JOIN cases_adminreview r ON r.case_id = c.id WHERE nc.number LIKE 'B%%'
        """.replace("%%", "%"))
    with connection.cursor() as cur:
        for table in ("cases_case", "cases_mediation", "cases_adminreview"):
            cur.execute(f"VACUUM ANALYZE {table}")
    return k


# --- (b) the ceiling: hand-written SQL, one GROUP BY per table --------------------------------

RESOLVED = "c.status IN ('resolved', 'closed')"
RAW_CASES = f"""
SELECT c.region_id,
    count(*),
    count(*) FILTER (WHERE {RESOLVED}),
    count(*) FILTER (WHERE {RESOLVED} AND NOT c.overdue AND c.accepted_at <= c.accept_due
                     AND c.resolved_at <= c.resolve_due),
    extract(epoch FROM sum(c.resolved_at - c.created_at) FILTER (WHERE {RESOLVED})) / 3600,
    count(c.rating),
    coalesce(sum(c.rating), 0),
    count(*) FILTER (WHERE c.verdict <> ''),
    count(*) FILTER (WHERE c.verdict = 'fixed'),
    count(*) FILTER (WHERE c.escalation_level > 0),
    count(*) FILTER (WHERE t."group" = 'dispute'),
    count(*) FILTER (WHERE c.case_type_id = 'legal_aid'),
    count(*) FILTER (WHERE c.case_type_id = 'safety_hazard'),
    count(*) FILTER (WHERE c.case_type_id = 'enterprise_interview'),
    count(*) FILTER (WHERE c.case_type_id = 'civilised_city'),
    count(*) FILTER (WHERE {RESOLVED}
                     AND c.case_type_id IN ('property_repair', 'roof_leak', 'sewage'))
FROM cases_case c JOIN cases_casetype t ON t.code = c.case_type_id
WHERE c.region_id LIKE %(prefix)s AND c.created_at >= %(start)s AND c.created_at < %(end)s
GROUP BY c.region_id
"""  # noqa: S608 - constants, no input
RAW_CASES_ELEMENTS = (
    "cases_received", "cases_resolved", "cases_on_time", "cases_handling_hours", "cases_rated",
    "cases_rating_sum", "cases_with_verdict", "cases_fixed", "cases_escalated",
    "disputes_received", "legal_aid_consultations", "hazards_found", "enterprises_interviewed",
    "civilised_city_problems", "property_repairs_resolved")
RAW_MEDIATION_JOINED = """
SELECT c.region_id, count(*), count(*) FILTER (WHERE m.outcome = 'settled'),
    coalesce(sum(m.amount), 0)
FROM cases_mediation m JOIN cases_case c ON c.id = m.case_id
WHERE c.region_id LIKE %(prefix)s AND m.outcome IN ('settled', 'failed')
    AND m.concluded_at >= %(start)s AND m.concluded_at < %(end)s
GROUP BY c.region_id
"""
# The raw SQL on the region each mediation and review carries (cases migration 0009), as
# Minsheng's sources now read them; the JOINED forms are the old schema's, kept as line (b0).
RAW_MEDIATION = (RAW_MEDIATION_JOINED.replace("JOIN cases_case c ON c.id = m.case_id", "")
                 .replace("c.region_id", "m.region_id"))
RAW_MEDIATION_ELEMENTS = ("disputes_mediated", "disputes_settled", "mediation_amount")
CONCLUDED = "r.concluded_at >= %(start)s AND r.concluded_at < %(end)s AND r.outcome <> ''"
ACCEPTED = ("r.kind = 'reconsideration' AND r.accepted "
            "AND r.accepted_at >= %(start)s AND r.accepted_at < %(end)s")
RECON = f"{CONCLUDED} AND r.kind = 'reconsideration'"
RAW_REVIEWS_JOINED = f"""
SELECT c.region_id,
    count(*) FILTER (WHERE {ACCEPTED}),
    count(*) FILTER (WHERE {RECON}),
    count(*) FILTER (WHERE {RECON} AND r.outcome = 'corrected'),
    count(*) FILTER (WHERE {RECON} AND r.outcome = 'settled'),
    coalesce(sum(r.amount_recovered) FILTER (WHERE {RECON}), 0),
    count(*) FILTER (WHERE {CONCLUDED} AND r.kind = 'dispute'),
    count(*) FILTER (WHERE {CONCLUDED} AND r.kind = 'dispute' AND r.by_dispute_centre)
FROM cases_adminreview r JOIN cases_case c ON c.id = r.case_id
WHERE c.region_id LIKE %(prefix)s AND (({ACCEPTED}) OR ({CONCLUDED}))
GROUP BY c.region_id
"""  # noqa: S608 - constants, no input
RAW_REVIEWS = (RAW_REVIEWS_JOINED.replace("JOIN cases_case c ON c.id = r.case_id", "")
               .replace("c.region_id", "r.region_id"))
RAW_REVIEWS_ELEMENTS = ("recon_accepted", "recon_concluded", "recon_corrected", "recon_settled",
                        "recon_amount_recovered", "admin_disputes_concluded",
                        "admin_disputes_by_centre")
RAW = ((RAW_CASES, RAW_CASES_ELEMENTS), (RAW_MEDIATION, RAW_MEDIATION_ELEMENTS),
       (RAW_REVIEWS, RAW_REVIEWS_ELEMENTS))


RAW_JOINED = ((RAW_CASES, RAW_CASES_ELEMENTS), (RAW_MEDIATION_JOINED, RAW_MEDIATION_ELEMENTS),
              (RAW_REVIEWS_JOINED, RAW_REVIEWS_ELEMENTS))


def raw_sql(period, raw=RAW) -> list[tuple]:
    from django.db import connection

    from minsheng.cases import stats as case_stats

    params = {"prefix": DISTRICT6 + "%", "start": case_stats.aware(period.start),
              "end": case_stats.aware(period.end)}
    out = []
    with connection.cursor() as cur:
        for sql, _elements in raw:
            cur.execute(sql, params)
            out.append(cur.fetchall())
    return out


# (b') the same case aggregates from a finer GROUP BY (region, type, status) added up in Python:
# fewer FILTER aggregates per row, which is how Minsheng's cases source now does it.
RAW_CASES_FINE = """
SELECT c.region_id, c.case_type_id, c.status, count(*),
    count(*) FILTER (WHERE NOT c.overdue AND c.accepted_at <= c.accept_due
                     AND c.resolved_at <= c.resolve_due),
    extract(epoch FROM sum(c.resolved_at - c.created_at)),
    count(c.rating), coalesce(sum(c.rating), 0),
    count(*) FILTER (WHERE c.verdict <> ''),
    count(*) FILTER (WHERE c.verdict = 'fixed'),
    count(*) FILTER (WHERE c.escalation_level > 0)
FROM cases_case c
WHERE c.region_id LIKE %(prefix)s AND c.created_at >= %(start)s AND c.created_at < %(end)s
GROUP BY 1, 2, 3
"""
BY_TYPE = {"legal_aid": 10, "safety_hazard": 11, "enterprise_interview": 12, "civilised_city": 13}


def raw_sql_fine(period) -> list[tuple]:
    from django.db import connection

    from minsheng.cases import stats as case_stats

    params = {"prefix": DISTRICT6 + "%", "start": case_stats.aware(period.start),
              "end": case_stats.aware(period.end)}
    with connection.cursor() as cur:
        cur.execute("SELECT code FROM cases_casetype WHERE \"group\" = 'dispute'")
        disputes = {r[0] for r in cur.fetchall()}
        cur.execute(RAW_CASES_FINE, params)
        fine = cur.fetchall()
        out = [[]]
        for sql, _elements in RAW[1:]:
            cur.execute(sql, params)
            out.append(cur.fetchall())
    acc: dict[str, list] = {}
    for region, kind, status, n, on_time, secs, rated, rating_sum, verdict, fixed, esc in fine:
        a = acc.setdefault(region, [0] * 15)
        a[0] += n
        a[4] += rated
        a[5] += rating_sum
        a[6] += verdict
        a[7] += fixed
        a[8] += esc
        if kind in disputes:
            a[9] += n
        if kind in BY_TYPE:
            a[BY_TYPE[kind]] += n
        if status in ("resolved", "closed"):
            a[1] += n
            a[2] += on_time
            a[3] += secs or 0
            if kind in ("property_repair", "roof_leak", "sewage"):
                a[14] += n
    out[0] = [(region, *a[:3], Decimal(a[3]) / 3600, *a[4:]) for region, a in acc.items()]
    return out


def sources_only(period) -> int:
    from minsheng.indicators.sources import SOURCES

    n = 0
    for fn, _elements, _stock in SOURCES.values():
        for _row in fn(DISTRICT6, period):
            n += 1
    return n


# --- timing and checking ----------------------------------------------------------------------


def stats(times: list[float]) -> dict:
    s = sorted(times)
    p95 = s[min(len(s) - 1, max(0, round(0.95 * len(s)) - 1))]
    return {"p50": statistics.median(s), "p95": p95, "min": s[0], "rounds": times}


def interleaved(fns: dict, repeats: int) -> dict[str, dict]:
    """Each function once per round, round after round (one warm-up round first), so that the
    machine's drift hits all of them alike; ms."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for k in range(repeats + 1):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            if k:
                times[name].append((time.perf_counter() - t) * 1000)
    return {name: stats(v) for name, v in times.items()}


def rolled_up(raw: list[tuple]) -> dict[tuple[str, str], Decimal]:
    from minsheng.indicators.services import ancestors

    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for rows, (_sql, elements) in zip(raw, RAW, strict=True):
        for row in rows:
            for element, v in zip(elements, row[1:], strict=True):
                for code in ancestors(row[0]):
                    totals[(code, element)] += Decimal(v or 0)
    return totals


def check(period, raw: list[tuple]) -> tuple[int, int, list[tuple]]:
    """Compare every case element of every region: (compared, mismatches, a few examples)."""
    from minsheng.indicators.models import DataValue
    from minsheng.places.models import Region

    expected = rolled_up(raw)
    elements = [e for _sql, els in RAW for e in els]
    stored = {(r, e): v for r, e, v in DataValue.objects.filter(
        region__code__startswith=DISTRICT6, period=period.id, element_id__in=elements)
        .values_list("region_id", "element_id", "value")}
    regions = set(Region.objects.filter(code__startswith=DISTRICT6).values_list("code", flat=True))
    keys = {k for k in expected if k[0] in regions} | set(stored)
    bad = [k for k in keys
           if round(expected.get(k, Decimal(0)), 4) != stored.get(k, Decimal(0))]
    show = [(e, expected.get((DISTRICT, e), Decimal(0)), stored.get((DISTRICT, e)))
            for e in ("cases_received", "cases_resolved", "cases_on_time",
                      "cases_handling_hours", "cases_rating_sum", "disputes_received",
                      "disputes_mediated", "mediation_amount", "recon_accepted",
                      "recon_amount_recovered", "admin_disputes_by_centre")]
    return len(keys), len(bad), show


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()
    if "DATABASE_URL" not in os.environ:
        sys.exit("Run under scripts/with-postgres (the benchmark is about PostgreSQL).")
    t = time.perf_counter()
    setup()
    print(f"setup (migrate, demo district, 3,000 demo cases): {time.perf_counter() - t:.0f} s")

    from django.db import connection
    from django.utils import timezone

    from minsheng.cases import stats as case_stats
    from minsheng.cases.models import AdminReview, Case, Mediation
    from minsheng.indicators import services
    from minsheng.indicators.models import DataValue, Indicator
    from minsheng.indicators.periods import Period
    from minsheng.places.models import Region

    year = timezone.localdate().year - 1
    period = Period(year)
    t = time.perf_counter()
    added = bulk_load(args.cases, year)
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        version = cur.fetchone()[0]
        cur.execute("SHOW max_parallel_workers_per_gather")
        workers = cur.fetchone()[0]
    in_period = Case.objects.filter(created_at__gte=case_stats.aware(period.start),
                                    created_at__lt=case_stats.aware(period.end))
    print(f"bulk load of {added:,} cases with their mediations and reviews: "
          f"{time.perf_counter() - t:.0f} s")
    print(f"PostgreSQL {version} (max_parallel_workers_per_gather {workers}); "
          f"{Case.objects.count():,} cases ({in_period.count():,} received in {year}), "
          f"{Mediation.objects.count():,} mediations, {AdminReview.objects.count():,} reviews; "
          f"{Region.objects.filter(code__startswith=DISTRICT6).count()} regions")

    from minsheng.cases import tally

    tally.invalidate(DISTRICT6)  # the SQL load bypassed the ORM's signals
    t = time.perf_counter()
    services.compute(DISTRICT, period)
    print(f"first compute after the load (every month of {year} counted into the monthly sums): "
          f"{(time.perf_counter() - t) * 1000:.0f} ms")
    one = Case.objects.filter(created_at__gte=case_stats.aware(dt.date(year, 6, 1)),
                              created_at__lt=case_stats.aware(dt.date(year, 7, 1))).first()

    def after_one_change():  # a case of June rated since the last run: June is counted again
        one.rating = 5 if one.rating != 5 else 4
        one.save(update_fields=["rating"])
        services.compute(DISTRICT, period)

    def cold():  # nothing counted yet: all twelve months counted from the cases
        tally.invalidate(DISTRICT6)
        services.compute(DISTRICT, period)

    r = args.repeats
    streets = [s.code for s in services.children(DISTRICT)]
    inds = Indicator.objects.filter(active=True).count()
    rows = list(interleaved({
        f"(a) Minsheng services.compute({DISTRICT}, {year}), sums current":
            lambda: services.compute(DISTRICT, period),
        "(b) raw SQL: one GROUP BY region per table (ceiling)": lambda: raw_sql(period),
        "(b') raw SQL, cases by region+type+status summed in Python":
            lambda: raw_sql_fine(period),
        "(b0) raw SQL, mediations and reviews joined to cases (old schema)":
            lambda: raw_sql(period, RAW_JOINED),
        "(a') Minsheng sources only (ORM GROUP BYs, rows consumed)":
            lambda: sources_only(period),
        "(a1) compute after one case of June changed (June recounted)": after_one_change,
        "(a12) compute from nothing counted (12 months recounted)": cold,
    }, r).items())
    rows += list(interleaved({
        f"(c) services.evaluate, district, {inds} indicators":
            lambda: services.evaluate([DISTRICT], period),
        f"(c) services.evaluate, district + {len(streets)} streets":
            lambda: services.evaluate([DISTRICT, *streets], period),
    }, r).items())
    print(f"\n{r} rounds after one warm-up round; in each round every line runs once, in turn")
    print(f"{'what':<66} {'p50 ms':>9} {'p95 ms':>9} {'min ms':>9}")
    for name, s in rows:
        print(f"{name:<66} {s['p50']:>9.1f} {s['p95']:>9.1f} {s['min']:>9.1f}")
    a = rows[0][1]
    print()
    for name, b in (("(b)", rows[1][1]), ("(b')", rows[2][1])):
        per_round = statistics.median(
            x / y for x, y in zip(a["rounds"], b["rounds"], strict=True))
        print(f"compute ÷ raw SQL {name}: {a['p50'] / b['p50']:.2f}× (p50 ÷ p50), "
              f"{a['p95'] / b['p95']:.2f}× (p95 ÷ p95), {per_round:.2f}× (median of the "
              f"rounds' ratios)")
    print(f"aim ≤ 2× the raw SQL: {'met' if a['p50'] <= 2 * rows[1][1]['p50'] else 'MISSED'} "
          f"against (b), {'met' if a['p50'] <= 2 * rows[2][1]['p50'] else 'MISSED'} against "
          f"(b'); aim < 1 s: {'met' if a['p50'] < 1000 else 'MISSED'} at p50, "
          f"{'met' if a['p95'] < 1000 else 'MISSED'} at p95")
    n_values = DataValue.objects.filter(region__code__startswith=DISTRICT6,
                                        period=period.id).count()
    print(f"compute writes {n_values:,} values for {year}")

    compared, bad, show = check(period, raw_sql(period))
    compared2, bad2, _show = check(period, raw_sql_fine(period))
    bad2 += check(period, raw_sql(period, RAW_JOINED))[1]  # the copied regions are the cases'

    print(f"\ncheck: {compared:,} (region, case element) values compared, {bad} differ from (b), "
          f"{bad2} from (b') or (b0)")
    bad += bad2
    print(f"{'district ' + DISTRICT:<34} {'raw SQL':>18} {'compute':>18}")
    for e, want, got in show:
        print(f"{e:<34} {round(want, 4):>18} {got!s:>18}")
    if bad:
        sys.exit("compute and the raw SQL disagree")


if __name__ == "__main__":
    main()
