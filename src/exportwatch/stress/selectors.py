"""Reads of the stress app, always through the user's scope: the saved scenarios a user may see, and a stress
test run on the order book of the enterprises the user may read (``common.scoping.enterprises_visible``), judged
by the current warning rules as stored (``warnings.models.RuleVersion``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext as _

from exportwatch.accounts.models import Role
from exportwatch.common import clock
from exportwatch.common.scoping import can_see_bureau_pages, enterprises_visible, is_admin, sees_everything
from exportwatch.core.periods import period_add
from exportwatch.core.stress import WINDOW, Outcome, Shock, StressResult, stress_run
from exportwatch.core.warning_rules import LEVELS, level_of_rank
from exportwatch.directory.models import Enterprise, Region
from exportwatch.finance.selectors import entries_visible
from exportwatch.monitoring.cells import stamp_read
from exportwatch.monitoring.selectors import dimension_names, latest_period, settled_period
from exportwatch.reporting.models import Report
from exportwatch.stress.adapters import BookRead, book_merge, book_read, market_groups
from exportwatch.stress.bookfile import book_load, book_load_any, book_save
from exportwatch.stress.models import Scenario
from exportwatch.warnings.services import rules_current

LISTED = 300  # enterprises shown on the page; the download has them all


def may_run(user: Any) -> bool:
    """Bureau users run stress tests on what they may read; nobody else sees the page."""
    return can_see_bureau_pages(user)


def may_save(user: Any) -> bool:
    """Saving and deleting scenarios: the bureau's analysts (leaders read, town officers run)."""
    return is_admin(user) or (may_run(user) and user.role == Role.ANALYST)


def scenarios_visible(user: Any) -> QuerySet[Scenario]:
    """The scenarios saved in the user's region, above it or below it; never beside it."""
    qs = Scenario.objects.select_related("created_by")
    if not may_run(user):
        return qs.none()
    if is_admin(user):
        return qs
    if not user.region_id:
        return qs.none()
    path = user.region.path
    above = [code for code in path.strip("/").split("/") if code]
    below = Region.objects.filter(path__startswith=path).values("code")
    return qs.filter(Q(region_id__in=above) | Q(region_id__in=below))


def scenario_get(user: Any, pk: int) -> Scenario | None:
    return scenarios_visible(user).filter(pk=pk).first()


def stress_latest(user: Any) -> str:
    """The latest month with reports of the user's enterprises, up to today: the latest book that may be asked for."""
    return latest_period(enterprises_visible(user), clock.current_period())


def book_period(enterprises: QuerySet[Enterprise]) -> str:
    """The book tested by default: the latest month with reports of ``enterprises`` up to the month whose reports
    are in (``monitoring.selectors.settled_period``: a month whose first reports are coming in holds the early
    reporters' books only)."""
    return latest_period(enterprises, settled_period() or clock.current_period())


def stress_origin(user: Any) -> str:
    """:func:`book_period` of the user's enterprises."""
    return book_period(enterprises_visible(user))


@dataclass(frozen=True)
class ScopeRow:
    """A sum of enterprises on the page: its name, exports by projected month with and without the shocks."""

    key: str
    name: str
    enterprises: int
    baseline: tuple[float, ...]
    shocked: tuple[float, ...]
    year_ago: tuple[float | None, ...]
    loss: float
    change: float | None
    level_before: str | None
    level_after: str | None


@dataclass(frozen=True)
class CrossingRow:
    rule: str
    before: float | None
    after: float | None
    level_before: str | None
    level_after: str
    threshold: float


@dataclass(frozen=True)
class EnterpriseRow:
    uscc: str
    name: str
    town: str
    level_before: str | None
    level_after: str | None
    baseline: float  # exports over the projected months, USD
    shocked: float
    crossings: list[CrossingRow]
    whitelist: bool  # has a white-list entry the reader may open


@dataclass(frozen=True)
class StressView:
    period: str
    periods: tuple[str, ...]
    shocks: list[Shock]
    whole: bool  # the reader sees every enterprise
    scope_name: str  # what the sum of every enterprise read is: the reader's region, or everything
    enterprises: int
    unreported: int
    district: ScopeRow
    towns: list[ScopeRow]
    industries: list[ScopeRow]
    pushed: list[tuple[str, int]]  # (level, enterprises newly at it or worse), red first
    rows: list[EnterpriseRow]  # every enterprise pushed across a threshold, the worst first
    rules: tuple[str, ...]
    not_projected: tuple[str, ...]
    shock_names: dict[tuple[str, str], str] = field(default_factory=dict)


def _scope_row(outcome: Outcome, name: str) -> ScopeRow:
    return ScopeRow(
        key=outcome.key,
        name=name,
        enterprises=outcome.enterprises,
        baseline=outcome.baseline,
        shocked=outcome.shocked,
        year_ago=outcome.year_ago,
        loss=outcome.loss,
        change=outcome.change,
        level_before=outcome.level_before,
        level_after=outcome.level_after,
    )


def shock_names(shocks: Sequence[Shock]) -> dict[tuple[str, str], str]:
    """(dimension, key) -> the market's, group's or chapter's name in the reader's language."""
    out: dict[tuple[str, str], str] = {}
    for dimension, named in (("market", "market"), ("market_group", "group"), ("hs", "hs")):
        keys = [s.key for s in shocks if s.dimension == dimension]
        if keys:
            for key, name in dimension_names(named, keys).items():
                out[(dimension, key)] = name
    return out


_BOOK_CACHE: dict[str, BookRead] = {}
"""The whole jurisdiction's last book read in this process, by the state of the data it was read at: an analyst runs
scenario after scenario on one month."""


REFRESH_AT_MOST = (1_000, 0.2)
"""Enterprises changed since the last book up to which the book is brought up to date by reading only them: this
many, or this share of the book if more; beyond it (a bulk import) the whole book is read again."""


@dataclass(frozen=True)
class BookState:
    """What a book was read at: the database, the month, the aggregates' stamp, the count and newest id of the
    reports (every write makes a new version: reports are never changed in place) and the registry's size and
    last change."""

    database: str
    period: str
    stamp: int
    reports: int
    last_report: int | None
    registry: int
    registry_at: str

    @property
    def key(self) -> str:
        return "|".join(
            str(v)
            for v in (
                self.database,
                self.period,
                self.stamp,
                self.reports,
                "" if self.last_report is None else self.last_report,
                self.registry,
                self.registry_at,
            )
        )

    @classmethod
    def of_key(cls, key: str) -> BookState | None:
        parts = key.rsplit("|", 6)
        try:
            database, period, stamp, reports, last, registry, registry_at = parts
            return cls(
                database, period, int(stamp), int(reports), int(last) if last else None, int(registry), registry_at
            )
        except ValueError:
            return None


def book_state(period: str) -> str:
    """The state of the data a book of ``period`` is read from (``BookState``), as the key books are kept by."""
    registry = Enterprise.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    reports = Report.objects.aggregate(n=Count("id"), last=Max("id"))
    return BookState(
        database=str(connection.settings_dict["NAME"]),
        period=period,
        stamp=stamp_read(),
        reports=int(reports["n"]),
        last_report=reports["last"],
        registry=int(registry["n"]),
        registry_at=registry["at"].isoformat() if registry["at"] is not None else "",
    ).key


def book_whole(period: str, *, state: str | None = None) -> BookRead:
    """The book of every enterprise at ``period`` at the data's present state (``book_state``): held in this
    process, or kept as a file by another process (the background worker writes it when reports settle), or else
    the last one held or kept brought up to date (``book_refreshed``), or read whole from the database; then kept
    both ways."""
    key = state or book_state(period)
    found = _BOOK_CACHE.get(key)
    if found is None:
        found = book_load(period, key)
        if found is None:
            found = book_refreshed(period, key)
            if found is None:
                found = book_read(period=period)
            book_save(period, key, found)
        _BOOK_CACHE.clear()  # one book held: a province's is about 100 MB
        _BOOK_CACHE[key] = found
    return found


def book_refreshed(period: str, key: str) -> BookRead | None:
    """The last book of ``period`` (held in this process, else kept as a file) brought to state ``key`` by reading
    again only the enterprises with a report of its thirteen months written since it was read. None — read it
    whole — when there is no such book, or it comes from another database, or the registry changed since (names,
    towns, sizes), or a report was removed, or more than ``REFRESH_AT_MOST`` of the book changed."""
    base = next(
        ((k, b) for k, b in _BOOK_CACHE.items() if getattr(BookState.of_key(k), "period", None) == period), None
    ) or book_load_any(period)
    now = BookState.of_key(key)
    was = None if base is None else BookState.of_key(base[0])
    if base is None or now is None or was is None or was.last_report is None:
        return None
    old = base[1]
    if any(getattr(was, f) != getattr(now, f) for f in ("database", "period", "registry", "registry_at")):
        return None
    written = Report.objects.filter(pk__gt=was.last_report)
    if now.reports - was.reports != written.count():
        return None  # reports were removed, or the state is older than the book
    months = [period_add(period, -back) for back in range(WINDOW)]
    changed = sorted(set(written.filter(period__in=months).values_list("enterprise_id", flat=True)))
    if not changed:
        return old
    if len(changed) > max(REFRESH_AT_MOST[0], REFRESH_AT_MOST[1] * old.book.size):
        return None
    part = book_read(period=period, enterprises=Enterprise.objects.filter(pk__in=changed))
    return book_merge(old, part, changed, registered=now.registry)


def stress_view(user: Any, *, period: str, shocks: Sequence[Shock]) -> StressView:
    """Run ``shocks`` on the book at ``period`` of the enterprises ``user`` may read."""
    whole = sees_everything(user)
    read = book_whole(period) if whole else book_read(period=period, enterprises=enterprises_visible(user))
    rules = [rule for row, rule in rules_current() if row.enabled]
    result: StressResult = stress_run(
        read.book,
        list(shocks),
        rules=rules,
        by={"town": read.towns, "industry": read.industries},
        groups=market_groups(),
    )
    towns = result.groups.get("town", ())
    industries = result.groups.get("industry", ())
    town_names = dimension_names("town", [o.key for o in towns])
    industry_names = dimension_names("industry", [o.key for o in industries])

    by_enterprise: dict[int, list[CrossingRow]] = defaultdict(list)
    for c in result.crossings:
        by_enterprise[c.enterprise].append(
            CrossingRow(c.rule, c.before, c.after, c.level_before, c.level_after, c.threshold)
        )
    order = sorted(
        by_enterprise,
        key=lambda i: (
            -int(result.worst_after[i]),
            -(float(result.baseline[i].sum()) - float(result.shocked[i].sum())),
            i,
        ),
    )
    usccs = [str(read.book.keys[i]) for i in order]
    listed = set(entries_visible(user).filter(enterprise__uscc__in=usccs).values_list("enterprise__uscc", flat=True))
    rows = [
        EnterpriseRow(
            uscc=str(read.book.keys[i]),
            name=read.names[i],
            town=town_names.get(str(read.towns[i]), str(read.towns[i])),
            level_before=level_of_rank(int(result.worst_before[i])),
            level_after=level_of_rank(int(result.worst_after[i])),
            baseline=float(result.baseline[i].sum()),
            shocked=float(result.shocked[i].sum()),
            crossings=by_enterprise[i],
            whitelist=str(read.book.keys[i]) in listed,
        )
        for i in order
    ]
    return StressView(
        period=period,
        periods=result.periods,
        shocks=list(shocks),
        whole=whole,
        scope_name=_scope_name(user),
        enterprises=read.book.size,
        unreported=read.unreported,
        district=_scope_row(result.district, ""),
        towns=[_scope_row(o, town_names.get(o.key, o.key)) for o in towns],
        industries=[_scope_row(o, industry_names.get(o.key, o.key)) for o in industries],
        pushed=[(level, len(result.pushed_to(level))) for level in LEVELS[:3]],
        rows=rows,
        rules=result.rules,
        not_projected=result.not_projected,
        shock_names=shock_names(shocks),
    )


def _scope_name(user: Any) -> str:
    region = getattr(user, "region", None) if getattr(user, "region_id", None) else None
    return region.label if region is not None else str(_("Every enterprise"))


def shock_codes() -> list[tuple[str, str]]:
    """The codes a shock may name, for the form's suggestions: market groups, markets, HS chapters."""
    from django.utils.translation import get_language

    from exportwatch.directory.models import HSCode, Market, MarketGroup

    english = (get_language() or "zh-hans").startswith("en")
    out: list[tuple[str, str]] = []
    for model in (MarketGroup, Market, HSCode):
        qs = model.objects.order_by("code").values_list("code", "name", "name_en")
        if model is HSCode:
            qs = qs.filter(code__regex=r"^[0-9]{2}$")
        out += [(code, name_en if english and name_en else name) for code, name, name_en in qs]
    return out
