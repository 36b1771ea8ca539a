"""Logging in and out, login throttling, sessions, and the account page's API tokens."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from exportwatch.accounts.models import ApiToken
from tests.conftest import World


def _login(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post("/login/", {"username": username, "password": password}, **extra)


def _logged_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


@pytest.mark.parametrize(
    ("persona", "landing"),
    [
        ("reporter", "/report/"),
        ("analyst", "/bureau/monitoring/"),
        ("town_officer", "/bureau/status/"),
        ("leader", "/bureau/monitoring/"),
        ("admin", "/bureau/monitoring/"),
    ],
)
def test_login_sends_each_role_to_its_start_page(client: Client, world: World, persona: str, landing: str) -> None:
    user = getattr(world, persona)
    response = _login(client, user.username, world.password, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == landing
    assert _logged_in_user_id(client) == str(user.pk)


def test_a_handler_lands_on_their_departments_work_list(client: Client, world: World) -> None:
    response = _login(client, "handler", world.password, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/cases/work/"


def test_login_follows_a_next_link_on_this_site(client: Client, world: World) -> None:
    response = client.post(
        "/login/", {"username": "analyst", "password": world.password, "next": "/bureau/enterprises/"}
    )
    assert response["Location"] == "/bureau/enterprises/"


def test_login_ignores_a_next_link_to_another_site(client: Client, world: World) -> None:
    response = client.post(
        "/login/", {"username": "analyst", "password": world.password, "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_login_page_renders(client: Client, world: World) -> None:
    response = client.get("/login/")
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


def test_a_wrong_password_is_refused(client: Client, world: World) -> None:
    response = _login(client, "reporter", "not-the-password")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert _logged_in_user_id(client) is None


def test_an_inactive_user_cannot_log_in(client: Client, world: World) -> None:
    world.reporter.is_active = False
    world.reporter.save()
    _login(client, "reporter", world.password)
    assert _logged_in_user_id(client) is None


def test_after_too_many_failures_even_the_right_password_is_refused(client: Client, world: World) -> None:
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "reporter", "not-the-password")
    response = _login(client, "reporter", world.password)
    assert response.status_code == 429
    assert "accounts/locked.html" in [t.name for t in response.templates]
    assert _logged_in_user_id(client) is None


def test_a_locked_username_does_not_lock_other_users(client: Client, world: World) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "reporter", "not-the-password")
    _login(client, "analyst", world.password)
    assert _logged_in_user_id(client) == str(world.analyst.pk)


def test_a_success_before_the_limit_resets_the_failure_count(client: Client, world: World) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "reporter", "not-the-password")
    _login(client, "reporter", world.password)
    client.post("/logout/")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "reporter", "not-the-password")
    _login(client, "reporter", world.password)
    assert _logged_in_user_id(client) == str(world.reporter.pk)


def test_logging_in_gives_a_new_session_key(client: Client, world: World) -> None:
    before = client.session
    before["language_hint"] = "zh-hans"
    before.save()
    old_key = before.session_key
    _login(client, "reporter", world.password)
    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != old_key
    assert not SessionStore().exists(old_key)


def test_logout_by_get_is_refused(client: Client, world: World) -> None:
    client.force_login(world.reporter)
    response = client.get("/logout/")
    assert response.status_code == 405
    assert _logged_in_user_id(client) == str(world.reporter.pk)


def test_logout_by_post_ends_the_session(client: Client, world: World) -> None:
    client.force_login(world.reporter)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert _logged_in_user_id(client) is None
    assert client.get("/report/").status_code == 302


def test_a_session_cookie_is_http_only(client: Client, world: World) -> None:
    _login(client, "reporter", world.password)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


# --- API tokens on the account page ---------------------------------------------------------


def test_the_account_page_lists_the_users_active_tokens_only(client: Client, world: World) -> None:
    mine, _ = ApiToken.objects.issue(user=world.reporter, name="ERP link")
    revoked, _ = ApiToken.objects.issue(user=world.reporter, name="Old bank link")
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at="2020-04-01T00:00:00Z")
    ApiToken.objects.issue(user=world.analyst, name="Analyst notebook")
    client.force_login(world.reporter)
    response = client.get("/account/")
    html = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["tokens"]) == [mine]
    assert "ERP link" in html
    assert mine.prefix in html
    assert "Old bank link" not in html
    assert "Analyst notebook" not in html


@pytest.mark.parametrize("persona", ["reporter", "town_officer", "analyst", "leader", "handler", "outsider", "admin"])
def test_the_account_page_opens_for_every_persona(client: Client, world: World, persona: str) -> None:
    user = getattr(world, persona)
    client.force_login(user)
    response = client.get("/account/")
    assert response.status_code == 200
    assert user.username in response.content.decode()


def test_a_new_token_is_shown_once_and_only_its_digest_is_stored(client: Client, world: World) -> None:
    client.force_login(world.reporter)
    response = client.post("/account/tokens/new/", {"name": "ERP link"})
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    first = client.get("/account/")
    raw = first.context["new_token"]
    assert raw.startswith("ew_")
    assert raw in first.content.decode()
    token = ApiToken.objects.get(user=world.reporter)
    assert token.name == "ERP link"
    assert token.digest != raw
    assert raw not in token.digest
    assert ApiToken.objects.find(raw) == token
    second = client.get("/account/")
    assert second.context["new_token"] is None
    assert raw not in second.content.decode()


def test_creating_a_token_by_get_is_refused(client: Client, world: World) -> None:
    client.force_login(world.reporter)
    assert client.get("/account/tokens/new/").status_code == 405
    assert not ApiToken.objects.exists()


def test_revoking_a_token_makes_it_unusable(client: Client, world: World) -> None:
    token, raw = ApiToken.objects.issue(user=world.reporter, name="ERP link")
    client.force_login(world.reporter)
    response = client.post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert ApiToken.objects.find(raw) is None


def test_a_user_cannot_revoke_another_users_token(client: Client, world: World) -> None:
    token, raw = ApiToken.objects.issue(user=world.analyst, name="Analyst notebook")
    client.force_login(world.reporter)
    response = client.post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert ApiToken.objects.find(raw) == token


def test_the_account_pages_ask_anonymous_users_to_log_in(client: Client, world: World) -> None:
    token, _ = ApiToken.objects.issue(user=world.analyst, name="Analyst notebook")
    for method, url in [
        ("get", "/account/"),
        ("post", "/account/tokens/new/"),
        ("post", f"/account/tokens/{token.pk}/revoke/"),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/?next="), url
    assert ApiToken.objects.count() == 1
