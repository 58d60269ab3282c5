"""403 and 404 pages are in the site's layout (navigation, language switch), in the user's
language, with a way back; the 500 page has its own layout (it must render when the database or a
context processor is what failed) with the same way back."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=False)
@pytest.mark.parametrize("lang, words", [("zh-hans", ("找不到这个页面", "返回首页")),
                                         ("en", ("This page cannot be found", "Back to the home page"))])
def test_the_404_page_is_in_the_layout_in_the_users_language(client_for, lang, words):
    c = client_for("grid1")
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    r = c.get("/projects/99999999/")
    html = r.content.decode()
    assert r.status_code == 404
    assert 'class="mainnav"' in html and 'action="/i18n/setlang/"' in html
    assert f'<html lang="{lang}">' in html
    for w in words:
        assert w in html
    assert 'href="/"' in html


@override_settings(DEBUG=False)
@pytest.mark.parametrize("lang, words", [("zh-hans", ("您没有打开这个页面的权限", "返回首页")),
                                         ("en", ("You may not open this page", "Back to the home page"))])
def test_the_403_page_is_in_the_layout_in_the_users_language(client_for, lang, words):
    c = client_for("viewer1")
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    r = c.get("/lifecircle/network/")
    html = r.content.decode()
    assert r.status_code == 403
    assert 'class="mainnav"' in html
    for w in words:
        assert w in html


@override_settings(DEBUG=False)
def test_a_404_for_someone_not_logged_in_offers_the_login(client):
    r = client.get("/no-such-page/")
    html = r.content.decode()
    assert r.status_code == 404 and "找不到这个页面" in html and 'href="/login/"' in html
