"""No traceback anywhere: with DEBUG off a failing page shows the site's own error page in the
user's language, with an error number; the log has the traceback under the same number, and
nothing the user sent (no query-string values, no form body)."""

from __future__ import annotations

import logging
import re

import pytest
from django.conf import settings
from django.test import Client, override_settings

from minsheng.web.middleware import RequestIdFilter
from minsheng.web.server import gunicorn_argv

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.web.error_urls")]
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def formatted(record: logging.LogRecord) -> str:
    """The line as the configured console handler writes it."""
    RequestIdFilter().filter(record)
    return logging.Formatter(settings.LOGGING["formatters"]["minsheng"]["format"]).format(record)


@override_settings(DEBUG=False)
def test_a_failing_page_shows_our_page_and_logs_the_request_id(caplog):
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        resp = client.post("/fails/?phone=13812345678&q=张三家漏水",
                           {"description": "身份证13100219900101123X"})
    assert resp.status_code == 500
    body = resp.content.decode()
    assert "抱歉，服务器出错了" in body
    for leak in ("Traceback", "traceback", "RuntimeError", "a bug in a page", ".py", "/work/",
                 "13812345678", "张三"):
        assert leak not in body
    rid = resp["X-Request-ID"]
    assert UUID4.fullmatch(rid)
    assert rid in body  # the error number the user can quote
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.request.id == rid
    line = formatted(record)
    assert f"[{rid}]" in line and "/fails/" in line and "a bug in a page" in line
    for personal in ("13812345678", "phone=", "张三", "13100219900101123X"):
        assert personal not in line


@override_settings(DEBUG=False)
def test_the_error_page_speaks_the_users_language():
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    resp = client.get("/fails/")
    assert resp.status_code == 500
    assert "Sorry, something went wrong on the server" in resp.content.decode()


def test_a_well_formed_request_id_is_kept_and_any_other_replaced():
    client = Client()
    given = "0f8e2c1a9b7d4e6f8a1b2c3d4e5f6a7b"  # nginx's $request_id
    assert client.get("/works/", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given
    for bad in ("x", "a b c d e f g h", "abc\r\nSet-Cookie: x=1", "a" * 65):
        assert UUID4.fullmatch(client.get("/works/", HTTP_X_REQUEST_ID=bad)["X-Request-ID"])
    assert UUID4.fullmatch(client.get("/works/")["X-Request-ID"])


def test_log_lines_outside_a_request_carry_a_dash(caplog):
    with caplog.at_level(logging.INFO, logger="minsheng"):
        logging.getLogger("minsheng.test").info("a job ran")
    assert "[-] minsheng.test: a job ran" in formatted(caplog.records[-1])


def test_the_access_log_has_the_request_id_and_no_query_string():
    argv = gunicorn_argv(host="127.0.0.1", port=8000, workers=3)
    fmt = argv[argv.index("--access-logformat") + 1]
    assert "%({x-request-id}o)s" in fmt
    assert "%(U)s" in fmt  # the path alone
    for with_query in ("%(r)s", "%(q)s", "%(u)s"):  # request line, query string, user name
        assert with_query not in fmt
