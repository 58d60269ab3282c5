"""The monthly register import (`minsheng employment template|import`, and the page): all or
nothing, errors by row and column in the importers' one format, hostile cells refused."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse

from minsheng.accounts.models import AuditLog
from minsheng.employment import exchange
from minsheng.employment.models import Employment, Unemployment
from minsheng.lib.tabular import ImportRejected
from tests.employment.conftest import id_for
from tests.hostile import attack_whole_file

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2031, 6, 15, 4, 0, tzinfo=dt.UTC)
D = "131002000000"


def workbook(rows: list[list]) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(exchange.template()))
    ws = wb[exchange.SHEET]
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def row(number, community, kind="失业登记", date="2031-05-03", reason="被解除劳动合同", **kw):
    cells = {"name": kw.get("name", "导入人员"), "id": number, "phone": kw.get("phone", ""),
             "region": community.code, "kind": kind, "date": date, "reason": reason,
             "desired": kw.get("desired", ""), "grad": kw.get("grad", ""),
             "hard": kw.get("hard", "")}
    return [cells["name"], cells["id"], cells["phone"], cells["region"], cells["kind"],
            cells["date"], cells["reason"], cells["desired"], cells["grad"], "", cells["hard"],
            "", "", "", kw.get("job_kind", ""), kw.get("employer", "")]


@time_machine.travel(NOW, tick=False)
def test_template_and_import_by_command(tmp_path, community):
    t = tmp_path / "t.xlsx"
    call_command("employment", "template", str(t))
    header = [c.value for c in openpyxl.load_workbook(t)[exchange.SHEET][1]]
    assert header[:6] == ["姓名", "身份证号", "联系电话", "社区区划代码", "登记类型", "登记日期"]
    a, b = id_for(dt.date(1988, 2, 2)), id_for(dt.date(2009, 9, 9))
    f = tmp_path / "m.xlsx"
    f.write_bytes(workbook([
        # the job comes first in the file, the dates put the registration before it
        row(a, community, kind="就业登记", date="2031-05-20", reason="", employer="某超市"),
        row(a, community, hard="是", desired="收银"),
        row(b, community, grad="2031", reason="毕业未就业", date="2031/6/1"),
    ]))
    out = io.StringIO()
    call_command("employment", "import", str(f), "--region", D, stdout=out)
    assert "新增 3 条" in out.getvalue()
    ua = Unemployment.objects.get(person__id_number=a)
    assert ua.hard_to_employ and ua.ended_on == dt.date(2031, 5, 20)
    assert Employment.objects.get(person__id_number=a).ends == ua
    assert Unemployment.objects.get(person__id_number=b).graduate_year == 2031
    assert AuditLog.objects.filter(action="import", object_type="employment.register").exists()


@time_machine.travel(NOW, tick=False)
def test_all_or_nothing_with_row_and_column(community, other_community):
    good = row(id_for(dt.date(1980, 1, 1)), community)
    bad = [
        row("131002198001011234", community),  # wrong check digit
        row(id_for(dt.date(1980, 1, 2)), community, date="2031-13-01"),
        row(id_for(dt.date(1980, 1, 3)), community, date="9999-01-01"),  # extreme date
        row(id_for(dt.date(1980, 1, 4)), community, date="2031-07-01"),  # after today
        row(id_for(dt.date(1980, 1, 5)), community, grad="99999999999"),  # extreme number
        row(id_for(dt.date(1980, 1, 6)), community, reason=""),
        row(id_for(dt.date(2020, 1, 7)), community),  # 11 years old
    ]
    with pytest.raises(ImportRejected) as e:
        exchange.import_registers(None, community.code[:9] + "000", workbook([good, *bad]),
                                  "m.xlsx")
    shown = [str(x) for x in e.value.errors]
    assert shown[0].startswith("第3行 第2列（身份证号）：")
    assert any(s.startswith("第4行 第6列（登记日期）") for s in shown)
    assert any(s.startswith("第5行 第6列（登记日期）") for s in shown)
    assert any(s.startswith("第6行") and "今天" in s for s in shown)
    assert any(s.startswith("第7行 第9列（离校年份）") for s in shown)
    assert any(s.startswith("第8行 第7列（失业原因）") for s in shown)
    assert any(s.startswith("第9行") and "16周岁" in s for s in shown)
    assert not Unemployment.objects.filter(person__id_number=good[1]).exists()
    # a community outside the region imported into
    with pytest.raises(ImportRejected) as e:
        exchange.import_registers(None, community.code[:9] + "000",
                                  workbook([row(id_for(dt.date(1980, 2, 1)), other_community)]),
                                  "m.xlsx")
    assert "不在导入的区划" in str(e.value.errors[0])


@time_machine.travel(NOW, tick=False)
def test_hostile_cells(community):
    markup = row(id_for(dt.date(1981, 1, 1)), community, name="<script>alert(1)</script>",
                 desired="<b>x</b>")
    formula = row(id_for(dt.date(1981, 1, 2)), community, desired="=HYPERLINK(\"http://x\")")
    with pytest.raises(ImportRejected) as e:
        exchange.import_registers(None, D, workbook([markup, formula]), "m.xlsx")
    assert {x.row for x in e.value.errors} == {3}  # the formula refused, markup is text
    control = row(id_for(dt.date(1981, 1, 3)), community, desired="收\x07银")
    csv = "\r\n".join(",".join(str(c) for c in r) for r in (
        [c.header for c in exchange.COLUMNS], control)).encode("utf-8")
    with pytest.raises(ImportRejected) as e:
        exchange.import_registers(None, D, csv, "m.csv")
    assert [(x.row, x.column_no) for x in e.value.errors] == [(2, 8)]
    assert str(e.value.errors[0]).startswith("第2行 第8列：含有不可见的控制字符（U+0007）")
    # markup alone is stored as text and shown escaped
    exchange.import_registers(None, D, workbook([markup]), "m.xlsx")
    u = Unemployment.objects.get(person__id_number=markup[1])
    assert u.person.name == "<script>alert(1)</script>"


def test_disguised_and_oversized_files(community):
    with pytest.raises(ImportRejected) as e:
        exchange.import_registers(None, D, b"\x89PNG\r\n\x1a\n" + b"0" * 100, "m.xlsx")
    assert e.value.errors[0].row == 0
    with pytest.raises(ImportRejected):
        exchange.import_registers(None, D, b"PK\x03\x04 not really a zip", "m.xlsx")
    with pytest.raises(CommandError):
        call_command("employment", "import", "/nonexistent.xlsx", "--region", D)
    with pytest.raises(CommandError):
        call_command("employment", "import", "/dev/null", "--region", "999999999999")


@time_machine.travel(NOW, tick=False)
def test_import_page_and_its_denials(client_for, user, community):
    f = io.BytesIO(workbook([row(id_for(dt.date(1982, 1, 1)), community)]))
    f.name = "m.xlsx"
    r = client_for("employ1").post(reverse("employment:import"), {"region": D, "file": f})
    assert r.status_code == 302
    bad = io.BytesIO(workbook([row("131002198001011234", community)]))
    bad.name = "m.xlsx"
    r = client_for("employ1").post(reverse("employment:import"), {"region": D, "file": bad})
    assert r.status_code == 200 and "身份证号" in r.content.decode()
    for who in ("community1", "dept1", "employer1"):
        f.seek(0)
        assert client_for(who).post(reverse("employment:import"),
                                    {"region": D, "file": f}).status_code == 403
    with pytest.raises(PermissionError):
        exchange.import_registers(user("dept1"), D, b"", "m.xlsx")


def test_export_masked_unless_asked_and_allowed(client_for, make_person, community):
    p = make_person(name="=HYPERLINK(\"http://x\")")
    Unemployment.objects.create(person=p, region=community, registered_on=dt.date(2030, 1, 1),
                                reason="other")

    def cells(username, query=""):
        r = client_for(username).get(reverse("employment:export") + query)
        assert r.status_code == 200
        ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
        return [[c.value for c in row] for row in ws.iter_rows(min_row=2)]

    mine = next(r for r in cells("community1") if r[1].startswith(p.id_number[:6]) and
                r[0].endswith('"http://x")'))
    assert mine[0].startswith("'=") and mine[1] == p.id_number[:6] + "********" + p.id_number[-4:]
    shown = [r for r in cells("community1", "?unmask=1") if r[1] == p.id_number]
    assert shown and AuditLog.objects.filter(action="unmask", object_type="assistance.person")
    assert not [r for r in cells("employ1", "?unmask=1") if r[1] == p.id_number]  # no right
    for who in ("dept1", "employer1", "resident1", "grid1"):
        assert client_for(who).get(reverse("employment:export")).status_code == 403, who


@time_machine.travel(NOW, tick=False)
def test_a_whole_file_with_one_hostile_cell_is_taken_whole_or_refused_whole(community):
    header = [c.value for c in openpyxl.load_workbook(
        io.BytesIO(exchange.template()))[exchange.SHEET][1]]
    good = row(id_for(dt.date(1981, 3, 1)), community)
    second = row(id_for(dt.date(1981, 3, 2)), community)
    findings = attack_whole_file(
        header[:len(good)], good, second,
        lambda content, name: exchange.import_registers(None, D, content, name),
        Unemployment.objects.count)
    assert not findings, "\n".join(findings)
