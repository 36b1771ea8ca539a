"""Warnings → notifications: the users who may see a warning hear of it, once per episode and level.

``warnings_notify`` is called by the evaluation (``services._store``) with the warnings it stored as firing, new or
firing again. A warning at ``EXPORTWATCH_NOTIFY_LEVEL`` or worse, of a recent month (``NEWS_MONTHS``: replaying
years of history is not news), notifies exactly the users ``selectors.warnings_visible`` shows it to: a town
officer the enterprise warnings and the town warning of their town; an analyst or leader those of the towns under
their region, and the jurisdiction's (markets, market groups, HS chapters, industries, the lamp) only when they see
every enterprise (``common.scoping.sees_everything``); administrators everything; reporters and department
handlers nothing (the warning pages are not theirs).

The news is the episode at its level: ``warning:{scope}:{key}:{rule}:{first_period}:{level}``. A warning that
stays on keeps its first month, so next month's evaluation (or the same month's again) tells nobody anything new;
a rise to a worse level is news; a fall within the episode is not (the worse level was told already).

Fast enough for a province's month: the candidate users in one query, the regions in two, every recipient
computed in Python; which warnings every reader holds already is one indexed aggregate per 500 keys, and only the
others are checked reader by reader and inserted in bulk.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import override

from exportwatch.accounts.models import Role
from exportwatch.common import clock
from exportwatch.common.scoping import REGIONAL_ROLES
from exportwatch.core.periods import period_add
from exportwatch.core.warning_rules import LEVELS, level_rank
from exportwatch.directory.models import Enterprise, Region
from exportwatch.notifications.models import Kind
from exportwatch.notifications.selectors import Holders, holders_of, notices_holders, notices_stored
from exportwatch.notifications.services import News, news_store
from exportwatch.warnings.labels import RULE_LABELS
from exportwatch.warnings.models import Level, Scope, Warning
from exportwatch.warnings.selectors import JURISDICTION_SCOPES

NEWS_MONTHS = 2  # a warning of a month more than this before the current one is history, not news
_PK = 987_654_321  # stands for a warning's id in its reversed URL


@dataclass(frozen=True)
class Reader:
    """A user who may read warnings, as far as notifying them goes."""

    pk: int
    by_email: bool
    path: str  # their region's materialised path ("" for an administrator without one)
    everything: bool  # they see every enterprise, so every warning


def warning_dedupe_key(w: Warning, level: str | None = None) -> str:
    """The news a warning is: its episode (scope, key, rule, first month) at a level (its own by default)."""
    return f"warning:{w.scope}:{w.key}:{w.rule}:{w.first_period}:{level or w.level}"


def warnings_notify(warnings: Sequence[Warning]) -> int:
    """Notify the users who may see ``warnings`` (stored, firing) of those that are news; returns how many
    notifications were stored (see the module's docstring)."""
    floor = level_rank(settings.EXPORTWATCH_NOTIFY_LEVEL)
    oldest = period_add(clock.current_period(), -NEWS_MONTHS)
    candidates = [w for w in warnings if w.active and w.period >= oldest and level_rank(w.level) >= floor]
    if not candidates:
        return 0
    readers = warning_readers()
    if not readers:
        return 0
    recipients_of = _recipients(readers, candidates)
    pending = [(w, r) for w in candidates if (r := recipients_of(w))]

    # Most of a month's warnings were told already (they stay on). A warning whose key is held by exactly its
    # readers is settled without reading (user, key) pairs back: at its own level, else at a worse one (it fell
    # within its episode). Only the rest are checked reader by reader.
    fingerprints: dict[int, Holders] = {}  # by recipients list: ``_Recipients`` gives one list per town path
    for _w, r in pending:
        if id(r) not in fingerprints:
            fingerprints[id(r)] = holders_of([reader.pk for reader in r])
    for keys_of in (_own_key, _worse_keys):
        holders = notices_holders({k for w, _r in pending for k in keys_of(w)})
        pending = [(w, r) for w, r in pending if not any(holders.get(k) == fingerprints[id(r)] for k in keys_of(w))]
    if not pending:
        return 0
    told = notices_stored({k for w, _r in pending for k in _own_key(w) + _worse_keys(w)})
    _ensure_pks([w for w, _r in pending])
    detail = reverse("warnings:detail", args=[_PK])  # reversed once: ~80 µs each, thousands of warnings
    news: list[News] = []
    with override(settings.LANGUAGE_CODE):  # the readers' languages are not known here: the default one
        wording = _Wording()
        for w, recipients in pending:
            keys = _own_key(w) + _worse_keys(w)
            untold = [(r.pk, r.by_email) for r in recipients if not any((r.pk, k) in told for k in keys)]
            if not untold or w.pk is None:
                continue
            subject, body = wording(w)
            news.append(
                News(
                    kind=str(Kind.WARNING),
                    dedupe_key=warning_dedupe_key(w),
                    subject=subject,
                    readers=untold,
                    body=body,
                    url=detail.replace(str(_PK), str(w.pk)),
                    level=w.level,
                )
            )
    return news_store(news)


def _own_key(w: Warning) -> list[str]:
    return [warning_dedupe_key(w)]


def _worse_keys(w: Warning) -> list[str]:
    return [warning_dedupe_key(w, lv) for lv in LEVELS if level_rank(lv) > level_rank(w.level)]


def warning_readers() -> list[Reader]:
    """Every active user who may read warnings (administrators and the regional roles), with whether they see
    every enterprise: the same answer as ``common.scoping.sees_everything``, for all of them in two queries."""
    rows = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(role=Role.ADMIN) | Q(role__in=REGIONAL_ROLES, region__isnull=False))
        .values_list("pk", "email", "role", "is_superuser", "region__path")
    )
    rows = list(rows)
    if not rows:
        return []
    with_enterprises = list(
        Region.objects.filter(Exists(Enterprise.objects.filter(town_id=OuterRef("code")))).values_list(
            "path", flat=True
        )
    )
    # Whoever's region path is a prefix of all of these sees every enterprise (none is outside their region).
    common = os.path.commonprefix(with_enterprises) if with_enterprises else ""  # noqa: RUF071 (strings meant)
    readers = []
    for pk, email, role, superuser, path in rows:
        admin = superuser or role == Role.ADMIN
        readers.append(
            Reader(pk=pk, by_email=bool(email), path=path or "", everything=admin or common.startswith(path or ""))
        )
    return readers


def _recipients(readers: list[Reader], news: list[Warning]) -> _Recipients:
    towns = {w.key: w.town for w in news if w.scope == Scope.ENTERPRISE}
    blank = [uscc for uscc, town in towns.items() if not town]
    if blank:  # not expected (the evaluation stores each enterprise's town), but then the enterprise says it
        towns.update(Enterprise.objects.filter(uscc__in=blank).values_list("uscc", "town_id"))
    codes = set(towns.values()) | {w.key for w in news if w.scope == Scope.TOWN}
    paths = dict(Region.objects.filter(code__in=sorted(c for c in codes if c)).values_list("code", "path"))
    return _Recipients(readers, paths, towns)


class _Recipients:
    """Who may see a warning: those who see everything, and for an enterprise's or a town's warning, those whose
    region holds the town (their path is a prefix of the town's path)."""

    def __init__(self, readers: list[Reader], paths: dict[str, str], towns: dict[str, str]) -> None:
        self.everyone = [r for r in readers if r.everything]
        self.by_path: dict[str, list[Reader]] = defaultdict(list)
        for r in readers:
            if not r.everything:
                self.by_path[r.path].append(r)
        self.paths, self.towns = paths, towns
        self.cache: dict[str, list[Reader]] = {}

    def __call__(self, w: Warning) -> list[Reader]:
        if w.scope in JURISDICTION_SCOPES or w.scope not in (Scope.ENTERPRISE, Scope.TOWN):
            return self.everyone
        town = self.towns.get(w.key, "") if w.scope == Scope.ENTERPRISE else w.key
        path = self.paths.get(town)
        if path is None:
            return self.everyone
        if path not in self.cache:
            parts = path.rstrip("/").split("/")
            prefixes = ("/".join(parts[: i + 1]) + "/" for i in range(len(parts)))
            self.cache[path] = self.everyone + [r for p in prefixes for r in self.by_path.get(p, [])]
        return self.cache[path]


class _Wording:
    """A warning's subject and text in the active language; the labels are translated once per level and rule."""

    def __init__(self) -> None:
        self.levels = {lv: capfirst(str(label)) for lv, label in Level.choices}
        self.scopes = {sc: capfirst(str(label)) for sc, label in Scope.choices}
        self.rules: dict[str, str] = {}

    def __call__(self, w: Warning) -> tuple[str, str]:
        if w.rule not in self.rules:
            self.rules[w.rule] = str(RULE_LABELS.get(w.rule, w.rule))
        rule, level = self.rules[w.rule], self.levels.get(w.level, w.level)
        name = w.name or w.key or self.scopes.get(w.scope, w.scope)
        if name == rule:
            subject = _("%(level)s warning: %(name)s") % {"level": level, "name": name}
        else:
            subject = _("%(level)s warning: %(name)s, %(rule)s") % {"level": level, "name": name, "rule": rule}
        scope = self.scopes.get(w.scope, w.scope)
        if w.first_period != w.period:
            body = _("%(scope)s %(key)s, %(period)s; on since %(first)s.") % {
                "scope": scope,
                "key": w.key,
                "period": w.period,
                "first": w.first_period,
            }
        else:
            body = _("%(scope)s %(key)s, %(period)s.") % {"scope": scope, "key": w.key, "period": w.period}
        return subject, " ".join(body.split())  # no double space when the key is empty (the lamp)


def _ensure_pks(news: list[Warning]) -> None:
    """Every warning's id (for its link): ``bulk_create`` sets them on PostgreSQL and SQLite, read them otherwise."""
    missing = [w for w in news if w.pk is None]
    if not missing:
        return
    period = missing[0].period
    ids = {
        (s, k, r): pk for pk, s, k, r in Warning.objects.filter(period=period).values_list("pk", "scope", "key", "rule")
    }
    for w in missing:
        w.pk = ids.get((w.scope, w.key, w.rule))
