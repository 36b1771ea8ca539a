"""Rows → ``core.whitelist.FinanceFacts``: the registry's trade, the worst open warning, the open money needs.

* The worst open warning of an enterprise: its enterprise-scope warnings of the latest evaluated month that are
  still firing and not closed (resolved or false alarm); ``main_market_in_warning`` from the facts they were raised
  on.
* Its open needs: needs dated within :data:`OPEN_NEED_DAYS` before today whose case (if one was made from them)
  is not closed, declined, withdrawn or merged.
* ``payment_terms_extended``: a buyer asked for longer payment terms within :data:`TERMS_EXTENDED_DAYS`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from exportwatch.common import clock
from exportwatch.core import cases as core_cases
from exportwatch.core import whitelist as core
from exportwatch.core.warning_rules import level_rank
from exportwatch.directory.models import Enterprise
from exportwatch.reporting.models import Disruption, Need
from exportwatch.warnings.models import Status, Warning

OPEN_NEED_DAYS = 365
TERMS_EXTENDED_DAYS = 90
CLOSED_WARNING_STATES = (Status.RESOLVED, Status.FALSE_ALARM)


def latest_warning_period() -> str | None:
    period: str | None = (
        Warning.objects.filter(scope="enterprise").order_by("-period").values_list("period", flat=True).first()
    )
    return period


def _warnings(usccs: list[str]) -> dict[str, tuple[str, bool]]:
    """Per credit code: its worst open warning level and whether its main market is in warning."""
    period = latest_warning_period()
    out: dict[str, tuple[str, bool]] = {}
    if period is None:
        return out
    rows = (
        Warning.objects.filter(scope="enterprise", period=period, active=True, key__in=usccs)
        .exclude(status__in=CLOSED_WARNING_STATES)
        .values_list("key", "level", "details")
    )
    for key, level, details in rows.iterator(chunk_size=5_000):
        facts = (details or {}).get("facts", {}) if isinstance(details, dict) else {}
        main = bool(facts.get("main_market_in_warning"))
        if key in out:
            worst, seen_main = out[key]
            if level_rank(level) > level_rank(worst):
                worst = level
            out[key] = (worst, seen_main or main)
        else:
            out[key] = (level, main)
    return out


def _needs(ids: list[int], today: dt.date) -> dict[int, list[core.NeedItem]]:
    since = today - dt.timedelta(days=OPEN_NEED_DAYS)
    qs = (
        Need.objects.filter(enterprise_id__in=ids, date__gte=since, date__lte=today)
        .exclude(case__state__in=sorted(core_cases.TERMINAL_STATES))
        .order_by("date", "id")
        .values_list("enterprise_id", "category", "amount_usd", "urgency", "description")
    )
    out: dict[int, list[core.NeedItem]] = defaultdict(list)
    for eid, category, amount, urgency, description in qs.iterator(chunk_size=5_000):
        out[eid].append(core.NeedItem(category, amount, urgency, description or ""))
    return out


def _terms_extended(ids: list[int], today: dt.date) -> set[int]:
    since = today - dt.timedelta(days=TERMS_EXTENDED_DAYS)
    return set(
        Disruption.objects.filter(
            enterprise_id__in=ids, kind="terms_extended", date__gte=since, date__lte=today
        ).values_list("enterprise_id", flat=True)
    )


def finance_facts(enterprises: Iterable[Enterprise]) -> dict[int, core.FinanceFacts]:
    """The facts of each enterprise (by id), read in a few queries for the whole batch."""
    ents = list(enterprises)
    ids = [e.pk for e in ents]
    today = clock.today()
    warnings = _warnings([e.uscc for e in ents])
    needs = _needs(ids, today)
    terms = _terms_extended(ids, today)
    out: dict[int, core.FinanceFacts] = {}
    for e in ents:
        level, main = warnings.get(e.uscc, (None, False))
        out[e.pk] = core.FinanceFacts(
            exports_usd=Decimal(e.exports_last_year_usd),
            imports_usd=Decimal(e.imports_last_year_usd),
            worst_level=level,
            main_market_in_warning=main,
            payment_terms_extended=e.pk in terms,
            needs=tuple(needs.get(e.pk, ())),
        )
    return out


def figures_of(facts: core.FinanceFacts, assessment: core.Assessment) -> dict[str, Any]:
    """What an entry was judged on, as stored in ``WhitelistEntry.figures`` (amounts as text, exact)."""
    money = core.money_needs(facts.needs)
    return {
        "exports_usd": str(facts.exports_usd),
        "imports_usd": str(facts.imports_usd),
        "trade_usd": str(assessment.eligibility.trade_usd),
        "threshold_usd": str(assessment.eligibility.threshold_usd),
        "worst_warning": facts.worst_level or "",
        "main_market_in_warning": facts.main_market_in_warning,
        "payment_terms_extended": facts.payment_terms_extended,
        "money_needs": [
            {
                "category": n.category,
                "amount_usd": None if n.amount_usd is None else str(n.amount_usd),
                "urgency": n.urgency,
            }
            for n in money
        ],
    }
