"""A province on one PostgreSQL: 100 districts of cases — the full indicator refresh and the staff
case list, each beside hand-written SQL doing the same work, in the same run.

Run (scripts/with-postgres starts a throwaway PostgreSQL and removes it afterwards):

    scripts/with-postgres .venv/bin/python bench/province_bench.py [--per-district 100000]
        [--districts 100] [--repeats 30]

Data: the demo geography of 安次区 (357 regions, 214 compounds) and the demo's 3,000 cases with
their histories, mediations and reviews (as bench/indicators_bench.py builds them), the geography
and compounds copied in SQL to --districts - 1 more districts (codes 139001…), then
--districts × --per-district cases made in SQL (generate_series) from the demo cases — each copy
in its model's community of the district it falls in, spread evenly over last calendar year, with
a copy of its model's mediation and review (for the refresh) and two events naming its handling
organisation (the case list's scope reads events: cases an organisation has held). The copies
have no compound (the list's compound column is empty for them).

Timed:
- the full refresh: `indicators.jobs.refresh()` (every district with compounds: the current
  year, quarter and month), and `services.compute(district, Period(last year))` for every
  district — the year that holds the cases; beside it the raw SQL: one GROUP BY region per case
  table (cases, mediations, reviews) over the whole province, rows fetched, nothing written;
- the staff case list `/cases/` (views.case_list through Django's test client: scope, filters,
  count, the page of 50, the template) as the demo's district user (安次区, with its
  department's cases) and street user (银河南路街道, with its street office's), first page and
  filtered pages; beside each the hand-written SQL of the same page (the rows of the page and
  the count, region prefix only). p50 / p95 over --repeats requests; the EXPLAIN (ANALYZE) of
  the ORM's page query for the district user's first page and a filtered page is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from indicators_bench import CASE_COLUMNS, RAW, setup  # noqa: E402

SEED = "131002"


def district_codes(n_districts: int) -> list[str]:
    return [SEED] + [f"1390{k:02d}" for k in range(1, n_districts)]


def copy_geography(n_districts: int) -> list[str]:
    """Copies of 安次区's regions and compounds under district codes 139001… (SQL)."""
    from django.db import connection, transaction

    from minsheng.places.models import Compound, Region

    codes = district_codes(n_districts)
    rcols = [f.column for f in Region._meta.concrete_fields]
    ccols = [f.column for f in Compound._meta.concrete_fields if f.column != "id"]

    def expr(col: str, table: str) -> str:
        if col in ("code",):
            return f"d.code || substr({table}.code, 7)"
        if col in ("parent_id", "region_id"):
            return (f"CASE WHEN {table}.{col} LIKE '{SEED}%' THEN d.code || substr({table}.{col}, 7)"
                    f" ELSE {table}.{col} END")
        if col == "grid_id":
            return "NULL"
        return f"{table}.{col}"

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE bench_d (code text)")
        cur.executemany("INSERT INTO bench_d VALUES (%s)", [(c,) for c in codes[1:]])
        cur.execute(f"""INSERT INTO places_region ({", ".join(rcols)})
            SELECT {", ".join(expr(c, "r") for c in rcols)} FROM places_region r CROSS JOIN bench_d d
            WHERE r.code LIKE '{SEED}%'""")  # noqa: S608 - constants
        cur.execute(f"""INSERT INTO places_compound ({", ".join(ccols)})
            SELECT {", ".join(expr(c, "r") for c in ccols)} FROM places_compound r
            CROSS JOIN bench_d d WHERE r.region_id LIKE '{SEED}%'""")  # noqa: S608
        cur.execute("DROP TABLE bench_d")
    return codes


def load_cases(codes: list[str], per_district: int, year: int) -> int:
    """per_district cases in every district, interleaved in time (case g falls in district
    g mod n), each a copy of a demo case moved to the same community of its district."""
    from django.db import connection, transaction

    from minsheng.cases import stats as case_stats

    n = len(codes)
    k = n * per_district
    start = case_stats.aware(dt.date(year, 1, 1))
    end = case_stats.aware(dt.date(year + 1, 1, 1))
    seeds = "SELECT array_agg(id ORDER BY id) AS ids FROM cases_case WHERE number NOT LIKE 'P%%'"
    cols = CASE_COLUMNS.replace("region_id, ", "").replace("compound_id, ", "")
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE bench_codes (i int PRIMARY KEY, code text)")
        cur.executemany("INSERT INTO bench_codes VALUES (%s, %s)", list(enumerate(codes)))
        cur.execute(f"""
        WITH s AS MATERIALIZED ({seeds})
        INSERT INTO cases_case (region_id, compound_id, {cols})
        SELECT d.code || substr(c.region_id, 7), NULL,
            'P' || g, md5('province' || g), c.case_type_id, c.description, c.status, c.channel,
            c.grid_id, c.lat, c.lng, c.address, NULL,
            c.reporter_name, c.reporter_phone, c.organisation_id, NULL,
            c.created_at + x.shift, c.accept_due + x.shift, c.resolve_due + x.shift,
            c.accepted_at + x.shift, c.resolved_at + x.shift, c.closed_at + x.shift,
            c.escalation_level, c.overdue, c.outcome, c.verdict, c.rating, c.reopen_count, NULL,
            '', '{{}}'::jsonb, c.public, true, c.priority, c.outcome_kind, c.outcome_rule,
            c.outcome_redirect, c.rating_channel, c.support_count
        FROM generate_series(1, %(k)s) g CROSS JOIN s
        JOIN bench_codes d ON d.i = g %% %(n)s
        JOIN cases_case c ON c.id = s.ids[1 + (g / %(n)s) %% array_length(s.ids, 1)]
        CROSS JOIN LATERAL (SELECT %(start)s::timestamptz
            + (g - 1) * ((%(end)s::timestamptz - %(start)s::timestamptz) / %(k)s)
            - c.created_at AS shift) x
        """, {"k": k, "n": n, "start": start, "end": end})  # noqa: S608
        cur.execute("ANALYZE cases_case")
        copies = """
        FROM cases_case nc CROSS JOIN s
        JOIN cases_case c ON c.id = s.ids[1 + (substr(nc.number, 2)::int / %(n)s)
                                           %% array_length(s.ids, 1)]
        """
        cur.execute(f"""
        WITH s AS MATERIALIZED ({seeds})
        INSERT INTO cases_mediation (case_id, region_id, committee_id, mediator_id, matter,
            agreement, outcome, referral, amount, concluded_at)
        SELECT nc.id, nc.region_id, m.committee_id, NULL, m.matter, m.agreement, m.outcome,
            m.referral, m.amount, m.concluded_at + (nc.created_at - c.created_at)
        {copies} JOIN cases_mediation m ON m.case_id = c.id WHERE nc.number LIKE 'P%%'
        """, {"n": n})  # noqa: S608
        cur.execute(f"""
        WITH s AS MATERIALIZED ({seeds})
        INSERT INTO cases_adminreview (case_id, region_id, kind, respondent, accepted,
            accepted_at, concluded_at, outcome, by_dispute_centre, amount_recovered)
        SELECT nc.id, nc.region_id, r.kind, r.respondent, r.accepted,
            r.accepted_at + (nc.created_at - c.created_at),
            r.concluded_at + (nc.created_at - c.created_at), r.outcome, r.by_dispute_centre,
            r.amount_recovered
        {copies} JOIN cases_adminreview r ON r.case_id = c.id WHERE nc.number LIKE 'P%%'
        """, {"n": n})  # noqa: S608
        cur.execute("""
        INSERT INTO cases_caseevent (case_id, at, actor_id, action, from_status, to_status,
            organisation_id, note, public)
        SELECT nc.id, nc.created_at, NULL, a.action, '', 'assigned', nc.organisation_id, '', true
        FROM cases_case nc CROSS JOIN (VALUES ('created'), ('routed')) a(action)
        WHERE nc.number LIKE 'P%'
        """)
        cur.execute("DROP TABLE bench_codes")
    with connection.cursor() as cur:
        for table in ("cases_case", "cases_mediation", "cases_adminreview", "cases_caseevent"):
            cur.execute(f"VACUUM ANALYZE {table}")
    return k


def stats(times: list[float]) -> tuple[float, float]:
    s = sorted(times)
    return statistics.median(s), s[min(len(s) - 1, max(0, round(0.95 * len(s)) - 1))]


def timed(fn, repeats: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def refresh_bench(codes: list[str], year: int, repeats: int) -> None:
    from django.db import connection

    from minsheng.cases import stats as case_stats
    from minsheng.indicators import jobs, services
    from minsheng.indicators.periods import Period

    period = Period(year)
    params = {"prefix": "%", "start": case_stats.aware(period.start),
              "end": case_stats.aware(period.end)}

    def raw() -> int:
        n = 0
        with connection.cursor() as cur:
            for sql, _elements in RAW:
                cur.execute(sql, params)
                n += len(cur.fetchall())
        return n

    def computes() -> int:
        return sum(services.compute(c + "000000", period) for c in codes)

    print(f"\n== full indicator refresh, {len(codes)} districts ({repeats} runs each, in turn, "
          "the first one cold)")
    lines = {"jobs.refresh(): every district, current year + quarter + month": jobs.refresh,
             f"services.compute(district, {year}) for every district": computes,
             "raw SQL: one GROUP BY region per case table, whole province": raw}
    times: dict[str, list[float]] = {k: [] for k in lines}
    for _ in range(repeats):  # no warm-up: the first refresh writes every value (the cold case)
        for name, fn in lines.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    for name, v in times.items():
        runs = "  ".join(f"run {i + 1}: {x:7.2f} s" for i, x in enumerate(v))
        print(f"{name:<70} {runs}")
    computes_s = times[f"services.compute(district, {year}) for every district"]
    a = statistics.median(computes_s[1:] or computes_s)
    b = statistics.median(times["raw SQL: one GROUP BY region per case table, whole province"])
    warm = [x for name, v in times.items() if not name.startswith("raw") for x in v[1:]]
    print(f"run 1 is cold (every value written, every month of the cases counted into the "
          f"monthly sums); compute of the year for all districts ÷ raw SQL after it: "
          f"{a / b:.2f}×; aim < 60 s: "
          + (f"{'met' if max(warm) < 60 else 'MISSED'} from run 2 on, "
             if warm else "")
          + f"{'met' if max(v[0] for v in times.values()) < 60 else 'MISSED'} on the cold run")


def list_bench(repeats: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from minsheng.accounts.demo import create_demo_accounts
    from minsheng.cases.models import Case

    setup_test_environment()  # the client then records the template context (the total)
    create_demo_accounts(SEED)
    User = get_user_model()
    users = {"district (安次区)": User.objects.get(username="district"),
             "street (银河南路街道)": User.objects.get(username="street1")}
    some_type = (Case.objects.filter(region__code__startswith=SEED).values_list(
        "case_type_id", flat=True).first())
    pages = {
        "first page": "",
        "status=accepted": "status=accepted",
        f"type={some_type}": f"type={some_type}",
        "overdue=1": "overdue=1",
        "a month (start/end)": "start=2025-06-01&end=2025-06-30",
        "page 5": "page=5",
    }
    print(f"\n== staff case list /cases/ ({repeats} requests each after a warm-up; ms)")
    print(f"{'user':<22} {'page':<26} {'view p50':>9} {'p95':>8} {'SQL p50':>8} {'p95':>8} "
          f"{'hand SQL p50':>12} {'p95':>8} {'rows':>8}")
    explained = []
    for who, user in users.items():
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        prefix = SEED if who.startswith("district") else "131002001"
        for label, query in pages.items():
            url = "/cases/" + (f"?{query}" if query else "")
            with CaptureQueriesContext(connection) as ctx:
                r = client.get(url)
            assert r.status_code == 200, (url, r.status_code)
            if label == "first page":  # where the page's SQL time goes: its slowest queries
                slow = sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[:4]
                print(f"   {who}: {len(ctx.captured_queries)} queries; slowest: " + "; ".join(
                    f"{float(q['time']) * 1000:.0f} ms {q['sql'][:160]!r}" for q in slow))
            view = timed(lambda url=url, client=client: client.get(url), repeats)
            sql_times = []
            for _ in range(repeats):
                with CaptureQueriesContext(connection) as c2:
                    client.get(url)
                sql_times.append(sum(float(q["time"]) for q in c2.captured_queries) * 1000)
            hand = timed(lambda prefix=prefix, query=query: hand_sql(prefix, query), repeats)
            total = r.context["total"]
            v50, v95 = stats(view)
            s50, s95 = stats(sql_times)
            h50, h95 = stats(hand)
            print(f"{who:<22} {label:<26} {v50:9.1f} {v95:8.1f} {s50:8.1f} {s95:8.1f} "
                  f"{h50:12.1f} {h95:8.1f} {total:8,}")
            if who.startswith("district") and label in ("first page", f"type={some_type}",
                                                         "overdue=1"):
                explained += [(who, label, q["sql"]) for q in ctx.captured_queries
                              if "cases_case" in q["sql"] and ("LIMIT" in q["sql"]
                                                               or "COUNT(" in q["sql"])]
    for who, label, sql in explained:
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            print(f"\nEXPLAIN (ANALYZE, BUFFERS), {who}, {label}:\n{sql}\n")
            print("\n".join(r[0] for r in cur.fetchall()))


def profile_list(requests: int = 10) -> None:
    """cProfile of the district user's first page: the functions with the most time of their own
    and those with the most time in all, over `requests` requests after a warm-up."""
    import cProfile
    import pstats

    from django.contrib.auth import get_user_model
    from django.test import Client

    from minsheng.accounts.demo import create_demo_accounts

    create_demo_accounts(SEED)
    client = Client(SERVER_NAME="localhost")
    client.force_login(get_user_model().objects.get(username="district"))
    client.get("/cases/")
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(requests):
        client.get("/cases/")
    prof.disable()
    print(f"\n== cProfile of /cases/ as the district user, {requests} requests")
    st = pstats.Stats(prof)
    st.sort_stats("tottime").print_stats(20)
    st.sort_stats("cumulative").print_stats(40)


def hand_sql(prefix: str, query: str) -> None:
    """The same page by hand: the 50 newest cases of the region (with the filter) and the count."""
    from django.db import connection

    where = "c.region_id LIKE %(p)s"
    if query.startswith("status="):
        where += " AND c.status = 'accepted'"
    elif query.startswith("type="):
        where += " AND c.case_type_id = %(t)s"
    elif query.startswith("overdue="):
        where += (" AND (c.overdue OR (c.status = 'assigned' AND c.accept_due < now())"
                  " OR (c.status = 'accepted' AND c.resolve_due < now()))")
    elif query.startswith("start="):
        where += " AND c.created_at >= '2025-06-01' AND c.created_at < '2025-07-01'"
    offset = 200 if query == "page=5" else 0
    params = {"p": prefix + "%", "t": query[5:]}
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM cases_case c WHERE {where}", params)  # noqa: S608
        cur.fetchall()
        page = f"""SELECT c.*, t.name, o.name, r.name FROM cases_case c
            JOIN cases_casetype t ON t.code = c.case_type_id
            JOIN places_organisation o ON o.id = c.organisation_id
            JOIN places_region r ON r.code = c.region_id
            WHERE {where} ORDER BY c.created_at DESC, c.id DESC LIMIT 50 OFFSET {offset}"""  # noqa: S608
        cur.execute(page, params)
        cur.fetchall()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--districts", type=int, default=100)
    ap.add_argument("--per-district", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--refresh-repeats", type=int, default=3)
    ap.add_argument("--skip-list", action="store_true")
    ap.add_argument("--reuse", action="store_true",
                    help="the database already holds the province (a run that loaded it with "
                         "--refresh-repeats 0 --skip-list): migrate, then measure, without loading")
    ap.add_argument("--profile", action="store_true",
                    help="print where the district user's first page spends its time (cProfile)")
    args = ap.parse_args()
    if "DATABASE_URL" not in os.environ:
        sys.exit("Run under scripts/with-postgres (the benchmark is about PostgreSQL).")
    t = time.perf_counter()
    if args.reuse:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        print(f"migrate on the loaded province: {time.perf_counter() - t:.0f} s")
    else:
        setup()
        print(f"setup (migrate, demo district, 3,000 demo cases): {time.perf_counter() - t:.0f} s")
    from django.db import connection
    from django.utils import timezone

    year = timezone.localdate().year - 1
    t = time.perf_counter()
    if args.reuse:
        codes = district_codes(args.districts)
        k = args.districts * args.per_district
    else:
        codes = copy_geography(args.districts)
        k = load_cases(codes, args.per_district, year)
    load = time.perf_counter() - t
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM cases_case")
        n = cur.fetchone()[0]
        cur.execute("SELECT pg_size_pretty(pg_database_size(current_database())), "
                    "pg_size_pretty(pg_total_relation_size('cases_case')), "
                    "pg_size_pretty(pg_indexes_size('cases_case')), version()")
        db, table, idx, version = cur.fetchone()
    print(f"bulk load of {k:,} cases in {len(codes)} districts (with mediations, reviews, "
          f"2 events each): {load:.0f} s; {n:,} cases; database {db}, cases_case {table} "
          f"(indexes {idx}); {version.split(',')[0]}")
    if args.profile:
        profile_list()
    if not args.skip_list:
        list_bench(args.repeats)
    if args.refresh_repeats:
        refresh_bench(codes, year, args.refresh_repeats)


if __name__ == "__main__":
    main()
