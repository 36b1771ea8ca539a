"""Writes of the warnings app: evaluating a month, a warning's lifecycle, a new version of a rule.

``warnings_evaluate(period=P)`` computes every scope's facts for P (``facts.py``), applies the current version of
every enabled rule (``core.warning_rules``) and the systemic lamp (``core.systemic``), and stores the result:
a warning that fires again keeps its lifecycle and gets the new figures; a new one starts ``new``, with the month
it first fired carried over from the month before when it was already on then; one that no longer fires is kept
(its lifecycle is history) but marked inactive.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from exportwatch.common import clock
from exportwatch.common.audit import audit_record
from exportwatch.common.bulk import mark_periods
from exportwatch.core.detectors import DETECTORS, PEER, Detector, peer_signals, series_signal
from exportwatch.core.periods import period_add
from exportwatch.core.systemic import breadth, consecutive_below, systemic_lamp, weighted_share_at_or_above
from exportwatch.core.warning_lifecycle import transition_problem
from exportwatch.core.warning_rules import (
    MIN_EXPORTS_FOR_YOY,
    Signal,
    ThresholdRule,
    level_rank,
    rules_evaluate,
    rules_evaluate_many,
)
from exportwatch.directory.models import Enterprise, Region
from exportwatch.warnings.adapters import rule_fields, rule_of
from exportwatch.warnings.facts import ScopeFacts, enterprise_facts, group_series, month_facts
from exportwatch.warnings.labels import SYSTEMIC_RULE
from exportwatch.warnings.models import PendingMonth, RuleVersion, Status, Warning, WarningEvent

IN_WARNING = "orange"  # a market, industry... at this level or worse counts as "in warning" (breadth, exposure)
IN_WARNING_LEVELS = ("orange", "red")
ACTION_FACTS = ("main_market_in_warning", "market_hhi")  # kept with a warning: what its recommended action reads


@dataclass(frozen=True)
class Evaluation:
    period: str
    warnings: int  # firing
    by_level: dict[str, int]
    closed: int  # no longer firing in this evaluation
    lamp: str | None


def rules_current() -> list[tuple[RuleVersion, ThresholdRule]]:
    """The latest version of every rule, enabled or not."""
    latest: dict[str, RuleVersion] = {}
    for row in RuleVersion.objects.order_by("key", "-version"):
        latest.setdefault(row.key, row)
    return [(row, rule_of(row)) for row in latest.values()]


def _signals(rules: Sequence[ThresholdRule], items: Iterable[ScopeFacts]) -> list[tuple[ScopeFacts, Signal]]:
    """Every rule that applies to an item's scope on its facts, in the order of the items: each scope kind's items
    judged rule by rule (``core.warning_rules.rules_evaluate_many``; a province has 100,000 enterprises)."""
    rules_evaluate(rules, {}, scope="district", key="")  # the core's check of the rule set (unique keys), once
    by_scope: dict[str, list[tuple[int, ScopeFacts]]] = {}
    for n, item in enumerate(items):
        by_scope.setdefault(item.scope, []).append((n, item))
    found: list[tuple[int, ScopeFacts, Signal]] = []
    for scope, numbered in by_scope.items():
        judged = [item for _n, item in numbered]
        signals = rules_evaluate_many(rules, [i.facts for i in judged], scope=scope, keys=[i.key for i in judged])
        found += [(numbered[i][0], judged[i], signal) for i, signal in signals]
    found.sort(key=lambda f: f[0])  # stable: each item's signals stay in the order of the rules
    return [(item, signal) for _n, item, signal in found]


def _in_warning(signals: Iterable[tuple[ScopeFacts, Signal]], scope: str) -> set[str]:
    return {s.key for item, s in signals if s.scope == scope and level_rank(s.level) >= level_rank(IN_WARNING)}


def warnings_evaluate(*, period: str) -> Evaluation:
    """Evaluate every rule on every scope of ``period`` and store the warnings (see the module's docstring). Names
    are stored in the default language, whoever evaluates; the pages show them in their reader's."""
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        return _evaluate(period)


def _evaluate(period: str) -> Evaluation:
    started = clock.now()
    current = [(row, rule) for row, rule in rules_current() if row.enabled]
    rules = [rule for _row, rule in current]
    version_of = {rule.key: row for row, rule in current}
    month = month_facts(period=period)
    aggregates = _signals(rules, month.aggregates)
    markets = _in_warning(aggregates, "market")
    district = _signals(rules, [month.district] if month.district is not None else [])
    enterprises = enterprise_facts(period=period, markets_in_warning=markets)
    ent_signals = _signals(rules, enterprises)
    found = aggregates + district + ent_signals + _detected(month.aggregates, month.district, enterprises, period)

    # The systemic lamp: the export-weighted share of enterprises at orange or worse, the diffusion index's run
    # below 50, and how many markets and industries are in warning (two months running).
    worst_by_enterprise: dict[str, str] = {}
    for _item, s in ent_signals:
        if level_rank(s.level) > level_rank(worst_by_enterprise.get(s.key)):
            worst_by_enterprise[s.key] = s.level
    weights = {
        item.key: float(item.facts.get("exports_last_year") or 0) for item in enterprises
    }  # every enterprise assessed
    lamp = systemic_lamp(
        weighted_share=weighted_share_at_or_above(
            {u: (worst_by_enterprise.get(u), w) for u, w in weights.items()}, level=IN_WARNING
        ),
        di_run=consecutive_below(month.di_series),
        market_breadth=breadth(len(markets & _in_warning_before(period, "market")), month.markets_total),
        industry_breadth=breadth(
            len(_in_warning(aggregates, "industry") & _in_warning_before(period, "industry")), month.industries_total
        ),
    )

    lamp_item = None
    if lamp.level is not None:
        lamp_item = {
            "components": [
                {"name": c.name, "value": c.value, "level": c.level, "threshold": c.threshold} for c in lamp.components
            ]
        }
    stored = _store(period, found, version_of, covers={}, lamp=(lamp.level, lamp_item))
    PendingMonth.objects.filter(period=period, since__lte=started).delete()
    return replace(stored, lamp=lamp.level)


def _in_warning_before(period: str, scope: str) -> set[str]:
    """The keys of ``scope`` in warning the month before (as last evaluated): the lamp's breadth counts a market or
    an industry in warning two months running, so a one-month swing (orders signed a week later because the
    Spring Festival moved) does not light it."""
    return set(
        Warning.objects.filter(
            period=period_add(period, -1), scope=scope, active=True, level__in=IN_WARNING_LEVELS
        ).values_list("key", flat=True)
    )


def _sized(item: ScopeFacts) -> bool:
    """Large enough for a detector: the size gate of the year-on-year rules."""
    return float(item.facts.get("exports_last_year") or 0) >= MIN_EXPORTS_FOR_YOY


def _detected(
    aggregates: Sequence[ScopeFacts], district: ScopeFacts | None, enterprises: Sequence[ScopeFacts], period: str
) -> list[tuple[ScopeFacts, Signal]]:
    """The change detectors' signals (``core.detectors``): the control charts on every aggregate's new orders,
    the peer score on every enterprise's."""
    groups = [item for item in [*aggregates, *([district] if district else [])] if _sized(item)]
    series = group_series(period=period) if groups else {}
    out: list[tuple[ScopeFacts, Signal]] = []
    for detector in DETECTORS:
        if detector.method == PEER:
            out += _peer_detected(detector, enterprises)
            continue
        for item in groups:
            values = series.get((item.scope, item.key))
            signal = series_signal(detector, values or [], scope=item.scope, key=item.key)
            if signal is not None:
                out.append((item, signal))
    return out


def _peer_detected(detector: Detector, enterprises: Sequence[ScopeFacts]) -> list[tuple[ScopeFacts, Signal]]:
    """An enterprise against the enterprises of its industry selling mainly to the same market group, or against
    its whole industry when that group is too small to judge by."""
    judged = {
        item.key: item
        for item in enterprises
        if _sized(item) and item.facts.get(detector.indicator) is not None and item.industry
    }
    least = int(detector.params.get("min_peers", 5))
    by_group: dict[tuple[str, str], dict[str, float]] = {}
    by_industry: dict[str, dict[str, float]] = {}
    for key, item in judged.items():
        value = float(item.facts[detector.indicator])  # type: ignore[arg-type]
        by_group.setdefault((item.industry, item.market_group), {})[key] = value
        by_industry.setdefault(item.industry, {})[key] = value
    out: list[tuple[ScopeFacts, Signal]] = []
    alone: dict[str, set[str]] = {}  # industry -> its enterprises judged against the whole industry
    for (industry, group), members in by_group.items():
        if group and len(members) > least:
            out += [(judged[s.key], s) for s in peer_signals(detector, {group: members})]
        else:
            alone.setdefault(industry, set()).update(members)
    for industry, keys in alone.items():
        found = peer_signals(detector, {industry: by_industry[industry]})
        out += [(judged[s.key], s) for s in found if s.key in keys]
    return out


def pending_mark(*, periods: Iterable[str]) -> None:
    """Mark months for re-evaluation by the background worker (in the caller's transaction): one statement that
    inserts each mark or moves its time on, the months in order."""
    mark_periods(PendingMonth, periods)


def handle_one_pending() -> bool:
    """One step of the background worker: re-evaluate the oldest month marked pending whose reports have not
    changed for ``EXPORTWATCH_WARNINGS_SETTLE_SECONDS``; False when none is."""
    settled = clock.now() - dt.timedelta(seconds=settings.EXPORTWATCH_WARNINGS_SETTLE_SECONDS)
    pending = PendingMonth.objects.filter(since__lte=settled).order_by("since", "period").first()
    if pending is None:
        return False
    warnings_evaluate(period=pending.period)  # clears the mark, unless the month changed again meanwhile
    return True


@transaction.atomic
def warnings_evaluate_enterprises(*, period: str, enterprise_ids: Sequence[int]) -> Evaluation:
    """Re-evaluate the enterprise rules of a few enterprises in ``period`` (after their reports changed): their
    markets in warning are those the month's last full evaluation found; the aggregates and the lamp wait for the
    next ``warnings_evaluate``."""
    current = [(row, rule) for row, rule in rules_current() if row.enabled]
    rules = [rule for _row, rule in current]
    version_of = {rule.key: row for row, rule in current}
    markets = set(
        Warning.objects.filter(period=period, scope="market", active=True, level__in=IN_WARNING_LEVELS).values_list(
            "key", flat=True
        )
    )
    items = enterprise_facts(period=period, markets_in_warning=markets, enterprise_ids=enterprise_ids)
    usccs = list(Enterprise.objects.filter(pk__in=list(enterprise_ids)).values_list("uscc", flat=True))
    covers = {"scope": "enterprise", "key__in": usccs, "rule__in": [rule.key for rule in rules]}  # not the peers
    return _store(period, _signals(rules, items), version_of, covers=covers, lamp=None)


def _store(
    period: str,
    found: list[tuple[ScopeFacts, Signal]],
    version_of: dict[str, RuleVersion],
    *,
    covers: dict[str, Any],
    lamp: tuple[str | None, dict[str, Any] | None] | None,
) -> Evaluation:
    """Write what an evaluation found: ``covers`` filters the warnings it judged (all of the month's when empty;
    those it no longer raises become inactive); ``lamp`` the systemic lamp's level and details, or None when it
    was not evaluated."""
    now = clock.now()
    # Read as tuples, not models: a province's month holds a few hundred thousand warnings, and building a model
    # for each one that stands as it stood cost more than the whole evaluation.
    existing = {
        (row[1], row[2], row[3]): row
        for row in Warning.objects.filter(period=period, **covers).values_list(*_STORED).iterator(chunk_size=10_000)
    }
    before = {
        (s_, k, r): first
        for s_, k, r, first in Warning.objects.filter(period=period_add(period, -1), active=True, **covers)
        .values_list("scope", "key", "rule", "first_period")
        .iterator(chunk_size=10_000)
    }
    news_floor = level_rank(settings.EXPORTWATCH_NOTIFY_LEVEL)  # below it a warning is nobody's news
    seen: set[tuple[str, str, str]] = set()
    creates: list[Warning] = []
    updates: list[Warning] = []
    firing: list[Warning] = []  # stored already and firing again, changed or at a level that may be news
    by_level: dict[str, int] = {}

    def keep(
        item_scope: str,
        key: str,
        rule: str,
        *,
        name: str,
        level: str,
        value: float | None,
        threshold: float | None,
        version: RuleVersion | None,
        town: str = "",
        details: dict[str, Any] | None = None,
    ) -> None:
        ident = (item_scope, key, rule)
        seen.add(ident)
        by_level[level] = by_level.get(level, 0) + 1
        row = existing.get(ident)
        first = before.get(ident, period)  # on since the month before: its first month carries over
        fresh = (name[:200], level, value, threshold, version.pk if version else None, True, town, details or {}, first)
        if row is not None and tuple(row[4:]) == fresh and level_rank(level) < news_floor:
            return  # as it stood, and no news to anyone: nothing to build
        w = Warning(period=period, scope=item_scope, key=key, rule=rule, status=Status.NEW)
        w.name, w.level, w.value, w.threshold = name[:200], level, value, threshold
        w.rule_version, w.active, w.evaluated_at, w.town = version, True, now, town
        w.details, w.first_period = details or {}, first
        if row is None:
            creates.append(w)
            return
        w.pk = row[0]
        firing.append(w)
        if tuple(row[4:]) != fresh:
            updates.append(w)

    for item, s in found:
        keep(
            s.scope,
            s.key,
            s.rule,
            name=item.name,
            level=s.level,
            value=s.value,
            threshold=s.threshold,
            version=version_of.get(s.rule),  # None: a detector
            town=item.town,
            details={"financing_need": item.financing_need, "facts": _plain(item.facts, ACTION_FACTS)},
        )
    if lamp is not None and lamp[0] is not None:
        keep(
            "district",
            "",
            SYSTEMIC_RULE,
            name=str(_("Systemic lamp")),
            level=lamp[0],
            value=None,
            threshold=None,
            version=None,
            details=lamp[1],
        )
    Warning.objects.bulk_create(creates, batch_size=2_000)
    fields = [
        "name", "level", "value", "threshold", "rule_version", "active", "evaluated_at", "town", "details",
        "first_period",
    ]  # fmt: skip
    Warning.objects.bulk_update(updates, fields, batch_size=2_000)
    gone = [row[0] for ident, row in existing.items() if ident not in seen and row[9]]
    for start in range(0, len(gone), 2_000):
        Warning.objects.filter(pk__in=gone[start : start + 2_000]).update(active=False, evaluated_at=now)
    from exportwatch.warnings.notify import warnings_notify

    warnings_notify(creates + firing)
    return Evaluation(period=period, warnings=len(seen), by_level=by_level, closed=len(gone), lamp=None)


# pk, scope, key, rule, then the fields an evaluation writes, in the order of ``keep``'s ``fresh``
_STORED = (
    "pk", "scope", "key", "rule", "name", "level", "value", "threshold", "rule_version_id", "active", "town",
    "details", "first_period",
)  # fmt: skip


def _plain(facts: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """The facts the warning's page needs (for its recommended action), as JSON numbers and booleans."""
    return {
        k: (v if isinstance(v, (bool, int, float)) or v is None else float(v)) for k, v in facts.items() if k in names
    }


class TransitionRefused(Exception):
    pass


def warning_transition(*, warning: Warning, to: str, actor: Any, note: str = "", case: Any = None) -> WarningEvent:
    """Move a warning along its lifecycle (``core.warning_lifecycle``), recording who, when and why; following up
    an enterprise's warning may name the case (``cases.Case``) of that enterprise it is followed up through."""
    if case is not None and (
        to != Status.FOLLOWING_UP or warning.scope != "enterprise" or case.enterprise.uscc != warning.key
    ):
        raise TransitionRefused(_("Only a warning followed up on an enterprise links to a case of that enterprise."))
    problem = transition_problem(warning.status, to, note)
    if problem == "reason_required":
        raise TransitionRefused(_("Say why: closing or reopening a warning needs a reason."))
    if problem is not None:
        raise TransitionRefused(
            _("A warning that is “%(current)s” cannot become “%(target)s”.")
            % {"current": Status(warning.status).label, "target": Status(to).label if to in Status.values else to}
        )
    with transaction.atomic():
        locked = Warning.objects.select_for_update().get(pk=warning.pk)
        if locked.status != warning.status:
            raise TransitionRefused(_("Someone else changed this warning meanwhile; look at it again."))
        event = WarningEvent.objects.create(
            warning=locked,
            at=clock.now(),
            actor=actor,
            from_status=locked.status,
            to_status=to,
            note=note[:500],
            case=case,
        )
        locked.status = to
        locked.save(update_fields=["status"])
        warning.status = to
        audit_record(
            actor=actor,
            action="warning.transition",
            object_type="warning",
            object_key=f"{locked.period}/{locked.scope}/{locked.key}/{locked.rule}"[:80],
            old={"status": event.from_status},
            new={"status": to, **({"case": case.pk} if case is not None else {})},
            note=note,
            **_audit_scope_of(locked),
        )
    return event


def _audit_scope_of(warning: Warning) -> dict[str, Any]:
    """Whose a warning's event is: its enterprise's, its town's, else the jurisdiction's."""
    if warning.scope == "enterprise":
        enterprise = Enterprise.objects.select_related("town").filter(uscc=warning.key).first()
        if enterprise is not None:
            return {"enterprise": enterprise}
    town = Region.objects.filter(code=warning.town or (warning.key if warning.scope == "town" else "")).first()
    return {"region": town} if town is not None else {}


def rule_version_create(*, current: RuleVersion, changes: dict[str, Any], actor: Any, note: str) -> RuleVersion:
    """A new version of a rule: the current one with ``changes`` (validated by the core), who, when and why."""
    rule = rule_of(current)
    candidate = replace(rule, **{k: v for k, v in changes.items() if k != "enabled"})  # validated by the core
    with transaction.atomic():
        latest = RuleVersion.objects.select_for_update().filter(key=current.key).order_by("-version").first()
        assert latest is not None
        row = RuleVersion.objects.create(
            **rule_fields(candidate),
            version=latest.version + 1,
            enabled=bool(changes.get("enabled", current.enabled)),
            created_at=clock.now(),
            created_by=actor if getattr(actor, "pk", None) else None,
            note=note[:300],
        )
        audit_record(
            actor=actor,
            action="rule.change",
            object_type="rule",
            object_key=f"{row.key}/v{row.version}",
            old={**rule_fields(rule), "enabled": current.enabled, "version": current.version},
            new={**rule_fields(candidate), "enabled": row.enabled, "version": row.version},
            note=note,
        )
    return row
