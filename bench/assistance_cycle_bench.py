"""A monthly payment cycle for a county of 200,000 enrolled households — generate the
entitlements, approve the cycle and every entitlement, export the 一卡通 batch file — through
minsheng.assistance.payments, side by side with the bare SQL a hand-written system would run on
the same database in the same run (INSERT … SELECT of the amounts, one UPDATE, one SELECT of the
bank rows). The issue's bound: the Minsheng cycle under 60 s.

Run (SQLite in a scratch file by default; on PostgreSQL through scripts/with-postgres):

    .venv/bin/python bench/assistance_cycle_bench.py [--households 200000]
    scripts/with-postgres .venv/bin/python bench/assistance_cycle_bench.py

Setting up the county (regions, households, heads with card accounts, enrolments: 80 % 低保,
12 % 特困, 3 % 孤儿, 5 % paused) is done with executemany and is not part of the cycle's time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minsheng.settings")
os.environ.setdefault("MINSHENG_SECRET_KEY", "bench-secret-key-not-for-production-0123456789")
if not os.environ.get("DATABASE_URL"):
    os.environ["MINSHENG_SQLITE_PATH"] = str(Path(tempfile.mkdtemp()) / "bench.sqlite3")

DISTRICT = "131002000000"
LIMIT_S = 60.0


def setup(n: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from minsheng.assistance.models import Enrolment, EnrolmentEvent, Household, Person, Standard
    from minsheng.places.models import Region

    call_command("migrate", verbosity=0)
    t = time.perf_counter()
    with transaction.atomic():
        Region.objects.get_or_create(code="130000000000", defaults={"name": "河北省",
                                                                    "level": "province"})
        Region.objects.get_or_create(code="131000000000", defaults={
            "name": "廊坊市", "level": "city", "parent_id": "130000000000"})
        Region.objects.get_or_create(code=DISTRICT, defaults={
            "name": "安次区", "level": "district", "parent_id": "131000000000"})
        communities = []
        for s in range(1, 11):
            street = f"131002{s:03d}000"
            Region.objects.get_or_create(code=street, defaults={
                "name": f"街道{s}", "level": "street", "parent_id": DISTRICT})
            for c in range(1, 21):
                code = f"131002{s:03d}{c:03d}"
                Region.objects.get_or_create(code=code, defaults={
                    "name": f"社区{s}-{c}", "level": "community", "parent_id": street})
                communities.append(code)
        for programme, area, amount in (("dibao", "urban", "770"), ("dibao", "rural", "550"),
                                        ("tekun", "both", "1001"), ("orphan", "both", "1500")):
            Standard.objects.get_or_create(region_id=DISTRICT, programme=programme, area=area,
                                           valid_from=dt.date(2020, 1, 1),
                                           defaults={"amount": Decimal(amount),
                                                     "source": "bench"})
        if Household.objects.filter(generated=True).count() >= n:
            return
        q = connection.ops.quote_name
        now = dt.datetime.now(dt.UTC)
        with connection.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {q(Household._meta.db_table)} (number, region_id, address, area, "  # noqa: S608 - table names from the models, no input
                "was_registered_poor, created_at, generated) VALUES (%s, %s, '', %s, %s, %s, %s)",
                [(f"B{i:07d}", communities[i % len(communities)],
                  "rural" if i % 3 == 0 else "urban", i % 7 == 0, now, True) for i in range(n)])
        ids = dict(Household.objects.filter(generated=True).values_list("number", "id"))
        with connection.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {q(Person._meta.db_table)} (household_id, relationship, region_id, "  # noqa: S608 - table names from the models, no input
                "name, id_number, sex, birth_date, phone, labour_capacity, disability_grade, "
                "generated, parents_deceased_or_missing, self_care, bank_name, bank_account) "
                "VALUES (%s, 'head', %s, %s, %s, '', %s, '', %s, '', %s, %s, %s, %s, %s)",
                [(ids[f"B{i:07d}"], communities[i % len(communities)], f"户主{i}",
                  f"13{i:016d}", dt.date(1950 + i % 60, 1, 1),
                  "none" if i % 9 == 0 else "full", True, i % 33 == 0, True, "农业银行",
                  f"6228{i:015d}") for i in range(n)])
        heads = dict(Person.objects.filter(generated=True).values_list("household_id", "id"))
        with connection.cursor() as cur:
            rows = []
            for i in range(n):
                hid = ids[f"B{i:07d}"]
                r = i % 100
                programme = "dibao" if r < 80 else "tekun" if r < 92 else "orphan" if r < 95 \
                    else "dibao"
                state = "paused" if r >= 95 else "enrolled"
                rows.append((hid, heads[hid] if programme != "dibao" else None, heads[hid],
                             communities[i % len(communities)],
                             "rural" if i % 3 == 0 else "urban", programme, state,
                             dt.date(2025, 1, 1), dt.date(2025, 1, 1), dt.date(2025, 1, 15),
                             Decimal(f"{(i * 37) % 500}.{i % 100:02d}"), 1 + i % 4))
            cur.executemany(
                f"INSERT INTO {q(Enrolment._meta.db_table)} (household_id, person_id, payee_id, "  # noqa: S608 - table names from the models, no input
                "region_id, area, programme, mode, state, applied_on, consent_on, decided_on, "
                "computed_verdict, computed_rule, decision_reason, per_capita_income, "
                "members_covered, paid_first, after_review_outcome, created_at) VALUES (%s, %s, "
                "%s, %s, %s, %s, '', %s, %s, %s, %s, '符合', '', '', %s, %s, %s, '', "
                "CURRENT_TIMESTAMP)", [(*r, False) for r in rows])
            # the dated history the cycle reads (enrolment.in_force_during): enrolled from the
            # decision; the paused ones paused from a day before the month
            ev = q(EnrolmentEvent._meta.db_table)
            cur.execute(
                f"INSERT INTO {ev} (enrolment_id, state, effective_on, members_covered, "  # noqa: S608 - table names from the models, no input
                f"per_capita_income, note, at) "
                f"SELECT id, 'enrolled', decided_on, members_covered, per_capita_income, '', "
                f"CURRENT_TIMESTAMP "
                f"FROM {q(Enrolment._meta.db_table)}")
            cur.execute(
                f"INSERT INTO {ev} (enrolment_id, state, effective_on, members_covered, "  # noqa: S608 - table names from the models, no input
                f"per_capita_income, note, at) "
                f"SELECT id, 'paused', %s, members_covered, per_capita_income, '', "
                f"CURRENT_TIMESTAMP "
                f"FROM {q(Enrolment._meta.db_table)} WHERE state = 'paused'",
                [dt.date(2025, 6, 1)])
    print(f"set-up: {n:,} households, heads and enrolments in {time.perf_counter() - t:.1f} s "
          f"(not timed below)")


def minsheng_cycle(month: dt.date) -> dict[str, float]:
    from django.contrib.auth import get_user_model

    from minsheng.assistance import payments as pay

    user, _ = get_user_model().objects.get_or_create(username="bench", defaults={
        "is_superuser": True, "is_staff": True})
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    cycle = pay.do_open_cycle(user, DISTRICT, month)
    n = pay.do_generate(user, cycle)
    out["generate"] = time.perf_counter() - t0
    t = time.perf_counter()
    pay.do_approve_cycle(user, cycle)
    pay.do_approve_entitlements(user, cycle)
    out["approve"] = time.perf_counter() - t
    t = time.perf_counter()
    batch = pay.do_export_batch(user, cycle)
    content, _ctype, _name = pay.bank_file(user, batch, "csv")
    out["export"] = time.perf_counter() - t
    out["total"] = time.perf_counter() - t0
    out["rows"] = n
    out["bytes"] = len(content)
    return out


def baseline() -> dict[str, float]:
    """The same work as bare SQL into a scratch table: the amounts by INSERT … SELECT (one
    statement per programme, the standards inlined), one UPDATE to approve, and the bank rows
    read with one SELECT joining the accounts."""
    from django.db import connection, transaction

    from minsheng.assistance.models import Enrolment, Person

    q = connection.ops.quote_name
    enr, per = q(Enrolment._meta.db_table), q(Person._meta.db_table)
    out: dict[str, float] = {}
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_entitlement")
        cur.execute("CREATE TABLE bench_entitlement (enrolment_id bigint, payee_id bigint, "
                    "amount numeric(12, 2), state varchar(10))")
        t0 = time.perf_counter()
        cur.execute(
            f"INSERT INTO bench_entitlement SELECT id, payee_id, "  # noqa: S608 - table names from the models, no input
            f"ROUND((CASE area WHEN 'urban' THEN 770 ELSE 550 END - per_capita_income) "
            f"* members_covered, 2), 'draft' FROM {enr} WHERE state = 'enrolled' "
            f"AND programme = 'dibao'")
        cur.execute(f"INSERT INTO bench_entitlement SELECT id, payee_id, "  # noqa: S608 - table names from the models, no input
                    f"CASE programme WHEN 'tekun' THEN 1001 ELSE 1500 END, 'draft' FROM {enr} "
                    f"WHERE state = 'enrolled' AND programme IN ('tekun', 'orphan')")
        out["generate"] = time.perf_counter() - t0
        t = time.perf_counter()
        cur.execute("UPDATE bench_entitlement SET state = 'approved' WHERE state = 'draft'")
        out["approve"] = time.perf_counter() - t
        t = time.perf_counter()
        cur.execute(f"SELECT p.name, p.bank_name, p.bank_account, SUM(b.amount) "  # noqa: S608 - table names from the models, no input
                    f"FROM bench_entitlement b JOIN {per} p ON p.id = b.payee_id "
                    f"GROUP BY p.id, p.name, p.bank_name, p.bank_account")
        rows = cur.fetchall()
        lines = "\n".join(f"{a},{b},{c},{d}" for a, b, c, d in rows).encode()
        out["export"] = time.perf_counter() - t
        out["total"] = time.perf_counter() - t0
        out["rows"] = len(rows)
        out["bytes"] = len(lines)
        cur.execute("DROP TABLE bench_entitlement")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--households", type=int, default=200_000)
    args = ap.parse_args()
    setup(args.households)
    from django.db import connection

    engine = connection.vendor
    month = dt.date.today().replace(day=1)  # noqa: DTZ011 - the bench runs in local time
    base = baseline()
    ms = minsheng_cycle(month)
    print(f"\nmonthly cycle, {args.households:,} households, {int(ms['rows']):,} entitlements, "
          f"{engine}")
    print(f"{'step':<10}{'minsheng s':>12}{'bare SQL s':>12}{'ratio':>8}")
    for step in ("generate", "approve", "export", "total"):
        ratio = ms[step] / base[step] if base[step] else float("inf")
        print(f"{step:<10}{ms[step]:>12.2f}{base[step]:>12.2f}{ratio:>7.1f}×")
    print(f"bank file: {ms['bytes'] / 1e6:.1f} MB (CSV with header, quoted cells); "
          f"bare SQL rows {int(base['rows']):,}")
    ok = ms["total"] < LIMIT_S
    print(f"{'OK' if ok else 'TOO SLOW'}: the cycle took {ms['total']:.1f} s "
          f"(bound {LIMIT_S:.0f} s)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
