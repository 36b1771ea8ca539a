"""CSRF on every form: a POST without the token is refused on every URL pattern, one with the token is not.

The URL patterns are those of ``test_url_scope.TABLE`` (its meta-test keeps it complete), filled with objects an
administrator may act on, and posted by a logged-in administrator with ``enforce_csrf_checks`` (so the POST reaches
the view when the token is right). The CSRF failure view is replaced by one that answers with a marker, so a
refusal for the token is told apart from any other 403. The posts carry no form data: with the token, a form is
invalid (400) or an action is refused or done; nothing of this test depends on which.

The API: a bearer token needs no CSRF token (a browser never sends it by itself); the session (the API docs page)
does, on every unsafe method.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import reverse

from exportwatch.accounts.models import ApiToken
from tests.security.conftest import Scoped, body_text
from tests.security.test_url_scope import TABLE

MARKER = "csrf-refused-by-test-view"


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return HttpResponse(f"{MARKER}: {reason}", status=403)


@pytest.fixture(autouse=True)
def marked_failures(settings: Any) -> None:
    settings.CSRF_FAILURE_VIEW = "tests.security.test_csrf.csrf_failure"


def admin_client(s: Scoped) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(s.world.admin)
    return client


def url_of(s: Scoped, name: str) -> str:
    entry = TABLE[name]
    return reverse(name, kwargs=entry.kwargs(s, "reporter") if entry.kwargs else None)


TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def form_token(client: Client, url: str) -> str:
    """The token of the URL's own form when it shows one, else of the account page's."""
    for page in (url, reverse("accounts:account")):
        response = client.get(page)
        found = TOKEN.search(body_text(response)) if response.status_code == 200 else None
        if found:
            return found.group(1)
    raise AssertionError("no page with a form")


@pytest.mark.parametrize("name", sorted(TABLE))
def test_a_post_without_the_token_is_refused_and_with_it_is_not(scoped: Scoped, name: str) -> None:
    url = url_of(scoped, name)
    without = admin_client(scoped).post(url, {})
    assert without.status_code == 403 and MARKER in without.content.decode(), f"{name}: {without.status_code}"

    client = admin_client(scoped)
    token = form_token(client, url)
    with_token = client.post(url, {"csrfmiddlewaretoken": token})
    assert MARKER not in body_text(with_token), f"{name}: refused with the token"
    assert with_token.status_code < 500


def test_a_token_from_another_session_is_refused(scoped: Scoped) -> None:
    other = admin_client(scoped)
    token = form_token(other, reverse("accounts:account"))
    response = admin_client(scoped).post(reverse("accounts:token_create"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 403 and MARKER in response.content.decode()


NEED = {"uscc": "", "date": "2020-03-20", "category": "financing", "urgency": "high", "description": "x"}


def test_the_api_refuses_a_session_post_without_the_csrf_token(scoped: Scoped) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(scoped.world.reporter)
    body = json.dumps({**NEED, "uscc": scoped.world.ent_a.uscc})
    response = client.post("/api/needs", body, content_type="application/json")
    assert response.status_code in (401, 403)
    from exportwatch.reporting.models import Need

    assert not Need.objects.filter(enterprise=scoped.world.ent_a, description="x").exists()


def test_the_api_takes_a_session_post_with_the_csrf_token(scoped: Scoped) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(scoped.world.reporter)
    token = form_token(client, reverse("accounts:account"))
    body = json.dumps({**NEED, "uscc": scoped.world.ent_a.uscc})
    response = client.post("/api/needs", body, content_type="application/json", headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.content


def test_the_api_takes_a_bearer_token_without_csrf(scoped: Scoped) -> None:
    _token, raw = ApiToken.objects.issue(user=scoped.world.reporter, name="csrf test")
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {raw}"})
    body = json.dumps({**NEED, "uscc": scoped.world.ent_a.uscc})
    response = client.post("/api/needs", body, content_type="application/json")
    assert response.status_code == 201, response.content
