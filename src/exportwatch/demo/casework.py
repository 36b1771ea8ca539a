"""The demo's problem list (DESIGN §9): every spring-2020 need of the demo district becomes a case on the day it was
filed, and moves along the closed loop as the bureau and the departments would have moved it by the demo date.

Everything goes through the real services (``cases.services``) with the clock replayed to each step
(``common.clock.replaying``), so every move is an event, audited and notified, and the clocks' warnings and
escalations are those the background worker would have recorded at the time. The plan is deterministic (drawn from
each need's fingerprint); every move lies before the demo date and the clocks are last read at its very start, so
that whatever the hour the demo is looked at, the history lies in its past and the clocks run on from there.

How far a case has come follows from its age:

* the bureau takes a need in (triage) on the day it came or the next morning (customs clearance and policy
  questions, with a one-day limit, and needs that came in a weekend or a holiday, on the first working day) and
  dispatches it at once to the routing table's lead department and co-handlers;
* the lead department accepts it the same day or the next morning (one case in twelve only on the third day: its
  first response is late, and the bureau supervises it the day before), starts work, sometimes waits two days
  for the enterprise's papers, and replies after 30 % to 130 % of the resolution limit (one in ten late,
  supervised the day before the limit runs out); a co-handler sometimes adds an opinion;
* the bureau's return visit (回访) records the enterprise's rating 2 to 5 working days after the reply and closes
  the case a few days later; one case in twelve is found unsolved and reopened, then answered again.
  The cases of an enterprise that has a reporter login wait for that reporter's own rating.

The needs that came in on the last working day before the demo date have not been taken in yet. So the oldest
needs (January to March) are mostly closed and rated, some breached on the way; the April ones sit in the
departments' work lists and the newest in the bureau's triage queue.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from exportwatch.accounts.models import Role
from exportwatch.cases.models import Case
from exportwatch.cases.selectors import department_handlers, routing_rules, work_calendar
from exportwatch.cases.services import (
    case_assign,
    case_comment,
    case_supervise,
    case_transition,
    cases_catch_up,
    clocks_refresh,
)
from exportwatch.common import clock
from exportwatch.core.workdays import WorkCalendar

REPLIES = {
    "financing": "已对接合作银行，为企业提供外贸专项贷款（甬贸贷）方案，银行客户经理已上门对接，预计两周内放款。",
    "credit_insurance": "已安排出口信用保险承保方案并提供买方资信调查，保费可享受区财政补助。",
    "logistics": "已协调港口和船公司安排舱位，滞港货物已优先安排装船。",
    "customs_clearance": "已开通通关绿色通道，报关单已审结放行。",
    "trade_friction": "已提供贸易救济咨询，指导企业申请加征关税排除，相关材料已报送。",
    "certification": "已协助企业办理检测认证，检测机构已出具报告。",
    "labour": "已通过人社招聘平台对接用工需求，并落实稳岗返还政策。",
    "raw_materials": "已协调上游供应商恢复供货，原材料已陆续到厂。",
    "payment_collection": "已协助企业向中国信保报损并启动海外追偿。",
    "exchange_rate": "已介绍远期结售汇等汇率避险工具，合作银行提供专项额度并减免部分费用。",
    "contract_dispute": "已协助企业申请不可抗力事实性证明，并提供涉外法律咨询。",
    "market_expansion": "已推荐企业参加线上展会和跨境电商平台对接活动。",
    "domestic_sales": "已对接内销平台和商超渠道，邀请企业参加出口转内销专场。",
    "policy_consultation": "已解读稳外贸相关政策，指导企业申报出口信保补助和贷款贴息。",
    "other": "已答复企业，相关问题已协调解决。",
}
RATING_COMMENTS = {
    5: "非常满意，问题已解决。",
    4: "满意，感谢帮助。",
    3: "基本满意，希望办理再快一些。",
    2: "不太满意，问题只解决了一部分。",
}
RATINGS = (5, 5, 4, 5, 4, 3, 4, 5, 2, 4)
REPLY_SHARES = (0.3, 0.4, 0.5, 0.5, 0.6, 0.6, 0.7, 0.8, 0.9, 1.3)
"""When a department replies, as a share of the resolution limit (the last one is late)."""

WAIT_REASON = "请企业补充购销合同、出口报关单等相关材料。"
RESUMED = "企业已补充材料，继续办理。"
CO_OPINION = "协办意见：同意牵头单位意见，我单位将配合落实相关政策。"
PRESS_RESPONSE = "请牵头单位尽快签收并联系企业。"
PRESS_RESOLUTION = "办理时限将到，请牵头单位加快办理，及时答复企业。"
REOPEN_REASON = "回访时企业反映问题尚未解决，请牵头单位重新办理。"
AGAIN = "经重新办理："


@dataclass(order=True)
class Step:
    at: dt.datetime
    case_pk: int
    seq: int
    do: Callable[[], Any] = field(compare=False)


@dataclass
class CaseworkSummary:
    cases: int = 0
    by_state: dict[str, int] = field(default_factory=dict)


def draw(fingerprint: str) -> int:
    """A deterministic draw from a text (the demo's plans are drawn from credit codes, never from a clock)."""
    return int(hashlib.sha256(fingerprint.encode()).hexdigest()[:16], 16)


def workdays(calendar: WorkCalendar, start: dt.date, count: int) -> list[dt.date]:
    """The first ``count`` working days on or after ``start``."""
    days: list[dt.date] = []
    day = start
    while len(days) < count:
        if calendar.is_working_day(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


class _Plan:
    """One case's steps, at working days counted from its first working day (day 0)."""

    def __init__(self, case: Case, calendar: WorkCalendar) -> None:
        self.case = case
        self.days = workdays(calendar, timezone.localdate(case.created_at), 80)
        self.steps: list[Step] = []

    def at(self, day: int, hour: int, minute: int = 0) -> dt.datetime:
        moment = timezone.make_aware(dt.datetime.combine(self.days[day], dt.time(hour, minute)))
        return max(moment, self.case.created_at + dt.timedelta(minutes=30))

    def add(self, when: dt.datetime, do: Callable[[], Any]) -> None:
        self.steps.append(Step(when, self.case.pk, len(self.steps), do))


def _plan(
    case: Case,
    *,
    calendar: WorkCalendar,
    analyst: Any,
    co: list[str],
    handlers: dict[str, Any],
    rater: Any,
    hold_from: dt.date,
) -> list[Step]:
    h = draw(case.need.fingerprint if case.need else str(case.pk))

    def pick(shift: int, n: int) -> int:
        return (h >> shift) % n

    plan = _Plan(case, calendar)
    if plan.days[0] >= hold_from:
        return []  # came in on the eve of the demo date: waits in the bureau's triage queue
    quick = case.first_response_days == 1
    lead = case.routed_department_id
    lead_handler = handlers.get(lead or "")
    # Taken in on the day it came (half of them) or the next morning; on the first working day when it came in a
    # weekend or a holiday (its clocks started that morning).
    came_on_a_working_day = plan.days[0] == timezone.localdate(case.created_at)
    first = pick(0, 2) if came_on_a_working_day and not quick else 0
    triage_at = plan.at(0, 11 if quick else 14) if first == 0 else plan.at(1, 9)
    plan.add(triage_at, lambda: case_transition(case, "triaged", actor=analyst))
    if lead is None or lead_handler is None:
        return plan.steps  # no department to send it to: it waits in the bureau's queue
    assign_at = plan.at(0, 14 if quick else 16) if first == 0 else plan.at(1, 10)
    plan.add(assign_at, lambda: case_assign(case, lead=lead, co=co, actor=analyst))
    late = pick(4, 12) == 0
    wait = 3 if late else pick(8, 3) % 2  # accepted the same day (two in three) or the next morning
    accept_day = first + wait
    if late:
        plan.add(plan.at(accept_day - 1, 9), lambda: case_supervise(case, actor=analyst, note=PRESS_RESPONSE))
    accept_at = plan.at(accept_day, 9, 30) if wait else assign_at + dt.timedelta(hours=1)
    plan.add(accept_at, lambda: case_transition(case, "accepted", actor=lead_handler))
    plan.add(accept_at + dt.timedelta(minutes=30), lambda: case_transition(case, "in_progress", actor=lead_handler))
    co_handler = next((handlers[c] for c in co if c in handlers), None)
    if co_handler is not None and pick(36, 2) == 0:
        plan.add(plan.at(accept_day + 1, 11), lambda: case_comment(case, actor=co_handler, note=CO_OPINION))
    reply_day = max(accept_day + 1, round(case.resolution_days * REPLY_SHARES[pick(16, len(REPLY_SHARES))]))
    if pick(12, 6) == 0:  # waits two working days for the enterprise's papers
        plan.add(
            plan.at(accept_day + 1, 15),
            lambda: case_transition(case, "waiting_enterprise", actor=lead_handler, note=WAIT_REASON),
        )
        plan.add(
            plan.at(accept_day + 3, 10), lambda: case_transition(case, "in_progress", actor=lead_handler, note=RESUMED)
        )
        reply_day = max(reply_day + 2, accept_day + 4)
    if reply_day > case.resolution_days and case.resolution_days - 1 > accept_day:
        plan.add(
            plan.at(case.resolution_days - 1, 9),
            lambda: case_supervise(case, actor=analyst, note=PRESS_RESOLUTION),
        )
    reply = REPLIES.get(case.category, REPLIES["other"])
    plan.add(plan.at(reply_day, 16), lambda: case_transition(case, "replied", actor=lead_handler, note=reply))
    if rater is not None:
        return plan.steps  # the enterprise's own reporter rates it
    if pick(20, 12) == 0:  # the return visit finds it unsolved
        plan.add(
            plan.at(reply_day + 2, 10, 30),
            lambda: case_transition(case, "reopened", actor=analyst, note=REOPEN_REASON),
        )
        plan.add(plan.at(reply_day + 3, 9, 30), lambda: case_transition(case, "in_progress", actor=lead_handler))
        plan.add(
            plan.at(reply_day + 6, 16),
            lambda: case_transition(case, "replied", actor=lead_handler, note=AGAIN + reply),
        )
        confirm_day, rating = reply_day + 8, (3, 4)[pick(28, 2)]
    else:
        confirm_day, rating = reply_day + 2 + pick(24, 4), RATINGS[pick(28, len(RATINGS))]
    plan.add(
        plan.at(confirm_day, 10, 30),
        lambda: case_transition(case, "confirmed", actor=analyst, rating=rating, note=RATING_COMMENTS[rating]),
    )
    plan.add(plan.at(confirm_day + 1 + pick(32, 5), 11), lambda: case_transition(case, "closed", actor=analyst))
    return plan.steps


def _clocks_until(now: dt.datetime) -> None:
    """What the background worker would have done by ``now``."""
    with clock.replaying(now):
        while clocks_refresh(now):
            pass


def demo_cases_play(*, analyst: Any) -> CaseworkSummary:
    """File a case for every need that has none, each at its need's filing time, and move the cases made now as
    the module's docstring says, up to the start of the demo date; ``analyst`` is the bureau's analyst who triages,
    dispatches, supervises and visits. Idempotent: a need that has a case is left alone, and so is its case."""
    made = cases_catch_up(as_filed=True)
    summary = CaseworkSummary(cases=len(made))
    if not made:
        return summary
    cutoff = timezone.make_aware(dt.datetime.combine(clock.today(), dt.time(0, 0)))
    calendar = work_calendar()
    hold_from = clock.today() - dt.timedelta(days=1)
    while not calendar.is_working_day(hold_from):
        hold_from -= dt.timedelta(days=1)
    co_of = {rule.category: [d.code for d in rule.co_departments.all()] for rule in routing_rules()}
    codes = {c.routed_department_id for c in made if c.routed_department_id} | {c for cs in co_of.values() for c in cs}
    handlers = {}
    for code in sorted(codes):
        found = department_handlers([code])
        if found:
            handlers[code] = found[0]
    reporters = {
        u.enterprise_id: u
        for u in get_user_model().objects.filter(role=Role.REPORTER, is_active=True, enterprise__isnull=False)
    }
    steps: list[Step] = []
    for case in Case.objects.filter(pk__in=[c.pk for c in made]).select_related("need").order_by("created_at", "pk"):
        steps += _plan(
            case,
            calendar=calendar,
            analyst=analyst,
            co=co_of.get(case.category, []),
            handlers=handlers,
            rater=reporters.get(case.enterprise_id),
            hold_from=hold_from,
        )
    for step in sorted(steps):
        if step.at >= cutoff:
            continue
        _clocks_until(step.at)
        with clock.replaying(step.at):
            step.do()
    _clocks_until(cutoff)
    states = Counter(Case.objects.filter(pk__in=[c.pk for c in made]).values_list("state", flat=True))
    summary.by_state = dict(sorted(states.items()))
    return summary
