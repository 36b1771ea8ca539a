"""What a brief says: the figures gathered from the other apps' selectors, and the sentences written from them.

``brief_content`` reads everything a brief needs for one month through the existing scoped selectors (monitoring,
warnings, cases, finance, forecasting) and turns it into a ``BriefContent``: sections of paragraphs (written by
``exportwatch.core.brief`` from the numbers), tables and charts (data only; the PNGs are drawn by ``charts``). The
same content is rendered as HTML (the preview), ``.docx`` and PDF (``documents``).

A brief is of the reader's jurisdiction: ``reader=None`` (the command line) is the whole bureau; a user reads
only what their scope allows, and the jurisdiction-wide parts (market warnings, the forecast and the target)
only when they see every enterprise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from exportwatch.common import clock
from exportwatch.core import brief as words
from exportwatch.core import cases as case_rules
from exportwatch.core.periods import period_add, period_end, period_of, period_range, period_start
from exportwatch.monitoring import selectors as mon

MARKET_ROWS = 10
TABLE_ROWS = 10
VISIT_ROWS = 30
TREND_MONTHS = 13


@dataclass
class Table:
    caption: str
    header: list[str]
    rows: list[list[str]]


@dataclass
class Chart:
    """A chart's data: ``kind`` is "line" (labels along time) or "bar" (one bar per label)."""

    key: str
    title: str
    kind: str
    labels: list[str]
    series: dict[str, list[float]]  # legend -> values (USD ten-thousands)


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


@dataclass
class BriefContent:
    period: str
    kind: str
    title: str
    subtitle: str
    sections: list[Section]
    headline: dict[str, Any]  # the headline numbers, for tests and the archive


def _bureau_reader() -> Any:
    """An unsaved administrator: the command line's reader, who sees the whole bureau."""
    from exportwatch.accounts.models import Role, User

    return User(username="brief", role=Role.ADMIN, is_superuser=True, is_active=True)


def _wan(usd: float | Any) -> float:
    return round(float(usd) / 1e4, 2)


def _money_cell(usd: float | Any) -> str:
    return f"{float(usd) / 1e4:,.1f}"


def _name(row: mon.Row) -> str:
    """The row's name, cut at the first "；" (HS chapters' names list everything they hold)."""
    return (row.name or row.key).split("；", 1)[0]


def _items(rows: list[mon.Row]) -> list[words.Item]:
    return [
        words.Item(_name(r), float(r.now.exports), None if r.year_ago is None else float(r.year_ago.exports))
        for r in rows
    ]


def _breakdown_table(caption: str, dimension: str, rows: list[mon.Row]) -> Table:
    total = sum(float(r.now.exports) for r in rows) or None
    return Table(
        caption=caption,
        header=[dimension, "出口（万美元）", "占比", "出口同比", "新接订单（万美元）", "新接订单同比"],
        rows=[
            [
                _name(r),
                _money_cell(r.now.exports),
                words.percent(float(r.now.exports) / total if total else None),
                words.percent(r.exports_yoy),
                _money_cell(r.now.new_orders),
                words.percent(r.new_orders_yoy),
            ]
            for r in rows[:TABLE_ROWS]
        ],
    )


def _structure(scope: mon.Scope, period: str, dim: str, dimension: str) -> Section:
    rows = mon.breakdown(scope, mon.View(period), dim)
    section = Section(
        heading=f"分{dimension}情况", paragraphs=words.structure_sentences(dimension=dimension, items=_items(rows))
    )
    section.tables.append(_breakdown_table(f"表：分{dimension}出口", dimension, rows))
    if dim == "market" and rows:
        top = rows[:MARKET_ROWS]
        section.charts.append(
            Chart(
                key="markets",
                title="主要市场出口（万美元）",
                kind="bar",
                labels=[_name(r) for r in top],
                series={
                    "本期": [_wan(r.now.exports) for r in top],
                    "上年同期": [_wan(r.year_ago.exports) if r.year_ago else 0.0 for r in top],
                },
            )
        )
    return section


def _headline(scope: mon.Scope, period: str) -> tuple[Section, dict[str, Any]]:
    row = mon.figures_row(scope, mon.View(period))
    numbers = {
        "enterprises": row.now.enterprises,
        "exports": float(row.now.exports),
        "exports_growth": row.exports_yoy,
        "new_orders": float(row.now.new_orders),
        "new_orders_growth": row.new_orders_yoy,
        "backlog": float(row.now.backlog),
        "backlog_growth": row.backlog_yoy,
    }
    section = Section(heading="总体情况", paragraphs=[words.headline_sentence(period=period, **numbers)])
    if row.coverage_months is not None:
        section.paragraphs.append(f"在手订单可支撑约{row.coverage_months:.1f}个月的出口。")
    section.tables.append(
        Table(
            caption="表：主要指标",
            header=["指标", "本期（万美元）", "上年同期（万美元）", "同比"],
            rows=[
                [
                    label,
                    _money_cell(getattr(row.now, attr)),
                    _money_cell(getattr(row.year_ago, attr)) if row.year_ago else "—",
                    words.percent(growth),
                ]
                for label, attr, growth in (
                    ("出口", "exports", row.exports_yoy),
                    ("新接订单", "new_orders", row.new_orders_yoy),
                    ("在手订单", "backlog", row.backlog_yoy),
                )
            ],
        )
    )
    trend = mon.series(scope, mon.View(period), months=TREND_MONTHS)
    section.charts.append(
        Chart(
            key="trend",
            title=f"近{TREND_MONTHS}个月出口与新接订单（万美元）",
            kind="line",
            labels=[p[2:] for p in trend],
            series={
                "出口": [_wan(f.exports) for f in trend.values()],
                "新接订单": [_wan(f.new_orders) for f in trend.values()],
            },
        )
    )
    return section, numbers


def _difficulties(scope: mon.Scope, period: str) -> Section:
    d = mon.difficulties_of(scope, period)
    return Section(
        heading="企业面临的主要困难",
        paragraphs=words.difficulties_sentences(
            market_fall=mon.MARKET_FALL,
            blocked_amount=float(d.blocked.amount),
            blocked_enterprises=d.blocked.enterprises,
            falling_enterprises=d.falling.enterprises,
            falling_assessed=d.falling.assessed,
            falling_markets=[(name or code, yoy) for code, name, yoy, _now in d.falling_markets],
            external_amount=float(d.external.amount),
            external_share=d.external.share,
            financial_amount=float(d.financial.amount),
            financial_enterprises=d.financial.enterprises,
        ),
    )


SCOPE_WORDS = {
    "enterprise": "企业",
    "market": "市场",
    "market_group": "市场组",
    "hs": "产品",
    "industry": "行业",
    "town": "镇街",
    "district": "全区",
}


def _subject(w: Any) -> str:
    return str(w.name or w.key or SCOPE_WORDS.get(w.scope, w.scope))


def _warnings(reader: Any, period: str) -> tuple[Section, set[str]]:
    from exportwatch.warnings.labels import RULE_LABELS
    from exportwatch.warnings.selectors import warnings_visible

    found = list(
        warnings_visible(reader)
        .filter(period=period, active=True, level__in=("red", "orange"))
        .order_by("level", "scope", "key", "rule")  # "orange" < "red": reversed below
    )
    found.sort(key=lambda w: (w.level != "red", w.scope, w.key, w.rule))
    red = sum(w.level == "red" for w in found)
    names = list(dict.fromkeys(_subject(w) for w in found))
    section = Section(
        heading="预警情况",
        paragraphs=[words.warnings_sentence(red=red, orange=len(found) - red, names=names)],
    )
    if found:
        section.tables.append(
            Table(
                caption="表：橙色及以上预警",
                header=["级别", "对象类型", "对象", "规则", "指标值", "阈值"],
                rows=[
                    [
                        "红色" if w.level == "red" else "橙色",
                        SCOPE_WORDS.get(w.scope, w.scope),
                        _subject(w),
                        str(RULE_LABELS.get(w.rule, w.rule)),
                        "—" if w.value is None else f"{w.value:.3g}",
                        "—" if w.threshold is None else f"{w.threshold:.3g}",
                    ]
                    for w in found[: TABLE_ROWS * 3]
                ],
            )
        )
    red_usccs = {w.key for w in found if w.level == "red" and w.scope == "enterprise"}
    return section, red_usccs


def _cases(reader: Any, period: str, now: dt.datetime | None) -> Section:
    from exportwatch.cases.selectors import case_performance

    rows = case_performance(reader, start=period_start(period), end=period_end(period), by="all", now=now)
    p = rows[0] if rows else None
    sentence = words.cases_sentence(
        filed=p.filed if p else 0,
        resolved=p.resolved if p else 0,
        resolution_rate=p.resolution_rate if p else None,
        breached=p.breached if p else 0,
        mean_rating=p.mean_rating if p else None,
    )
    return Section(heading="问题清单办理情况", paragraphs=[sentence])


def _finance(reader: Any) -> Section:
    from exportwatch.finance.models import Product
    from exportwatch.finance.selectors import progress_of

    p = progress_of(reader, product_labels={str(v): str(label) for v, label in Product.choices})
    section = Section(
        heading="白名单融资进展",
        paragraphs=[
            words.finance_sentence(
                eligible=p.eligible,
                approved=p.approved,
                referrals=p.referrals,
                granted=p.granted,
                granted_usd=float(p.granted_usd),
                awaiting=p.awaiting,
            )
        ],
    )
    if p.by_institution:
        section.tables.append(
            Table(
                caption="表：分金融机构融资进展",
                header=["金融机构", "推送", "获融资", "未获", "待反馈", "融资金额（万美元）"],
                rows=[
                    [
                        t.label,
                        str(t.referred),
                        str(t.granted),
                        str(t.refused),
                        str(t.pending),
                        _money_cell(t.granted_usd),
                    ]
                    for t in p.by_institution
                ],
            )
        )
    return section


def _forecast(reader: Any, period: str) -> Section:
    """The district's forecast for the next three months with the order book it rests on, and the year's target
    against year-to-date plus forecast (the run of ``period``, else the latest)."""
    from exportwatch.forecasting.models import Scope
    from exportwatch.forecasting.selectors import (
        forecast_get,
        order_book_of,
        outlook_of,
        run_latest,
        run_of,
        target_status,
    )

    run = run_of(period) or run_latest()
    district = forecast_get(reader, run, scope=Scope.DISTRICT, key="") if run else None
    section = Section(heading="出口预测与目标缺口")
    outlook = outlook_of(district) if district else None
    if outlook is not None:
        section.paragraphs.append(
            words.outlook_sentence(months=outlook.months, expected=outlook.expected, year_ago=outlook.year_ago)
        )
    book = order_book_of(district) if district else None
    if book is not None:
        section.paragraphs.append(
            words.order_book_sentence(
                period=book.last.period,
                orders_change=book.last.orders_change,
                exports_change=book.last.exports_change,
                cover=book.last.cover,
                cover_year_ago=book.cover_year_ago,
                lead=book.lead_window,
            )
        )
    status = target_status(run=run, year=int(period[:4])) if run else None
    if status is None:
        section.paragraphs.append(
            "本年度未设定出口目标，无法测算目标缺口。"
            if section.paragraphs
            else "暂无本年度的出口预测或目标，无法测算目标缺口。"
        )
        return section
    t = status.track
    section.paragraphs.append(
        words.target_sentence(
            year=status.year,
            target=t.target,
            year_to_date=t.year_to_date,
            expected=t.expected,
            gap=t.gap,
            probability=t.probability,
        )
    )
    section.paragraphs.append(
        f"预测起点为{words.period_label(run.origin_period)}，据此测算剩余{status.forecast_months}个月。"
    )
    return section


def _visits(reader: Any, scope: mon.Scope, red_usccs: set[str]) -> Section:
    from exportwatch.cases.models import Case
    from exportwatch.cases.selectors import cases_visible

    open_states = [s for s in case_rules.STATES if case_rules.is_open(s)]
    urgent = cases_visible(reader).filter(urgency="urgent", state__in=open_states)
    urgent_by: dict[str, list[Case]] = {}
    for c in urgent.select_related("enterprise").order_by("created_at", "pk"):
        urgent_by.setdefault(c.enterprise.uscc, []).append(c)
    usccs = red_usccs | set(urgent_by)
    enterprises = {e.uscc: e for e in scope.enterprises.filter(uscc__in=sorted(usccs)).select_related("town")}
    ordered = sorted(enterprises.values(), key=lambda e: (e.uscc not in red_usccs, e.town_id or "", e.name))
    section = Section(
        heading="建议走访企业",
        paragraphs=[
            words.visits_sentence(
                enterprises=len(ordered),
                red=sum(e.uscc in red_usccs for e in ordered),
                urgent=sum(e.uscc in urgent_by for e in ordered),
            )
        ],
    )
    if ordered:
        section.tables.append(
            Table(
                caption="表：建议走访企业",
                header=["企业", "镇街", "原因"],
                rows=[
                    [
                        e.name,
                        e.town.name if e.town else "",
                        "；".join(
                            (["红色预警"] if e.uscc in red_usccs else [])
                            + [f"紧急诉求：{c.title}" for c in urgent_by.get(e.uscc, [])[:2]]
                        ),
                    ]
                    for e in ordered[:VISIT_ROWS]
                ],
            )
        )
    return section


def _scope_of(reader: Any) -> tuple[mon.Scope, bool]:
    from exportwatch.common.scoping import enterprises_visible, region_codes_visible, sees_everything

    return (
        mon.Scope(enterprises=enterprises_visible(reader), regions=region_codes_visible(reader)),
        sees_everything(reader),
    )


def brief_content(
    *,
    period: str | None,
    kind: str,
    reader: Any = None,
    now: dt.datetime | None = None,
    week_ending: dt.date | None = None,
) -> BriefContent:
    """The brief for ``reader`` (None: the whole bureau).

    A monthly brief is of ``period`` (``YYYY-MM``, required) and has every section. A weekly brief is of the
    seven days ending on ``week_ending`` (default: today) — see ``_week`` for what happened in them — with the
    headline of ``period`` for context (default: the latest month with a report submitted by the week's end).
    """
    if kind not in words.KINDS:
        raise ValueError(f"kind must be one of {words.KINDS}, not {kind!r}")
    reader = reader or _bureau_reader()
    scope, whole = _scope_of(reader)
    if kind == words.WEEKLY:
        return _weekly(scope=scope, reader=reader, period=period, week_ending=week_ending or clock.today(), now=now)
    if period is None:
        raise ValueError("a monthly brief needs its month (YYYY-MM)")
    period_range(period, period)  # validates the period
    headline, numbers = _headline(scope, period)
    warnings_section, red = _warnings(reader, period)
    sections = [
        headline,
        _structure(scope, period, "market", "市场"),
        _structure(scope, period, "hs", "产品"),
        _structure(scope, period, "industry", "行业"),
        _structure(scope, period, "town", "镇街"),
        _difficulties(scope, period),
        warnings_section,
        _cases(reader, period, now),
        _finance(reader),
    ]
    if whole:
        sections.append(_forecast(reader, period))
    sections.append(_visits(reader, scope, red))
    _renumber(sections)
    before = period_add(period, -12)
    return BriefContent(
        period=period,
        kind=kind,
        title=words.brief_title(period=period, kind=kind),
        subtitle=f"数据期：{words.period_label(period)}（同比基期：{words.period_label(before)}）",
        sections=sections,
        headline=numbers,
    )


# The weekly brief ----------------------------------------------------------------------------------------------

WEEK_DAYS = 7


@dataclass(frozen=True)
class Week:
    """The seven local days ``start`` … ``end`` (inclusive), and the same as the half-open instants
    ``[since, until)``: local midnight of ``start`` to local midnight after ``end``."""

    start: dt.date
    end: dt.date
    since: dt.datetime
    until: dt.datetime


def week_of(week_ending: dt.date) -> Week:
    """The week of seven days ending on ``week_ending`` (in the bureau's time zone)."""
    from django.utils import timezone

    start = week_ending - dt.timedelta(days=WEEK_DAYS - 1)
    return Week(
        start=start,
        end=week_ending,
        since=timezone.make_aware(dt.datetime.combine(start, dt.time())),
        until=timezone.make_aware(dt.datetime.combine(week_ending + dt.timedelta(days=1), dt.time())),
    )


def latest_reported_period(scope: mon.Scope, *, until: dt.datetime) -> str | None:
    """The latest month with a report (of an enterprise in ``scope``) submitted before ``until``."""
    from exportwatch.reporting.models import Report

    return (
        Report.objects.filter(enterprise__in=scope.enterprises, submitted_at__lt=until)
        .order_by("-period")
        .values_list("period", flat=True)
        .first()
    )


def _count_pairs(values: list[str], names: dict[str, str]) -> list[tuple[str, int]]:
    """``["a", "b", "a"]`` -> ``[(name of a, 2), (name of b, 1)]``: most first, then by name."""
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return sorted(((names.get(k, k), n) for k, n in counts.items()), key=lambda p: (-p[1], p[0]))


def _week_reports(scope: mon.Scope, period: str, week: Week) -> Section:
    """Reports submitted in the week: every version whose ``submitted_at`` falls in ``[since, until)`` (any
    month's), by town; and, for ``period``, how many of the enterprises expected to report (every enterprise of
    the scope) had a report submitted before the week's end."""
    from exportwatch.reporting.models import Report

    submitted = list(
        Report.objects.filter(
            enterprise__in=scope.enterprises, submitted_at__gte=week.since, submitted_at__lt=week.until
        ).values_list("enterprise_id", "enterprise__town_id", "enterprise__town__name")
    )
    towns = {code: name for _e, code, name in submitted if code}
    by_town = _count_pairs([code or "" for _e, code, _n in submitted], towns)
    expected = scope.enterprises.count()
    reported = (
        Report.objects.filter(enterprise__in=scope.enterprises, period=period, submitted_at__lt=week.until)
        .values("enterprise_id")
        .distinct()
        .count()
    )
    section = Section(
        heading="本周报送情况",
        paragraphs=[
            words.week_reports_sentence(
                reports=len(submitted),
                enterprises=len({e for e, _c, _n in submitted}),
                period=period,
                reported=reported,
                expected=expected,
                towns=by_town,
            )
        ],
    )
    if by_town:
        section.tables.append(
            Table(
                caption="表：本周分镇街报送", header=["镇街", "提交报表（份）"], rows=[[t, str(n)] for t, n in by_town]
            )
        )
    return section


def _week_disruptions(scope: mon.Scope, week: Week) -> Section:
    """Disruption events filed in the week: ``created_at`` (when the event was filed or imported, not the date
    the enterprise gives for it) in ``[since, until)``."""
    from exportwatch.reporting.models import Disruption

    events = list(
        Disruption.objects.filter(
            enterprise__in=scope.enterprises, created_at__gte=week.since, created_at__lt=week.until
        ).values_list("kind", "market_id", "market__name", "amount_usd")
    )
    amount = sum(float(a or 0) for *_x, a in events)
    kinds = _count_pairs([k for k, *_x in events], words.DISRUPTION_KIND_WORDS)
    market_names = {code: name for _k, code, name, _a in events if code}
    markets = _count_pairs([code for _k, code, _n, _a in events if code], market_names)
    section = Section(
        heading="本周订单受阻事件",
        paragraphs=[words.week_disruptions_sentence(events=len(events), amount=amount, kinds=kinds, markets=markets)],
    )
    if events:
        section.tables.append(
            Table(
                caption="表：本周新增受阻事件（按类型）",
                header=["类型", "事件（起）"],
                rows=[[k, str(n)] for k, n in kinds],
            )
        )
    return section


def _week_cases(reader: Any, scope: mon.Scope, week: Week) -> Section:
    """The problem list in the week: needs with ``created_at`` in the week; cases with ``created_at`` (filed),
    ``closed_at`` (entered an end state: closed, declined, withdrawn or merged) and ``escalated_at`` (the first
    breach of a time limit) in ``[since, until)``."""
    from exportwatch.cases.selectors import cases_visible
    from exportwatch.reporting.models import Need

    def within(field: str) -> dict[str, dt.datetime]:
        return {f"{field}__gte": week.since, f"{field}__lt": week.until}

    cases = cases_visible(reader)
    needs = Need.objects.filter(enterprise__in=scope.enterprises, **within("created_at")).count()
    return Section(
        heading="本周问题清单",
        paragraphs=[
            words.week_cases_sentence(
                needs=needs,
                filed=cases.filter(**within("created_at")).count(),
                closed=cases.filter(**within("closed_at")).count(),
                breached=cases.filter(**within("escalated_at")).count(),
            )
        ],
    )


def _week_warnings(reader: Any, period: str, week: Week) -> Section:
    """Warnings that became orange or red in the week. A warning has no history of its levels, so this is read
    from the evaluated data: the warnings of ``period`` still firing at orange or red whose ``evaluated_at`` (the
    evaluation that last wrote them) is in ``[since, until)`` and which either first fired in ``period``
    (``first_period == period``: new, not carried over from the month before) or stood below orange in the
    month before (rose). A warning re-written in the week by a later evaluation at an unchanged level and
    carried over from an orange or red month before is not counted; one first fired earlier in the same month and
    re-written in the week is (the evaluation time is all that is kept)."""
    from exportwatch.warnings.selectors import warnings_visible

    visible = warnings_visible(reader)
    candidates = list(
        visible.filter(
            period=period,
            active=True,
            level__in=("red", "orange"),
            evaluated_at__gte=week.since,
            evaluated_at__lt=week.until,
        )
    )
    high_before = set(
        visible.filter(period=period_add(period, -1), level__in=("red", "orange")).values_list("scope", "key", "rule")
    )
    found = [w for w in candidates if w.first_period == period or (w.scope, w.key, w.rule) not in high_before]
    found.sort(key=lambda w: (w.level != "red", w.scope, w.key, w.rule))
    red = sum(w.level == "red" for w in found)
    return Section(
        heading="本周新发预警",
        paragraphs=[
            words.week_warnings_sentence(
                red=red, orange=len(found) - red, names=list(dict.fromkeys(_subject(w) for w in found))
            )
        ],
    )


def _week_finance(reader: Any, week: Week) -> Section:
    """The white list in the week: referrals with ``referred_at`` in ``[since, until)``; grants (outcome granted)
    with ``granted_on`` between ``start`` and ``end``."""
    from exportwatch.finance.models import Outcome
    from exportwatch.finance.selectors import referrals_visible

    visible = referrals_visible(reader)
    grants = list(
        visible.filter(outcome=Outcome.GRANTED, granted_on__gte=week.start, granted_on__lte=week.end).values_list(
            "granted_usd", flat=True
        )
    )
    return Section(
        heading="本周白名单融资",
        paragraphs=[
            words.week_finance_sentence(
                referrals=visible.filter(referred_at__gte=week.since, referred_at__lt=week.until).count(),
                granted=len(grants),
                granted_usd=sum(float(g or 0) for g in grants),
            )
        ],
    )


def _weekly(
    *, scope: mon.Scope, reader: Any, period: str | None, week_ending: dt.date, now: dt.datetime | None
) -> BriefContent:
    week = week_of(week_ending)
    if period is None:
        period = latest_reported_period(scope, until=week.until) or period_add(period_of(week_ending), -1)
    period_range(period, period)  # validates the period
    headline, numbers = _headline(scope, period)
    headline.heading = f"{words.period_label(period)}总体情况"
    headline.charts = []  # the month's trend belongs to the monthly brief
    _warnings_section, red = _warnings(reader, period)
    sections = [
        _week_reports(scope, period, week),
        _week_disruptions(scope, week),
        _week_cases(reader, scope, week),
        _week_warnings(reader, period, week),
        _week_finance(reader, week),
        headline,
        _visits(reader, scope, red),
    ]
    _renumber(sections)
    numbers = {
        **numbers,
        "week_start": week.start.isoformat(),
        "week_end": week.end.isoformat(),
    }
    return BriefContent(
        period=period,
        kind=words.WEEKLY,
        title=words.weekly_title(start=week.start, end=week.end),
        subtitle=f"统计周期：{words.week_label(start=week.start, end=week.end)}；月度数据期：{words.period_label(period)}",
        sections=sections,
        headline=numbers,
    )


_NUMERALS = "一二三四五六七八九十"


def _renumber(sections: list[Section]) -> None:
    """Number the headings in order (一、二、…), whatever sections the kind keeps."""
    for i, s in enumerate(sections):
        number = _NUMERALS[i] if i < 10 else f"十{_NUMERALS[i - 10]}"
        s.heading = f"{number}、{s.heading}"


def briefs_archived() -> Any:
    """The archive, newest first (every brief is of the whole jurisdiction: see ``may_use_briefs``)."""
    from exportwatch.briefs.models import Brief

    return Brief.objects.select_related("created_by")


def brief_role(user: Any) -> bool:
    """Whether ``user``'s role may ever use the briefs: analysts, leaders and administrators."""
    from exportwatch.accounts.models import Role
    from exportwatch.common.scoping import is_admin

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return is_admin(user) or user.role in (Role.ANALYST, Role.LEADER)


def may_use_briefs(user: Any) -> bool:
    """A brief role who sees every enterprise: a brief (and the archive) is of the whole jurisdiction."""
    from exportwatch.common.scoping import sees_everything

    return brief_role(user) and sees_everything(user)
