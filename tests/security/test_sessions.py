"""Session fixation, logout and login throttling, through the real login form (``/login/``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from tests.conftest import World

IP = {"REMOTE_ADDR": "203.0.113.7"}


def login(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post("/login/", {"username": username, "password": password}, **extra)


def session_key(client: Client) -> str | None:
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    return cookie.value if cookie else None


def authenticated(client: Client) -> bool:
    """Whether the client's cookie opens a page that needs a login."""
    return client.get("/account/").status_code == 200


def test_the_session_key_changes_at_login(world: World) -> None:
    client = Client()
    client.get("/login/")
    session = client.session
    session["before"] = "anonymous"
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    before = session_key(client)
    assert login(client, "reporter", world.password).status_code == 302
    after = session_key(client)
    assert before and after and after != before
    assert not SessionStore().exists(before)


def test_a_session_id_set_by_an_attacker_is_not_adopted(world: World) -> None:
    planted = SessionStore()
    planted.create()
    victim = Client()
    victim.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    assert login(victim, "analyst", world.password).status_code == 302
    assert session_key(victim) != planted.session_key
    attacker = Client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    assert not authenticated(attacker)


def test_an_unknown_session_id_is_replaced_not_adopted(world: World) -> None:
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = "a" * 32
    assert login(client, "analyst", world.password).status_code == 302
    assert session_key(client) != "a" * 32


def test_after_logout_the_old_session_cookie_no_longer_authenticates(world: World) -> None:
    client = Client()
    login(client, "reporter", world.password)
    old = session_key(client)
    assert authenticated(client)
    assert client.post("/logout/").status_code == 302
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old
    assert not authenticated(replay)
    assert not SessionStore().exists(old)


def test_logout_is_not_done_by_a_get(world: World) -> None:
    client = Client()
    login(client, "reporter", world.password)
    assert client.get("/logout/").status_code == 405
    assert authenticated(client)


def test_the_session_cookie_is_http_only_and_same_site() -> None:
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_SAMESITE in ("Lax", "Strict")


def test_five_wrong_passwords_lock_the_username_and_the_right_one_is_refused_then(world: World) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = login(client, "reporter", "wrong-password", **IP)
        assert response.status_code in (200, 429)
    locked = login(client, "reporter", world.password, **IP)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert not authenticated(client)


def test_a_lock_is_for_the_username_and_address_not_for_everybody(world: World) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(Client(), "reporter", "wrong-password", **IP)
    assert login(Client(), "analyst", world.password, **IP).status_code == 302
    assert login(Client(), "reporter", world.password, REMOTE_ADDR="198.51.100.9").status_code == 302


def test_a_nul_character_in_the_login_form_is_refused_not_a_server_error(world: World) -> None:
    response = login(Client(), "reporter\x00", "x\x00", **IP)
    assert response.status_code in (200, 400)
    assert login(Client(), "reporter", world.password, **IP).status_code == 302


def test_the_api_has_no_password_login_to_guess_at(world: World) -> None:
    """Tokens are made on the account page (behind the throttled login) or on the command line; the API takes
    only bearer tokens and sessions, so a wrong password cannot be tried there."""
    from exportwatch.api.router import api

    paths = api.get_openapi_schema()["paths"]
    assert not [p for p in paths if "token" in p or "login" in p or "auth" in p]
    response = Client().get("/api/enterprises", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
