"""Every URL pattern, every persona: another enterprise's, town's or department's data is unreachable.

``TABLE`` has an entry for every named URL pattern the resolver knows (``test_every_url_pattern_is_in_the_table``
fails for a new page without one). An *object* entry fills the pattern's parameters with an object of another scope
(the persona's ``TARGET`` enterprise, its case, warning, referral...; another user's job, token, notification; a
scenario or reminder of another region) and expects a refusal: 403, 404, 405 for a method the page does not take,
or, for the anonymous visitor, a redirect to the login page. A *page* entry is a page the persona may or may not
open; it is requested as it is, as a download (``format=csv|xlsx`` and the like) and searched for a foreign name.
Every response, whatever its status, must carry none of the persona's foreign enterprises' names or credit codes
(``conftest.leaks``) and none may be a server error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.security.conftest import PERSONAS, TARGET, Scoped, body_text, leaks

Kwargs = Callable[[Scoped, str], dict[str, Any]]

# Prefixes left out, each for a reason.
SKIPPED = {
    "admin:": "Django's admin: staff only, tested in tests/*/test_admin.py; a non-staff user is sent to the login",
    "api:": "the API: every operation is checked from the OpenAPI document in test_api_scope.py",
    "set_language": "switches the language cookie; reads no data",
    "javascript-catalog": "the translation catalogue; reads no data",
}

DOWNLOADS = ("?format=csv", "?format=xlsx")


@dataclass(frozen=True)
class Entry:
    kind: str  # "object": must be refused; "page": may open, must not leak
    kwargs: Kwargs | None = None
    methods: tuple[str, ...] = ("get",)
    queries: tuple[str, ...] = ("",)  # appended to the URL; "{name}", "{uscc}", "{town}" filled per persona
    data: Callable[[Scoped, str], dict[str, Any]] | None = None  # the POST body


def target_uscc(s: Scoped, p: str) -> dict[str, Any]:
    return {"uscc": s.target(p).uscc}


def report_of_target(s: Scoped, p: str) -> dict[str, Any]:
    return {"uscc": s.target(p).uscc, "period": "2020-03"}


def case_of_target(s: Scoped, p: str) -> dict[str, Any]:
    return {"pk": s.cases[TARGET[p]].pk}


def other_user(p: str) -> str:
    """Whose job, token or notification is foreign to ``p``."""
    return "reporter" if p == "other_reporter" else "other_reporter"


def other_region(p: str) -> str:
    """The saved scenario or reminder point beside ``p``'s region."""
    return "far" if p in ("analyst", "leader") else "town_b"


def foreign_town(p: str) -> str:
    return "330203" if p in ("analyst", "leader") else "330213100"


SEARCH = ("?q={name}", "?q={uscc}")
PUBLIC = ("login", "home", "health")  # open to an anonymous visitor (home sends them to the login page)
HUGE = "9" * 20  # past the database's integers

TABLE: dict[str, Entry] = {
    "home": Entry("page"),
    "login": Entry("page"),
    "health": Entry("page"),
    "logout": Entry("page"),
    "accounts:account": Entry("page"),
    "accounts:token_create": Entry("page"),
    "accounts:token_revoke": Entry("object", lambda s, p: {"pk": s.tokens[other_user(p)].pk}, methods=("post",)),
    "reporting:mine": Entry("page"),
    "reporting:detail": Entry("object", report_of_target),
    "reporting:edit": Entry("object", report_of_target, methods=("get", "post")),
    "reporting:disruption_new": Entry("object", target_uscc, methods=("get", "post")),
    "reporting:need_new": Entry("object", target_uscc, methods=("get", "post")),
    "directory:enterprises": Entry("page", queries=("", *DOWNLOADS, *SEARCH, "?town={town}")),
    "directory:enterprise": Entry("object", target_uscc),
    "directory:status": Entry("page", queries=("", *DOWNLOADS, "?format=csv&table=towns", "?format=xlsx&table=towns")),
    "exchange:export": Entry("page", lambda s, p: {"table": "reports"}, queries=("", "?uscc={uscc}", "?town={town}")),
    "exchange:export_xlsx": Entry("page", lambda s, p: {"table": "reports"}, queries=("", "?uscc={uscc}")),
    "exchange:templates": Entry("page"),
    "exchange:template_download": Entry(
        "page", queries=("?kind=enterprise&uscc={uscc}&period=2020-03", "?kind=town&town={town}&period=2020-03")
    ),
    "exchange:import": Entry("page"),
    "exchange:import_job": Entry("object", lambda s, p: {"job_id": s.jobs[other_user(p)].pk}, methods=("get", "post")),
    "exchange:import_progress": Entry("object", lambda s, p: {"job_id": s.jobs[other_user(p)].pk}),
    "exchange:import_annotated": Entry("object", lambda s, p: {"job_id": s.jobs[other_user(p)].pk}),
    "customs:index": Entry("page", queries=("", "?period=2020-03", *DOWNLOADS, *SEARCH)),
    "customs:reconciliation": Entry("page", queries=("", "?period=2020-03", *DOWNLOADS, *SEARCH)),
    "monitoring:overview": Entry("page", queries=("?period=2020-03", "?period=2020-03&format=csv", "?town={town}")),
    "monitoring:structure": Entry(
        "page", lambda s, p: {"dim": "town"}, queries=("?period=2020-03", "?period=2020-03&format=xlsx")
    ),
    "monitoring:world_map": Entry("page"),
    "monitoring:enterprises": Entry(
        "page", queries=("?period=2020-03", "?period=2020-03&format=csv", "?period=2020-03&q={name}")
    ),
    "monitoring:head": Entry("page", queries=("?period=2020-03", "?period=2020-03&format=csv")),
    "monitoring:enterprise": Entry("object", target_uscc, queries=("", "?format=csv")),
    "monitoring:market": Entry(
        "page", lambda s, p: {"code": "US"}, queries=("?period=2020-03", "?period=2020-03&format=csv")
    ),
    "monitoring:product": Entry(
        "page", lambda s, p: {"hs": "84"}, queries=("?period=2020-03", "?period=2020-03&format=csv")
    ),
    "warnings:list": Entry("page", queries=("", "?period=2020-03", "?period=2020-03&format=csv", *SEARCH)),
    "warnings:detail": Entry("object", lambda s, p: {"pk": s.warnings[TARGET[p]].pk}, methods=("get", "post")),
    "warnings:rules": Entry("page"),
    "warnings:rule_edit": Entry("page", lambda s, p: {"key": "new_orders_yoy"}),
    "warnings:evaluate": Entry("page"),
    "forecasting:overview": Entry("page"),
    "forecasting:target": Entry("page"),
    "forecasting:level": Entry("page", lambda s, p: {"scope": "enterprise"}, queries=("", *DOWNLOADS)),
    "forecasting:series": Entry("object", lambda s, p: {"scope": "enterprise", "key": s.target(p).uscc}),
    "stress:page": Entry(
        "page",
        queries=("", "?format=csv", "?scenario={scenario}", "?k0=market&v0=US&c0=-30&m0=3"),
    ),
    "stress:save": Entry("page"),
    "stress:delete": Entry("object", lambda s, p: {"pk": s.scenarios[other_region(p)].pk}, methods=("post",)),
    "finance:list": Entry("page", queries=("", *DOWNLOADS, *SEARCH)),
    "finance:refresh": Entry("page"),
    "finance:progress": Entry("page", queries=("", *DOWNLOADS)),
    "finance:referrals": Entry("page", queries=("", *DOWNLOADS, *SEARCH)),
    "finance:referral": Entry("object", lambda s, p: {"pk": s.referrals[TARGET[p]].pk}, methods=("get", "post")),
    "finance:entry": Entry("object", target_uscc),
    "finance:decide": Entry(
        "object", target_uscc, methods=("post",), data=lambda s, p: {"decision": "rejected", "note": "x"}
    ),
    "finance:refer": Entry("object", target_uscc, methods=("post",)),
    "briefs:list": Entry("page"),
    "briefs:preview": Entry("page", queries=("?period=2020-03&kind=monthly",)),
    "briefs:generate": Entry("object", methods=("post",), data=lambda s, p: {"period": "2020-03", "kind": "monthly"}),
    "briefs:download": Entry("object", lambda s, p: {"pk": s.brief.pk, "fmt": "docx"}),
    "campaign:page": Entry("page", queries=("", *DOWNLOADS, "?format=csv&list=missing", "?format=xlsx&list=towns")),
    "campaign:quota_edit": Entry("object", lambda s, p: {"code": foreign_town(p)}, methods=("get", "post")),
    "campaign:schedule": Entry("page"),
    "campaign:schedule_active": Entry(
        "object", lambda s, p: {"pk": s.reminders[other_region(p)].pk}, methods=("post",)
    ),
    "campaign:failures": Entry("page"),
    "campaign:failures_retry": Entry("page"),
    "notifications:list": Entry("page"),
    "notifications:read": Entry(
        "object", methods=("post",), data=lambda s, p: {"id": s.notifications[other_user(p)].pk}
    ),
    "audit:list": Entry("page", queries=("", *DOWNLOADS, *SEARCH, "?uscc={uscc}", "?page=" + HUGE)),
    "cases:home": Entry("page"),
    "cases:list": Entry("page", queries=("", *SEARCH, "?format=csv", "?format=xlsx")),
    "cases:work": Entry("page", queries=("", *SEARCH)),
    "cases:triage": Entry("page", queries=("", "?tab=intake", "?tab=all")),
    "cases:mine": Entry("page"),
    "cases:performance": Entry("page", queries=("", *DOWNLOADS)),
    "cases:routing": Entry("page"),
    "cases:routing_edit": Entry("page", lambda s, p: {"category": "financing"}),
    "cases:calendar": Entry("page"),
    "cases:detail": Entry("object", case_of_target),
    "cases:move": Entry("object", lambda s, p: {**case_of_target(s, p), "to": "triaged"}, methods=("post",)),
    "cases:assign": Entry("object", case_of_target, methods=("post",)),
    "cases:merge": Entry("object", case_of_target, methods=("post",)),
    "cases:note": Entry("object", lambda s, p: {**case_of_target(s, p), "action": "comment"}, methods=("post",)),
    "cases:attachment": Entry("object", lambda s, p: {**case_of_target(s, p), "event_pk": s.attachments[TARGET[p]].pk}),
}


def url_names() -> Iterator[str]:
    """Every named URL pattern, with its namespace, from the root resolver down."""

    def walk(patterns: list[Any], namespace: str) -> Iterator[str]:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                yield from walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern):
                yield f"{namespace}{p.name}" if p.name else f"{namespace}<unnamed {p.pattern}>"

    return walk(get_resolver().url_patterns, "")


def skipped(name: str) -> bool:
    return any(name == key or (key.endswith(":") and name.startswith(key)) for key in SKIPPED)


def client_for(s: Scoped, persona: str) -> Client:
    client = Client(raise_request_exception=False)  # a server error is a 500 to report, not the end of the test
    user = s.user(persona)
    if user is not None:
        client.force_login(user)
    return client


def fill(query: str, s: Scoped, p: str) -> str:
    target = s.target(p)
    scenario = s.scenarios[other_region(p)].pk
    return query.format(name=quote(target.name), uscc=target.uscc, town=quote(target.town_id), scenario=scenario)


def refused(persona: str, response: Any) -> bool:
    if response.status_code in (403, 404, 405):
        return True
    return persona == "anonymous" and response.status_code == 302 and "/login/" in response["Location"]


def check(s: Scoped, name: str, entry: Entry, persona: str) -> list[str]:
    """The failures of one persona on one entry, as readable lines."""
    failures = []
    client = client_for(s, persona)
    url = reverse(name, kwargs=entry.kwargs(s, persona) if entry.kwargs else None)
    for query in entry.queries:
        full = url + fill(query, s, persona)
        for method in entry.methods:
            data = entry.data(s, persona) if entry.data else {}
            response = getattr(client, method)(full, data) if method == "post" else client.get(full)
            where = f"{persona} {method.upper()} {full} -> {response.status_code}"
            if response.status_code >= 500:
                failures.append(f"{where}: server error")
            if entry.kind == "object" and not refused(persona, response):
                failures.append(f"{where}: not refused")
            if persona == "anonymous" and not (refused(persona, response) or name in PUBLIC):
                failures.append(f"{where}: open to an anonymous visitor")
            found = leaks(s, persona, body_text(response), echoed=unquote(full))
            if found:
                failures.append(f"{where}: shows {found}")
    return failures


def test_every_url_pattern_is_in_the_table() -> None:
    names = [n for n in url_names() if not skipped(n)]
    missing = sorted(set(names) - set(TABLE))
    assert not missing, f"URL patterns with no entry in TABLE (add one, or a reason in SKIPPED): {missing}"
    stale = sorted(set(TABLE) - set(names))
    assert not stale, f"TABLE entries for URL patterns that no longer exist: {stale}"


@pytest.mark.parametrize("name", sorted(TABLE))
def test_no_persona_reaches_another_scope(scoped: Scoped, name: str) -> None:
    entry = TABLE[name]
    failures = [line for persona in PERSONAS for line in check(scoped, name, entry, persona)]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", sorted(n for n, e in TABLE.items() if e.kind == "object" and "get" in e.methods))
def test_the_administrator_reaches_the_objects_the_others_are_refused(scoped: Scoped, name: str) -> None:
    """The positive control: the crafted ids point at objects that exist (an administrator opens them), so the
    refusals above are the scope's doing, not a typo's."""
    entry = TABLE[name]
    assert entry.kwargs is not None
    response = client_for(scoped, "admin").get(reverse(name, kwargs=entry.kwargs(scoped, "reporter")))
    assert response.status_code == 200, f"{name}: {response.status_code}"


def test_every_exportable_table_keeps_to_the_scope(scoped: Scoped) -> None:
    from exportwatch.exchange.exports import EXPORTABLES

    failures = []
    for table in sorted(EXPORTABLES):
        entry = Entry("page", lambda s, p, t=table: {"table": t}, queries=("", "?period=2020-03", "?uscc={uscc}"))
        for name in ("exchange:export", "exchange:export_xlsx"):
            for persona in PERSONAS:
                failures += check(scoped, name, entry, persona)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("query", ["", "?format=csv", "?format=xlsx"])
def test_the_leak_check_sees_a_foreign_enterprise_when_it_is_there(scoped: Scoped, query: str) -> None:
    """The check is not blind: the administrator's enterprise list, as a page, a CSV and a workbook, carries what
    the district analyst must not see, and ``leaks`` finds it."""
    response = client_for(scoped, "admin").get(reverse("directory:enterprises") + query)
    assert response.status_code == 200
    far = scoped.world.ent_far
    assert {far.name, far.uscc} <= set(leaks(scoped, "analyst", body_text(response)))


NUL = "%00"  # PostgreSQL refuses a NUL byte in a text parameter
ODD = (
    "?page=" + HUGE,
    "?page=-1",
    "?period=9999-99",
    "?period=" + HUGE,
    "?format=pdf",
    "?q=%27%22%3C",
    *(f"?{key}=a{NUL}" for key in ("q", "town", "uscc", "industry", "segment", "period", "status", "actor", "key")),
)


def test_no_page_breaks_on_an_odd_query(scoped: Scoped) -> None:
    """Numbers past the database's integers, impossible months, unknown formats, a NUL byte: refused or ignored,
    never a server error (the administrator, who reaches every page)."""
    client = client_for(scoped, "admin")
    failures = []
    for name, entry in sorted(TABLE.items()):
        if "get" not in entry.methods or name == "logout":
            continue
        url = reverse(name, kwargs=entry.kwargs(scoped, "reporter") if entry.kwargs else None)
        for query in ODD:
            response = client.get(url + query)
            if response.status_code >= 500:
                failures.append(f"GET {url}{query} -> {response.status_code}")
    assert not failures, "\n".join(failures)
