from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_q.models import Schedule

from minsheng.places.models import Region
from minsheng.web.management.commands import serve

pytestmark = pytest.mark.django_db


def test_serve_refuses_while_demo_passwords_remain(settings):
    settings.SECRET_KEY = "a-real-secret-key-for-this-test-0123456789"
    with pytest.raises(CommandError) as e:
        call_command("serve", "--check-only")
    assert "演示密码" in str(e.value) and "street1" in str(e.value)


def test_serve_refuses_the_default_secret_key():
    User = get_user_model()
    for u in User.objects.all():
        u.set_password("a-long-real-password-2026")
        u.save()
    with pytest.raises(CommandError) as e:
        call_command("serve", "--check-only")
    assert "MINSHENG_SECRET_KEY" in str(e.value)


def test_serve_starts_once_demo_passwords_are_changed(settings, capsys):
    settings.SECRET_KEY = "a-real-secret-key-for-this-test-0123456789"
    User = get_user_model()
    for u in User.objects.all():
        u.set_password("a-long-real-password-2026")
        u.save()
    call_command("serve", "--check-only")
    assert "检查通过" in capsys.readouterr().out


def test_a_demo_password_set_by_hand_is_also_caught(settings):
    settings.SECRET_KEY = "a-real-secret-key-for-this-test-0123456789"
    User = get_user_model()
    for u in User.objects.all():
        u.set_password("a-long-real-password-2026")
        u.save()
    admin = User.objects.get(username="admin")
    admin.set_password("minsheng-demo")  # random salt, not the demo hash
    admin.save()
    with pytest.raises(CommandError, match="admin"):
        call_command("serve", "--check-only")


def test_regions_load_any_district_offline(capsys):
    call_command("regions", "load", "--district", "510106")
    assert Region.objects.get(code="510106000000").name == "金牛区"
    assert Region.objects.filter(parent_id="510106000000", level="street").count() >= 10
    assert "510106" in capsys.readouterr().out


def test_regions_load_rejects_a_non_district_code():
    with pytest.raises(CommandError, match="区/县"):
        call_command("regions", "load", "--district", "131002001")
    with pytest.raises(CommandError, match="不是已知"):
        call_command("regions", "load", "--district", "999999")


def test_serve_and_demo_register_every_job_from_one_place(settings, monkeypatch):
    """`serve` used to register the SLA job but not the indicator refresh."""
    monkeypatch.setattr(serve, "run", lambda **kw: None)
    monkeypatch.setattr(serve, "call_command", lambda *a, **kw: None)
    monkeypatch.setenv("MINSHENG_REQUIRE_2FA", "")  # serve sets it; put back afterwards
    settings.SECRET_KEY = "a-real-secret-key-for-this-test-0123456789"
    User = get_user_model()
    for u in User.objects.all():
        u.set_password("a-long-real-password-2026")
        u.save()
    Schedule.objects.all().delete()
    call_command("serve")
    # every job runs through web.jobs.run, which holds it to once per tick across workers
    assert set(Schedule.objects.values_list("name", "func", "args")) == {
        ("cases-sla", "minsheng.web.jobs.run", "'cases-sla'"),
        ("devices-offline", "minsheng.web.jobs.run", "'devices-offline'"),
        ("governance-due", "minsheng.web.jobs.run", "'governance-due'"),
        ("indicators", "minsheng.web.jobs.run", "'indicators'"),
        ("monitoring-zero-employment", "minsheng.web.jobs.run", "'monitoring-zero-employment'")}


def _real_passwords(settings):
    settings.SECRET_KEY = "a-real-secret-key-for-this-test-0123456789"
    for u in get_user_model().objects.all():
        u.set_password("a-long-real-password-2026")
        u.save()


def test_serve_requires_two_factor_sign_in_unless_told_not_to(settings, monkeypatch, capsys):
    """Unset, MINSHENG_REQUIRE_2FA is the command's choice: `serve` requires two-factor sign-in
    (and names the accounts that still have to set it up); false starts with a warning."""
    monkeypatch.setattr(serve, "run", lambda **kw: None)
    monkeypatch.setattr(serve, "call_command", lambda *a, **kw: None)
    monkeypatch.setenv("MINSHENG_REQUIRE_2FA", "")
    _real_passwords(settings)
    settings.REQUIRE_2FA = None
    call_command("serve", "--check-only")
    out = capsys.readouterr().out
    assert "两步验证：已强制" in out and "street1" in out and "viewer1" not in out
    assert settings.REQUIRE_2FA is None  # a check changes nothing
    call_command("serve")
    assert settings.REQUIRE_2FA is True
    settings.REQUIRE_2FA = False
    call_command("serve")
    assert settings.REQUIRE_2FA is False
    assert "两步验证未强制" in capsys.readouterr().err
