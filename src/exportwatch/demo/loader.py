"""Load the generated demo district into the database (bulk, idempotent) and create one login per role."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count

from exportwatch.accounts.models import Role
from exportwatch.campaign.demo import campaign_demo_load
from exportwatch.cases.models import Case
from exportwatch.cases.selectors import routing_rules
from exportwatch.core.concentration import market_mix
from exportwatch.core.records import DisruptionIn, NeedIn
from exportwatch.demo.casework import demo_cases_play
from exportwatch.demo.financing import demo_financing_play, demo_whitelist_draw_up
from exportwatch.demo.generator import DemoData, DemoReport, generate
from exportwatch.directory.models import Department, Enterprise, Region
from exportwatch.finance.services import whitelist_refresh
from exportwatch.forecasting.demo import demo_forecasts_load
from exportwatch.monitoring.cells import cells_rebuild
from exportwatch.reporting.models import Disruption, Need, Report, ReportLine, Source
from exportwatch.reporting.services import disruption_values, fingerprint, need_values
from exportwatch.warnings.record import rules_backtest
from exportwatch.warnings.services import warnings_evaluate

DEMO_PASSWORD = "exportwatch-demo"
DEMO_DISTRICT = "330213"


@dataclass
class DemoSummary:
    enterprises: int = 0
    head: int = 0
    whitelist: int = 0
    reports: int = 0
    lines: int = 0
    disruptions: int = 0
    needs: int = 0
    cases: int = 0
    added_enterprises: int = 0
    added_cases: int = 0
    added_reports: int = 0
    added_referrals: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=dt.timezone(dt.timedelta(hours=8)))


def demo_load() -> DemoSummary:
    towns = list(
        Region.objects.filter(level=Region.Level.TOWN, path__contains=f"/{DEMO_DISTRICT}/")
        .order_by("code")
        .values_list("code", flat=True)
    )
    data = generate(towns=towns)
    summary = DemoSummary()
    with transaction.atomic():
        summary.added_enterprises = _load_enterprises(data)
        summary.added_reports = _load_reports(data)
        _load_events(data)
        summary.logins = _ensure_users(data)
        # The needs were bulk-loaded past the receiver: their cases, moved as far as they had come by the demo date.
        summary.added_cases = demo_cases_play(analyst=get_user_model().objects.get(username="analyst")).cases
        if summary.added_reports:
            cells_rebuild()  # the reports were bulk-loaded past the services
            # The warnings as they stood each month, oldest first (each carries on from the month before).
            for period in sorted(set(Report.objects.values_list("period", flat=True))):
                warnings_evaluate(period=period)
            rules_backtest()  # each rule's record on that history, for the rules page
    ents = Enterprise.objects.filter(town__path__contains=f"/{DEMO_DISTRICT}/")
    summary.enterprises = ents.count()
    summary.head = ents.head().count()
    summary.whitelist = ents.whitelist_eligible().count()
    summary.reports = Report.objects.filter(enterprise__in=ents, is_current=True).count()
    summary.lines = ReportLine.objects.filter(report__enterprise__in=ents, report__is_current=True).count()
    summary.disruptions = Disruption.objects.filter(enterprise__in=ents).count()
    summary.needs = Need.objects.filter(enterprise__in=ents).count()
    summary.cases = Case.objects.filter(enterprise__in=ents).count()
    demo_whitelist_draw_up()  # the list as the bureau drew it up when its spring campaign began
    whitelist_refresh()  # the financing white list judged on the loaded registry, needs, cases and warnings
    # The analyst's approvals, referrals and the institutions' answers of the campaign, up to the demo date.
    summary.added_referrals = demo_financing_play(analyst=get_user_model().objects.get(username="analyst")).referrals
    demo_forecasts_load()  # the year's export target and the forecasts as of the demo date
    campaign_demo_load()  # each town's reporting quota: 90% of its registered enterprises
    return summary


def _load_enterprises(data: DemoData) -> int:
    existing = set(Enterprise.objects.values_list("uscc", flat=True))
    new = [e for e in data.enterprises if e.uscc not in existing]
    Enterprise.objects.bulk_create(
        Enterprise(
            uscc=e.uscc,
            name=e.name,
            customs_code=e.customs_code,
            town_id=e.town,
            industry_id=e.industry,
            exports_last_year_usd=Decimal(e.exports_last_year_usd),
            imports_last_year_usd=Decimal(e.imports_last_year_usd),
            contact_name=e.contact_name,
            contact_phone=e.contact_phone,
        )
        for e in new
    )
    ids = dict(Enterprise.objects.filter(uscc__in=[e.uscc for e in new]).values_list("uscc", "id"))
    through = Enterprise.segments.through
    through.objects.bulk_create(through(enterprise_id=ids[e.uscc], segment_id=code) for e in new for code in e.segments)
    return len(new)


def _load_reports(data: DemoData) -> int:
    ids = dict(Enterprise.objects.values_list("uscc", "id"))
    have = set(Report.objects.filter(is_current=True).values_list("enterprise_id", "period"))
    todo = [r for r in data.reports if (ids[r.uscc], r.period) not in have]
    batch = 2000
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        Report.objects.bulk_create(
            Report(
                enterprise_id=ids[r.uscc],
                period=r.period,
                version=1,
                is_current=True,
                exports_usd=Decimal(r.exports_usd),
                new_orders_usd=Decimal(r.new_orders_usd),
                backlog_usd=Decimal(r.backlog_usd),
                backlog_due_3m_usd=Decimal(r.backlog_due_3m_usd),
                capacity_utilization_pct=Decimal(r.capacity_utilization_pct),
                new_orders_trend=r.new_orders_trend,
                outlook_3m=r.outlook_3m,
                source=Source.DEMO,
                submitted_at=_at(r.submitted_on),
                **_mix(r),
            )
            for r in chunk
        )
        report_ids = {
            (eid, period): rid
            for rid, eid, period in Report.objects.filter(
                is_current=True, period__in={r.period for r in chunk}, enterprise_id__in={ids[r.uscc] for r in chunk}
            ).values_list("id", "enterprise_id", "period")
        }
        ReportLine.objects.bulk_create(
            ReportLine(
                report_id=report_ids[(ids[r.uscc], r.period)],
                market_id=ln.market,
                hs=ln.hs,
                backlog_usd=Decimal(ln.backlog_usd),
                new_orders_usd=Decimal(ln.new_orders_usd),
                exports_usd=Decimal(ln.exports_usd),
            )
            for r in chunk
            for ln in r.lines
        )
    return len(todo)


def _mix(report: DemoReport) -> dict[str, Any]:
    hhi, main = market_mix((ln.market, Decimal(ln.exports_usd)) for ln in report.lines)
    return {"market_hhi": hhi, "main_market": main or ""}


def _load_events(data: DemoData) -> None:
    """Disruptions and needs, fingerprinted exactly as the services do, so a re-run or an import adds none."""
    ids = dict(Enterprise.objects.values_list("uscc", "id"))
    have_d = set(Disruption.objects.values_list("fingerprint", flat=True))
    disruptions = []
    for d in data.disruptions:
        amount = Decimal(d.amount_usd)
        d_in = DisruptionIn(
            uscc=d.uscc, date=d.date, kind=d.kind, amount_usd=amount, market=d.market, hs=d.hs, note=d.note
        )
        fp = fingerprint("disruption", disruption_values(d_in))
        if fp not in have_d:
            have_d.add(fp)
            disruptions.append(
                Disruption(
                    enterprise_id=ids[d.uscc],
                    date=d.date,
                    kind=d.kind,
                    amount_usd=amount,
                    market_id=d.market or None,
                    hs=d.hs,
                    note=d.note,
                    source=Source.DEMO,
                    created_at=_at(d.date),
                    fingerprint=fp,
                )
            )
    Disruption.objects.bulk_create(disruptions)
    have_n = set(Need.objects.values_list("fingerprint", flat=True))
    needs = []
    for n in data.needs:
        amount_n = None if n.amount_usd is None else Decimal(n.amount_usd)
        n_in = NeedIn(
            uscc=n.uscc,
            date=n.date,
            category=n.category,
            amount_usd=amount_n,
            urgency=n.urgency,
            description=n.description,
        )
        fp = fingerprint("need", need_values(n_in))
        if fp not in have_n:
            have_n.add(fp)
            needs.append(
                Need(
                    enterprise_id=ids[n.uscc],
                    date=n.date,
                    category=n.category,
                    amount_usd=amount_n,
                    urgency=n.urgency,
                    description=n.description,
                    source=Source.DEMO,
                    created_at=_at(n.date),
                    fingerprint=fp,
                )
            )
    Need.objects.bulk_create(needs)


def _ensure_users(data: DemoData) -> list[tuple[str, str, str]]:
    user_model = get_user_model()
    district = Region.objects.get(code=DEMO_DISTRICT)
    # The town with most enterprises gets the demo town officer; the reporter is its largest exporter.
    busiest = (
        Enterprise.objects.filter(town__path__startswith=district.path)
        .values("town_id")
        .annotate(n=Count("id"))
        .order_by("-n", "town_id")
        .first()
    )
    town = Region.objects.get(code=busiest["town_id"]) if busiest else district
    # The demo reporter has not yet reported March 2020, so the first thing they see is the form to fill; one that
    # filed a need is preferred, so that it has a case to follow.
    in_town = Enterprise.objects.filter(town=town).order_by("-exports_last_year_usd")
    due = in_town.exclude(reports__period="2020-03").filter(reports__period="2020-02")
    enterprise = due.filter(need__isnull=False).first() or due.first() or in_town.first()
    department = Department.objects.filter(kind="finance").order_by("code").first() or Department.objects.first()
    specs = [
        ("admin", Role.ADMIN, {"is_staff": True, "is_superuser": True, "region": district}, "—"),
        ("analyst", Role.ANALYST, {"region": district}, district.name),
        ("leader", Role.LEADER, {"region": district}, district.name),
        ("town", Role.TOWN_OFFICER, {"region": town}, town.name),
        ("handler", Role.HANDLER, {"department": department}, department.name if department else "—"),
        ("reporter", Role.REPORTER, {"enterprise": enterprise}, enterprise.name if enterprise else "—"),
    ]
    # One handler for each other department the routing table sends cases to (as lead or co-handler).
    routed = {d for rule in routing_rules() for d in (rule.lead_department, *rule.co_departments.all()) if d}
    for other in sorted(routed - {department}, key=lambda d: d.code):
        specs.append((f"handler-{other.code}", Role.HANDLER, {"department": other}, other.name))
    logins = []
    for username, role, extra, scope in specs:
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model(username=username, role=role, **extra)
            user.set_password(DEMO_PASSWORD)
            user.save()
        logins.append((username, str(role.label), scope))
    return logins
