"""The demo's financing white list (DESIGN §10) as the bureau worked it in the spring 2020 campaign, up to the demo
date.

Everything goes through the real services (``finance.services``) with the clock replayed to each step
(``common.clock.replaying``), so every decision, referral and outcome is audited as in real use. The plan is
deterministic (drawn from each enterprise's credit code) and every step lies before the start of the demo date.

* The list was drawn up when the campaign began (:data:`LIST_DRAWN_UP`, the worker's first refresh): every entry
  is on it since then. :func:`demo_whitelist_draw_up` replays that refresh into an empty list; the demo date's
  refresh judges it again on the data of that day.
* The analyst reviewed the entries that called for it: the high-priority ones and those of enterprises that asked
  for money (financing, credit insurance, payment collection, exchange rate) in the campaign, one to three working
  days after the first such need (or after the campaign began), the high-priority ones without a need spread over
  the following six weeks. One in eight was rejected, with the reason found; the others approved. The other
  entries, and those whose review would fall on the demo date, still await approval.
* Each approved entry was referred, the same day or up to two working days later, for the first loan product the
  rules matched to it (now, or while its campaign needs were open) to a bank, the banks taking turns by credit
  code, and for export credit insurance to the credit insurer when that matched too. An entry no product matched
  was approved but not referred.
* The institution answered 6 to 20 working days later (its handler, where it has a login; else the analyst
  recorded it): one in seven refused with a reason, the others granted a loan of a share of the enterprise's
  financing needs, or of a few per cent of its trade when it named no amount, or an insurance limit of a share of
  its exports (rounded to 10,000 USD). The referrals younger than that still await the institution.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from exportwatch.cases.selectors import department_handlers, work_calendar
from exportwatch.common import clock
from exportwatch.core import whitelist as core
from exportwatch.core.cases import TERMINAL_STATES
from exportwatch.core.workdays import WorkCalendar
from exportwatch.demo.casework import draw, workdays
from exportwatch.finance.models import Approval, Outcome, Referral, WhitelistEntry
from exportwatch.finance.selectors import institutions
from exportwatch.finance.services import (
    entry_decide,
    referral_create,
    referral_record_outcome,
    whitelist_refresh,
)
from exportwatch.reporting.models import Need

LIST_DRAWN_UP = dt.date(2020, 2, 24)  # the Monday the bureau drew up the list, as its spring campaign began
APPROVED = "符合融资白名单条件，同意向合作金融机构推荐。"
APPROVED_FOR_NEED = "企业提出资金类诉求，符合白名单条件，同意推荐对接金融机构。"
REJECTIONS = (
    "经镇（街道）核实，企业已停产，暂不推荐。",
    "经税务部门核实，企业存在欠税，暂不推荐。",
    "企业被列为失信被执行人，暂不推荐。",
    "企业表示已获得银行授信，暂无融资需要。",
)
REFERRAL_NOTES = {
    core.CREDIT_INSURANCE_LOAN: "企业出口占比较高，请结合出口信用保险保单办理信保贷，优先审批。",
    core.GUARANTEED_LOAN: "企业缺少抵押物，请联系区融资担保公司办理政策性担保贷款。",
    core.CREDIT_LOAN: "企业进出口规模较大、经营稳定，请评估信用贷款授信。",
    core.EXPORT_CREDIT_INSURANCE: "请对接企业办理出口信用保险，并提供买方资信调查。",
}
LOAN_REFUSALS = (
    "企业资产负债率偏高，暂不符合授信条件。",
    "企业征信报告存在逾期记录，暂不予授信。",
    "担保机构评估后未同意担保，企业无法提供足额反担保。",
)
INSURANCE_REFUSALS = (
    "境外买方资信不足，暂不予承保。",
    "买方所在国家风险较高，暂不予承保。",
)
NEED_SHARES = (Decimal(1), Decimal(1), Decimal("0.8"), Decimal("0.7"), Decimal("0.5"))
"""The share of its financing needs a bank lent."""
TRADE_SHARES = (Decimal("0.03"), Decimal("0.04"), Decimal("0.05"), Decimal("0.06"), Decimal("0.08"))
"""The share of its trade a bank lent an enterprise that named no amount."""
INSURED_SHARES = (Decimal("0.1"), Decimal("0.15"), Decimal("0.2"), Decimal("0.25"), Decimal("0.3"))
"""The share of its exports the credit insurer's limit covered."""
TRADE_LOAN_CAP = Decimal(2_000_000)  # what a bank lent at most on trade alone, with no amount asked
INSURED_CAP = Decimal(5_000_000)  # the largest limit the credit insurer granted one enterprise
REJECT_ONE_IN = 8  # of the entries reviewed
ROUND_TO = Decimal(10_000)
HOURS = (9, 10, 10, 11, 14, 15, 15, 16)


@dataclass(order=True)
class Step:
    at: dt.datetime
    entry_pk: int
    seq: int
    do: Callable[[], Any] = field(compare=False)


@dataclass
class FinancingSummary:
    """What was played now (zero on a second run)."""

    approved: int = 0
    rejected: int = 0
    referrals: int = 0
    by_institution: dict[str, int] = field(default_factory=dict)
    granted: int = 0
    granted_usd: Decimal = Decimal(0)
    refused: int = 0
    awaiting: int = 0


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _working_days_after(calendar: WorkCalendar, day: dt.date, count: int) -> dt.date:
    """The ``count``-th working day after ``day`` (``day`` itself, or the next working day, for 0)."""
    return workdays(calendar, day, count + 1)[-1]


def _rounded(amount: Decimal) -> Decimal:
    """To 10,000 USD, never below it."""
    return max(ROUND_TO, (amount / ROUND_TO).quantize(Decimal(1), rounding=ROUND_HALF_UP) * ROUND_TO)


def demo_whitelist_draw_up() -> bool:
    """Draw up the list as the campaign began (the worker's first refresh, replayed), when it is still empty;
    returns whether it did. The caller then refreshes it on the demo date."""
    cutoff = timezone.make_aware(dt.datetime.combine(clock.today(), dt.time(0, 0)))
    drawn_up = _at(LIST_DRAWN_UP, 9)
    if drawn_up >= cutoff or WhitelistEntry.objects.exists():
        return False
    with clock.replaying(drawn_up):
        whitelist_refresh()
    return True


class _Plan:
    """The dated steps of one entry, and the draws they are chosen by (from its credit code)."""

    def __init__(self, entry: WhitelistEntry, calendar: WorkCalendar) -> None:
        self.entry = entry
        self.calendar = calendar
        self.h = draw(f"financing|{entry.enterprise.uscc}")
        self.steps: list[Step] = []

    def pick(self, shift: int, n: int) -> int:
        return (self.h >> shift) % n

    def day(self, start: dt.date, count: int) -> dt.date:
        return _working_days_after(self.calendar, start, count)

    def add(self, when: dt.datetime, do: Callable[[], Any]) -> None:
        self.steps.append(Step(when, self.entry.pk, len(self.steps), do))


@dataclass(frozen=True)
class _Asked:
    """An enterprise's money needs of the campaign: the day of the first, and the needs as the rules read them."""

    first: dt.date
    needs: tuple[core.NeedItem, ...]

    @property
    def financing_usd(self) -> Decimal:
        return sum((n.amount_usd or Decimal(0) for n in self.needs if n.category == core.FINANCING), Decimal(0))


def _money_needs(enterprise_ids: list[int], cutoff: dt.date) -> dict[int, _Asked]:
    """Per enterprise: its money needs filed in the campaign's year before the demo date (whether their cases are
    closed by now or not: they were open when the analyst looked), but not those declined, withdrawn or merged."""
    rows = (
        Need.objects.filter(
            enterprise_id__in=enterprise_ids,
            category__in=core.MONEY_NEED_CATEGORIES,
            date__gte=dt.date(LIST_DRAWN_UP.year, 1, 1),
            date__lt=cutoff,
        )
        .exclude(case__state__in=sorted(TERMINAL_STATES - {"closed"}))
        .order_by("date", "id")
        .values_list("enterprise_id", "date", "category", "amount_usd", "urgency", "description")
    )
    firsts: dict[int, dt.date] = {}
    needs: dict[int, list[core.NeedItem]] = {}
    for eid, day, category, amount, urgency, description in rows:
        firsts.setdefault(eid, day)
        needs.setdefault(eid, []).append(core.NeedItem(category, amount, urgency, description or ""))
    return {eid: _Asked(firsts[eid], tuple(items)) for eid, items in needs.items()}


def _products_then(entry: WhitelistEntry, asked: _Asked | None) -> set[str]:
    """The products matched to the entry now, and those the rules matched while its campaign needs were open."""
    now_matched = {m.product for m in entry.matches.all()}
    if asked is None:
        return now_matched
    f = entry.figures
    facts = core.FinanceFacts(
        exports_usd=Decimal(f.get("exports_usd") or 0),
        imports_usd=Decimal(f.get("imports_usd") or 0),
        worst_level=f.get("worst_warning") or None,
        main_market_in_warning=bool(f.get("main_market_in_warning")),
        payment_terms_extended=bool(f.get("payment_terms_extended")),
        needs=asked.needs,
    )
    threshold = Decimal(f.get("threshold_usd") or core.DEFAULT_THRESHOLD_USD)
    return now_matched | {m.product for m in core.products_for(facts, threshold_usd=threshold)}


def _plan(
    entry: WhitelistEntry,
    *,
    calendar: WorkCalendar,
    analyst: Any,
    asked: _Asked | None,
    banks: list[Any],
    insurers: list[Any],
    answerers: dict[str, Any],
    done: Counter[str],
) -> list[Step]:
    plan = _Plan(entry, calendar)
    pick = plan.pick
    if asked is not None:
        review_day = plan.day(max(asked.first, LIST_DRAWN_UP), 1 + pick(0, 3))
    elif entry.priority == core.HIGH or entry.figures.get("money_needs"):
        review_day = plan.day(LIST_DRAWN_UP, 1 + pick(0, 30))
    else:
        return []  # nothing pressed for a review: it still awaits approval
    review_at = _at(review_day, HOURS[pick(4, len(HOURS))], 15 * pick(8, 4))

    if pick(12, REJECT_ONE_IN) == 0:
        note = REJECTIONS[pick(16, len(REJECTIONS))]

        def reject() -> None:
            entry_decide(entry=entry, decision=Approval.REJECTED, actor=analyst, note=note)
            done["rejected"] += 1

        plan.add(review_at, reject)
        return plan.steps

    def approve() -> None:
        entry_decide(
            entry=entry,
            decision=Approval.APPROVED,
            actor=analyst,
            note=APPROVED_FOR_NEED if asked is not None else APPROVED,
        )
        done["approved"] += 1

    plan.add(review_at, approve)

    matched = _products_then(entry, asked)
    financing_usd = asked.financing_usd if asked is not None else Decimal(0)
    loan = next((p for p in core.PRODUCTS if p in matched and "bank" in core.PRODUCT_INSTITUTION_KINDS[p]), None)
    figures = entry.figures
    trade = Decimal(figures.get("trade_usd") or 0)
    exports = Decimal(figures.get("exports_usd") or 0)
    wanted: list[tuple[str, Any, Decimal, tuple[str, ...]]] = []
    if loan is not None and banks:
        if financing_usd > 0:
            amount = financing_usd * NEED_SHARES[pick(20, len(NEED_SHARES))]
        else:
            amount = min(TRADE_LOAN_CAP, trade * TRADE_SHARES[pick(20, len(TRADE_SHARES))])
        wanted.append((loan, banks[pick(24, len(banks))], _rounded(amount), LOAN_REFUSALS))
    if core.EXPORT_CREDIT_INSURANCE in matched and insurers and exports > 0:
        amount = min(INSURED_CAP, exports * INSURED_SHARES[pick(28, len(INSURED_SHARES))])
        wanted.append((core.EXPORT_CREDIT_INSURANCE, insurers[0], _rounded(amount), INSURANCE_REFUSALS))

    for i, (product, institution, amount, refusals) in enumerate(wanted):
        _refer(
            plan,
            product=product,
            institution=institution,
            amount=amount,
            refusals=refusals,
            after=(review_day, review_at),
            analyst=analyst,
            answerer=answerers.get(institution.code, analyst),
            shift=32 + 12 * i,
            done=done,
        )
    return plan.steps


def _refer(
    plan: _Plan,
    *,
    product: str,
    institution: Any,
    amount: Decimal,
    refusals: tuple[str, ...],
    after: tuple[dt.date, dt.datetime],
    analyst: Any,
    answerer: Any,
    shift: int,
    done: Counter[str],
) -> None:
    """The steps of one referral: made by the analyst after the approval, answered by the institution."""
    pick, entry = plan.pick, plan.entry
    review_day, review_at = after
    later = pick(shift, 3)
    refer_day = plan.day(review_day, later)
    refer_at = review_at + dt.timedelta(hours=1) if later == 0 else _at(refer_day, 10 + pick(shift + 2, 6))
    made: list[Referral] = []

    def refer() -> None:
        made.append(
            referral_create(
                entry=entry, product=product, institution=institution, actor=analyst, note=REFERRAL_NOTES[product]
            )
        )
        done["referrals"] += 1
        done[f"to:{institution.code}"] += 1

    plan.add(refer_at, refer)
    answer_day = plan.day(refer_day, 6 + pick(shift + 4, 15))
    answer_at = _at(answer_day, 10 + pick(shift + 8, 7))
    if pick(shift + 6, 7) == 0:
        reason = refusals[pick(shift + 10, len(refusals))]

        def refuse() -> None:
            referral_record_outcome(referral=made[0], outcome=Outcome.REFUSED, actor=answerer, reason=reason)
            done["refused"] += 1

        plan.add(answer_at, refuse)
        return

    def grant() -> None:
        referral_record_outcome(
            referral=made[0], outcome=Outcome.GRANTED, actor=answerer, granted_usd=amount, granted_on=answer_day
        )
        done["granted"] += 1

    plan.add(answer_at, grant)


def demo_financing_play(*, analyst: Any) -> FinancingSummary:
    """Play the analyst's white-list work of the campaign as the module's docstring says, up to the start of the
    demo date. Idempotent: only the eligible entries still awaiting approval and never referred are planned, and a
    plan leaves pending exactly the entries it left pending before."""
    cutoff_day = clock.today()
    cutoff = timezone.make_aware(dt.datetime.combine(cutoff_day, dt.time(0, 0)))
    entries = list(
        WhitelistEntry.objects.filter(eligible=True, approval=Approval.PENDING, referrals__isnull=True)
        .select_related("enterprise")
        .prefetch_related("matches")
        .order_by("enterprise__uscc")
    )
    summary = FinancingSummary()
    if not entries:
        return summary
    calendar = work_calendar()
    asked = _money_needs([e.enterprise_id for e in entries], cutoff_day)
    offering = list(institutions())
    banks = [d for d in offering if d.kind == "bank"]
    insurers = [d for d in offering if d.kind == "credit_insurer"]
    # The institution's own handler records its answer where it has a login; the analyst otherwise.
    answerers = {d.code: found[0] for d in offering if (found := department_handlers([d.code]))}
    done: Counter[str] = Counter()
    steps: list[Step] = []
    for entry in entries:
        steps += _plan(
            entry,
            calendar=calendar,
            analyst=analyst,
            asked=asked.get(entry.enterprise_id),
            banks=banks,
            insurers=insurers,
            answerers=answerers,
            done=done,
        )
    with transaction.atomic():  # all of it or nothing: a half-played entry would never be played again
        for step in sorted(steps):
            if step.at >= cutoff:
                continue  # its time has not come yet: awaiting approval, referral or the institution
            with clock.replaying(step.at):
                step.do()
    summary.approved, summary.rejected, summary.referrals = done["approved"], done["rejected"], done["referrals"]
    summary.granted, summary.refused = done["granted"], done["refused"]
    summary.awaiting = summary.referrals - summary.granted - summary.refused
    summary.by_institution = {k[3:]: n for k, n in sorted(done.items()) if k.startswith("to:")}
    granted = Referral.objects.filter(
        entry__in=[e.pk for e in entries], outcome=Outcome.GRANTED, granted_usd__isnull=False
    ).aggregate(total=Sum("granted_usd"))
    summary.granted_usd = granted["total"] or Decimal(0)
    return summary
