"""Two-factor sign-in (accounts/two_factor.py): who must, confinement until it is done, codes from
the app (computed here from the device's key with django-otp's TOTP, the clock frozen), recovery
codes that work once, the limit on wrong codes, hostile input in the code field, and the API's
HTTP Basic refused to accounts that sign in with a code."""

from __future__ import annotations

import base64
import datetime as dt
import importlib

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from minsheng.accounts import two_factor
from minsheng.accounts.models import AuditLog

pytestmark = pytest.mark.django_db

PASSWORD = "minsheng-demo"  # noqa: S105 - the demo accounts' published password
SETUP, VERIFY, STATUS = "/account/2fa/setup/", "/account/2fa/verify/", "/account/2fa/"
NOON = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def enforced(settings):
    settings.REQUIRE_2FA = True


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=False) as t:
        yield t


def login(username: str) -> Client:
    c = Client()
    r = c.post("/login/", {"username": username, "password": PASSWORD})
    assert r.status_code == 302, r.content[:300]
    return c


def code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def with_device(username: str) -> tuple[TOTPDevice, list[str]]:
    user = get_user_model().objects.get(username=username)
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return device, two_factor.new_codes(user)


def actions(username: str) -> list[str]:
    return list(AuditLog.objects.filter(user__username=username, action__startswith="two_factor")
                .order_by("pk").values_list("action", flat=True))


def test_who_must_follows_rights_not_role_names():
    User = get_user_model()
    must = {u: two_factor.must_use(User.objects.get(username=u)) for u in (
        "district", "street1", "community1", "grid1", "mediator1", "revival1", "admin",
        "viewer1", "resident1", "property1", "dept1", "employ1", "employer1")}
    # VIEW_PERSONAL (street, community, grid, the rural-revitalisation department through its
    # function), VIEW_PARTIES (the mediator), the back office (district, street, admin)
    assert {u for u, m in must.items() if m} == {
        "district", "street1", "community1", "grid1", "mediator1", "revival1", "admin"}


@pytest.mark.parametrize("username", ["street1", "admin", "mediator1"])
def test_enforced_user_without_device_is_confined_to_setup(enforced, username):
    c = login(username)
    for path in ("/", "/compounds/", "/cases/", "/admin/", "/admin/places/compound/",
                 STATUS, VERIFY, "/account/2fa/off/", "/cases/new/"):
        r = c.get(path)
        assert r.status_code == 302 and r["Location"].startswith(SETUP), path
    assert c.post("/compounds/", {}).status_code == 302
    for path in ("/api/compounds/", "/api/regions/", "/api/schema/"):
        r = c.get(path)
        assert r.status_code == 403 and "两步验证" in r.json()["detail"], path
    page = c.get(SETUP)
    assert page.status_code == 200
    text = page.content.decode()
    assert "<svg" in text and "须先设置两步验证" in text
    assert 'class="mainnav"' not in text  # no navigation to pages it cannot open
    assert c.post("/logout/").status_code == 302
    assert c.get("/").status_code == 302 and "/login/" in c.get("/")["Location"]


def test_setting_up_confirms_with_a_code_then_every_sign_in_asks_for_one(enforced, clock):
    c = login("street1")
    c.get(SETUP)
    device = TOTPDevice.objects.get(user__username="street1")
    assert not device.confirmed
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    page = c.get(SETUP).content.decode()
    assert " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)) in page  # the same key
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    r = c.post(SETUP, {"code": wrong})
    assert r.status_code == 400 and "验证码不对" in r.content.decode()
    assert c.get("/").status_code == 302  # an unconfirmed device counts for nothing
    clock.shift(2)  # django-otp's throttle: one second after a wrong code
    r = c.post(SETUP, {"code": code_for(device)})
    assert r.status_code == 302 and r["Location"].startswith(STATUS)
    shown = c.get(STATUS)
    assert shown["Cache-Control"] == "no-store"
    codes = [line.split("<li>")[1] for line in shown.content.decode().split("</li>")
             if "<li>" in line and "-" in line.split("<li>")[1]]
    assert len(codes) == two_factor.RECOVERY_CODES
    assert "只显示这一次" not in c.get(STATUS).content.decode()  # once
    assert c.get("/").status_code == 200  # this session is verified
    assert actions("street1") == ["two_factor.device_added"]

    clock.shift(60)
    c.post("/logout/")
    c = login("street1")
    r = c.get("/cases/")
    assert r.status_code == 302 and r["Location"] == f"{VERIFY}?next=%2Fcases%2F"
    assert c.get("/api/compounds/").status_code == 403
    device.refresh_from_db()
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    r = c.post(VERIFY, {"code": wrong, "next": "/cases/"})
    assert r.status_code == 400 and "验证码不正确" in r.content.decode()
    assert c.get("/").status_code == 302
    clock.shift(2)
    before = c.cookies["sessionid"].value
    r = c.post(VERIFY, {"code": code_for(device), "next": "/cases/"})
    assert r.status_code == 302 and r["Location"] == "/cases/"
    assert c.cookies["sessionid"].value != before  # the verified session has a new id
    assert c.get("/cases/").status_code == 200
    assert c.get("/api/compounds/").status_code == 200


def test_a_device_is_asked_for_even_when_not_enforced(settings, clock):
    settings.REQUIRE_2FA = None  # the demo: offered, not forced
    device, _codes = with_device("viewer1")
    c = login("viewer1")
    assert c.get("/")["Location"].startswith(VERIFY)
    r = c.post(VERIFY, {"code": code_for(device), "next": "https://evil.example/"})
    assert r.status_code == 302 and r["Location"] == "/"  # never off the site
    assert c.get("/").status_code == 200


def test_a_recovery_code_works_once(clock):
    _device, codes = with_device("street2")
    code = two_factor.shown(codes[3]).upper()  # typed as shown, in capitals
    c = login("street2")
    r = c.post(VERIFY, {"code": f" {code} "})
    assert r.status_code == 302
    assert c.get("/").status_code == 200
    assert actions("street2") == ["two_factor.recovery_code_used"]
    assert AuditLog.objects.get(action="two_factor.recovery_code_used").detail == "remaining=9"
    clock.shift(5)
    c.post("/logout/")
    c = login("street2")
    r = c.post(VERIFY, {"code": code})
    assert r.status_code == 400
    assert c.get("/").status_code == 302
    assert StaticToken.objects.filter(device__user__username="street2").count() == 9


def test_recovery_codes_are_not_kept_in_clear():
    """Someone who reads the database (or a backup) cannot sign in with what is stored."""
    _device, codes = with_device("street2")
    stored = set(StaticToken.objects.filter(device__user__username="street2")
                 .values_list("token", flat=True))
    assert len(stored) == 10 and not stored & set(codes)
    assert all(len(t) == 16 for t in stored)
    # a stored digest typed as a code is refused like any wrong code
    c = login("street2")
    assert c.post(VERIFY, {"code": sorted(stored)[0]}).status_code == 400


def test_regenerating_codes_voids_the_old_ones(clock):
    _device, old = with_device("grid1")
    c = login("grid1")
    assert c.post(VERIFY, {"code": old[0]}).status_code == 302
    assert c.get("/account/2fa/recovery-codes/").status_code == 405  # a POST only
    r = c.post("/account/2fa/recovery-codes/")
    assert r.status_code == 302
    assert "只显示这一次" in c.get(STATUS).content.decode()
    tokens = set(StaticToken.objects.filter(device__user__username="grid1")
                 .values_list("token", flat=True))
    assert len(tokens) == two_factor.RECOVERY_CODES and not tokens & set(old)
    assert "two_factor.codes_regenerated" in actions("grid1")


def test_turning_off_needs_a_code_or_the_password(clock):
    device, codes = with_device("community1")
    c = login("community1")
    assert c.post(VERIFY, {"code": codes[0]}).status_code == 302
    r = c.post("/account/2fa/off/", {})
    assert r.status_code == 400 and "登录密码" in r.content.decode()
    r = c.post("/account/2fa/off/", {"password": "not-the-password"})
    assert r.status_code == 400 and "不正确" in r.content.decode()
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    r = c.post("/account/2fa/off/", {"password": PASSWORD})
    assert r.status_code == 302
    assert not TOTPDevice.objects.filter(user__username="community1").exists()
    assert not StaticToken.objects.filter(device__user__username="community1").exists()
    assert "two_factor.device_removed" in actions("community1")
    assert c.get("/").status_code == 200  # not enforced: the password alone again


def test_turning_off_when_enforced_sends_back_to_setup(enforced, clock):
    device, _codes = with_device("district")
    c = login("district")
    assert c.post(VERIFY, {"code": code_for(device)}).status_code == 302
    clock.shift(60)
    assert c.post("/account/2fa/off/", {"code": code_for(device)}).status_code == 302
    assert c.get("/")["Location"].startswith(SETUP)


def test_demo_accounts_sign_in_with_the_password_alone_when_not_enforced(settings):
    settings.REQUIRE_2FA = None
    for username in ("district", "street1", "mediator1", "admin"):
        c = login(username)
        assert c.get("/").status_code == 200, username
        assert c.get("/api/compounds/").status_code == 200, username
    assert login("admin").get("/admin/").status_code == 200


def test_a_user_without_personal_data_rights_is_not_forced(enforced):
    for username in ("viewer1", "dept1", "resident1"):
        c = login(username)
        assert c.get("/").status_code == 200, username
        assert c.get("/account/2fa/").status_code == 200, username


@pytest.mark.parametrize("hostile", [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "12\x003456", "123\u202e456",
    "123\r\n456", "=cmd|'/c calc'!A1", "1" * 5000, "١٢٣٤٥٦", "' OR 1=1 --", "\ufffd", "１２３４５６",
])
def test_hostile_input_in_the_code_field_gets_a_clear_error(clock, hostile):
    device, _codes = with_device("street1")
    c = login("street1")
    r = c.post(VERIFY, {"code": hostile})
    assert r.status_code == 400
    text = r.content.decode()
    assert any(m in text for m in ("6 位数字", "控制字符", "最多", "只能填一行")), text[-800:]
    assert "<script>alert" not in text and "<img src=x" not in text
    device.refresh_from_db()
    assert device.throttling_failure_count == 0  # a malformed code never reaches the device
    assert two_factor.wait_seconds(device.user) == 0
    assert c.post(VERIFY, {"code": code_for(device)}).status_code == 302


def test_a_code_that_is_not_utf8_gets_a_clear_error(clock):
    with_device("street1")
    c = login("street1")
    r = c.post(VERIFY, "code=%ED%A0%80%00", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400 and "验证码" in r.content.decode()


def test_wrong_codes_lock_code_entry_and_sign_out(settings, clock):
    device, codes = with_device("street1")
    c = login("street1")
    for n in range(settings.TWO_FACTOR_FAILURE_LIMIT):
        clock.shift(60)  # past django-otp's doubling wait, into a new time step
        wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
        r = c.post(VERIFY, {"code": wrong})
        if n < settings.TWO_FACTOR_FAILURE_LIMIT - 1:
            assert r.status_code == 400
    assert r.status_code == 429 and "暂时锁定" in r.content.decode()
    assert c.get("/")["Location"].startswith("/login/")  # signed out
    assert "two_factor.locked" in actions("street1")
    # signing in again with the password gives no fresh guesses, not even a right code passes
    clock.shift(60)
    c = login("street1")
    assert c.post(VERIFY, {"code": codes[0]}).status_code == 429
    clock.shift(settings.TWO_FACTOR_COOLOFF_SECONDS * 2 + 60)
    c = login("street1")
    assert c.post(VERIFY, {"code": code_for(device)}).status_code == 302


def test_http_basic_on_the_api_is_refused_to_accounts_with_a_code(settings):
    settings.REQUIRE_2FA = None
    auth = "Basic " + base64.b64encode(f"district:{PASSWORD}".encode()).decode()
    assert Client().get("/api/compounds/", HTTP_AUTHORIZATION=auth).status_code == 200
    with_device("district")
    r = Client().get("/api/compounds/", HTTP_AUTHORIZATION=auth)
    assert r.status_code in (401, 403) and "两步验证" in r.json()["detail"]
    settings.REQUIRE_2FA = True
    viewer = "Basic " + base64.b64encode(f"viewer1:{PASSWORD}".encode()).decode()
    street = "Basic " + base64.b64encode(f"street1:{PASSWORD}".encode()).decode()
    assert Client().get("/api/compounds/", HTTP_AUTHORIZATION=viewer).status_code == 200
    assert Client().get("/api/compounds/", HTTP_AUTHORIZATION=street).status_code in (401, 403)


def test_the_setup_page_draws_the_qr_code_without_script_and_in_english(enforced):
    c = login("street1")
    c.cookies["django_language"] = "en"
    page = c.get(SETUP).content.decode()
    assert "<svg" in page and "<path" in page
    assert "<script>" not in page and "onerror" not in page
    assert "Set up two-factor sign-in" in page


def test_codes_stored_in_clear_before_are_digested_by_the_migration(clock):
    """0005 turns a code stored in clear (8 characters) into its digest; it still signs in."""
    migration = importlib.import_module("minsheng.accounts.migrations.0005_recovery_codes_digested")
    _device, _codes = with_device("street2")
    static = StaticToken.objects.filter(device__user__username="street2").first().device
    static.token_set.all().delete()
    static.token_set.create(token="abcd2345")
    migration.digest(apps, None)
    assert list(static.token_set.values_list("token", flat=True)) == [
        two_factor.stored_code(static.user_id, "abcd2345")]
    c = login("street2")
    assert c.post(VERIFY, {"code": "abcd-2345"}).status_code == 302
