"""A world with one object of every kind in every scope, and what each persona must never see of it.

``scoped`` builds, on the personas of ``tests/conftest.py``: reports (2019-03 and 2020-03), a disruption and a need
of each of the four enterprises; the cases the needs open (ent_a's dispatched to the handler's department, with an
attachment on every case); an enterprise warning for each enterprise and a town warning for each town; the white
list (ent_c raised to qualify) with ent_a referred to the handler's bank and ent_c to another; customs exports of
each enterprise; a forecast run with a series per enterprise and town; stress scenarios saved in town B and in the
far district; an import job (with its annotated copy), an API token and a notification of each reporter; a brief; a
town quota and a reminder point of town B.

``FOREIGN`` says, for each persona, which enterprises lie outside their scope: none of their names or credit codes
may appear in anything the persona is served (see ``leaks``).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.http import HttpResponseBase

from exportwatch.common import clock
from tests.api.conftest import ref, reference_for_module  # noqa: F401  (the reference data once per module)
from tests.conftest import World
from tests.monitoring.conftest import submit

CST = dt.timezone(dt.timedelta(hours=8))
MARCH = dt.datetime(2020, 3, 20, 10, 0, tzinfo=CST)

# The personas checked, and the enterprises each must never see.
FOREIGN: dict[str, tuple[str, ...]] = {
    "reporter": ("ent_b", "ent_c", "ent_far"),
    "other_reporter": ("ent_a", "ent_b", "ent_far"),
    "town_officer": ("ent_c", "ent_far"),
    "analyst": ("ent_far",),
    "leader": ("ent_far",),
    "handler": ("ent_b", "ent_c", "ent_far"),
    "outsider": ("ent_a", "ent_b", "ent_c"),
    "anonymous": ("ent_a", "ent_b", "ent_c", "ent_far"),
}
PERSONAS = tuple(FOREIGN)

# The one foreign enterprise each persona's crafted ids point at (the nearest one: same town for a reporter).
TARGET: dict[str, str] = {
    "reporter": "ent_b",
    "other_reporter": "ent_a",
    "town_officer": "ent_c",
    "analyst": "ent_far",
    "leader": "ent_far",
    "handler": "ent_c",
    "outsider": "ent_a",
    "anonymous": "ent_a",
}


@dataclass
class Scoped:
    world: World
    cases: dict[str, Any] = field(default_factory=dict)  # enterprise attr -> its case
    attachments: dict[str, Any] = field(default_factory=dict)  # enterprise attr -> its case's attachment event
    warnings: dict[str, Any] = field(default_factory=dict)  # enterprise attr or town code -> warning
    entries: dict[str, Any] = field(default_factory=dict)  # enterprise attr -> white-list entry
    referrals: dict[str, Any] = field(default_factory=dict)  # enterprise attr -> referral
    scenarios: dict[str, Any] = field(default_factory=dict)  # "town_b" / "far" -> scenario
    jobs: dict[str, Any] = field(default_factory=dict)  # username -> import job
    tokens: dict[str, Any] = field(default_factory=dict)  # username -> token
    notifications: dict[str, Any] = field(default_factory=dict)  # username -> notification
    brief: Any = None
    reminders: dict[str, Any] = field(default_factory=dict)  # "town_b" / "far" -> reminder point
    town_a: str = "330213001"
    town_b: str = "330213100"

    def user(self, persona: str) -> Any:
        return None if persona == "anonymous" else getattr(self.world, persona)

    def enterprise(self, attr: str) -> Any:
        return getattr(self.world, attr)

    def target(self, persona: str) -> Any:
        """The foreign enterprise a persona's crafted ids point at."""
        return self.enterprise(TARGET[persona])

    def forbidden(self, persona: str, echoed: str = "") -> list[str]:
        """Texts that identify the enterprises ``persona`` must not see: names (as HTML and as JSON escapes
        them) and credit codes; less any the request itself carried (``echoed``: a page may repeat the search
        or the address it was given, which tells the persona nothing new)."""
        texts: list[str] = []
        for attr in FOREIGN[persona]:
            ent = self.enterprise(attr)
            if ent.name not in echoed:
                texts += [ent.name, json.dumps(ent.name)[1:-1]]
            if ent.uscc not in echoed:
                texts.append(ent.uscc)
        return texts


def body_text(response: HttpResponseBase) -> str:
    """Everything a response carries, as text: a workbook's cells and shared strings, a document's XML, else the
    decoded body."""
    streaming = getattr(response, "streaming", False)
    raw = b"".join(response.streaming_content) if streaming else response.content  # type: ignore[attr-defined]
    if raw[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as z:
                return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
        except zipfile.BadZipFile:
            pass
    return raw.decode("utf-8", "replace")


def leaks(scoped: Scoped, persona: str, text: str, echoed: str = "") -> list[str]:
    return [t for t in scoped.forbidden(persona, echoed) if t in text]


def _warning(scope: str, key: str, name: str, town: str = "") -> Any:
    from exportwatch.warnings.models import Warning

    return Warning.objects.create(
        period="2020-03",
        scope=scope,
        key=key,
        name=name,
        rule="new_orders_yoy",
        level="red",
        value=-0.6,
        threshold=-0.3,
        first_period="2020-03",
        evaluated_at=MARCH,
        town=town,
    )


def _forecasts(w: World) -> None:
    from exportwatch.forecasting.models import ForecastRun, SeriesForecast

    run = ForecastRun.objects.create(origin_period="2020-03", computed_at=MARCH, model_names=["seasonal_naive"])
    mean = [1000.0, 1100.0, 1200.0, 1000.0, 1000.0, 1000.0]
    band = {"lo80": mean, "hi80": mean, "lo95": mean, "hi95": mean}

    def series(scope: str, key: str, name: str, town: str) -> None:
        SeriesForecast.objects.create(
            run=run,
            scope=scope,
            key=key,
            name=name,
            town=town,
            model="seasonal_naive",
            first_period="2020-04",
            mean=mean,
            actual_first_period="2019-04",
            actuals=[1000.0] * 12,
            record={},
            **band,
        )

    for ent in (w.ent_a, w.ent_b, w.ent_c, w.ent_far):
        series("enterprise", ent.uscc, ent.name, ent.town_id)
    for town, name in (("330213001", "甲镇"), ("330213100", "乙镇"), ("330203", "海曙区")):
        series("town", town, name, town)


def build_scoped(w: World) -> Scoped:
    from exportwatch.accounts.models import ApiToken
    from exportwatch.briefs.models import Brief
    from exportwatch.campaign.models import ReminderPoint, TownQuota
    from exportwatch.cases.models import Case, CaseEvent
    from exportwatch.cases.services import case_assign, case_transition, routing_defaults_ensure
    from exportwatch.core.records import DisruptionIn, NeedIn
    from exportwatch.customs.models import CustomsExport
    from exportwatch.directory.models import Department, Enterprise, Region
    from exportwatch.exchange.jobs import import_job_create, import_job_process
    from exportwatch.finance.models import WhitelistEntry
    from exportwatch.finance.services import entry_decide, referral_create, whitelist_refresh
    from exportwatch.notifications.models import Notification
    from exportwatch.reporting.models import Source
    from exportwatch.reporting.services import disruption_file, need_file
    from exportwatch.stress.models import Scenario

    s = Scoped(world=w)
    routing_defaults_ensure()
    Enterprise.objects.filter(pk=w.ent_c.pk).update(exports_last_year_usd=Decimal(2_000_000))
    w.ent_c.refresh_from_db()
    books = {"ent_a": w.reporter, "ent_b": None, "ent_c": w.other_reporter, "ent_far": None}
    for attr, by in books.items():
        ent = s.enterprise(attr)
        for period in ("2019-03", "2020-03"):
            submit(ent, period, 900, 1000, 4500, 4000, [("US", "8401", 2000, 500, 600)], "down")
        with clock.replaying(MARCH):
            disruption_file(
                enterprise=ent,
                data=DisruptionIn(ent.uscc, MARCH.date(), "shipment_delayed", Decimal(1000), "US", "8401", "取消"),
                created_by=by,
                source=Source.WEB,
            )
            need = need_file(
                enterprise=ent,
                data=NeedIn(ent.uscc, MARCH.date(), "financing", Decimal(50_000), "high", "急需流动资金"),
                created_by=by,
                source=Source.WEB,
            ).obj
        case = Case.objects.get(need=need)
        s.cases[attr] = case
        event = CaseEvent(case=case, at=MARCH, actor=w.admin, kind="comment", to_state=case.state, note="方案")
        event.attachment_name = "plan.pdf"
        event.attachment.save("plan.pdf", ContentFile(b"%PDF-1.4 " + ent.uscc.encode()), save=True)
        s.attachments[attr] = event
        s.warnings[attr] = _warning("enterprise", ent.uscc, ent.name, ent.town_id)
        CustomsExport.objects.create(
            enterprise=ent, period="2020-03", market_id="US", hs="8401", exports_usd=Decimal(700), loaded_at=MARCH
        )
    case_transition(s.cases["ent_a"], "triaged", actor=w.analyst)
    case_assign(s.cases["ent_a"], lead=w.handler.department, co=(), actor=w.analyst)
    for code, name in ((s.town_a, "甲镇"), (s.town_b, "乙镇")):
        s.warnings[code] = _warning("town", code, name)

    whitelist_refresh()
    for attr in books:
        s.entries[attr] = WhitelistEntry.objects.get(enterprise=s.enterprise(attr))
    own_bank = w.handler.department
    other_bank = Department.objects.exclude(pk=own_bank.pk).get(code="boc")
    for attr, bank in (("ent_a", own_bank), ("ent_b", other_bank), ("ent_c", other_bank), ("ent_far", other_bank)):
        entry = entry_decide(entry=s.entries[attr], decision="approved", actor=w.admin)
        s.referrals[attr] = referral_create(entry=entry, product="credit_loan", institution=bank, actor=w.admin)

    _forecasts(w)
    shocks = [{"dimension": "market", "key": "US", "change": -0.3, "months": 3}]
    for key, region in (("town_b", s.town_b), ("far", "330203")):
        s.scenarios[key] = Scenario.objects.create(
            name=f"情景-{key}", shocks=shocks, region=Region.objects.get(code=region), created_at=MARCH
        )
    for user, ent in ((w.reporter, w.ent_a), (w.other_reporter, w.ent_c)):
        data = f"uscc,period,exports_usd\n{ent.uscc},2020-03,100\n".encode()
        job = import_job_create(user=user, name=f"{ent.name}.csv", data=data)
        import_job_process(job_id=job.pk, worker="test")  # done, with problems: it has an annotated copy
        job.refresh_from_db()
        s.jobs[user.username] = job
    for user, ent in ((w.reporter, w.ent_a), (w.other_reporter, w.ent_c)):
        s.tokens[user.username], _raw = ApiToken.objects.issue(user=user, name=ent.name)
    for user, ent in ((w.reporter, w.ent_a), (w.other_reporter, w.ent_c)):
        s.notifications[user.username] = Notification.objects.create(
            user=user, kind="case", dedupe_key="x", subject=ent.name, created_at=MARCH
        )
    s.brief = Brief.objects.create(
        period="2020-03", kind="monthly", title="brief", created_at=MARCH, headline={"n": w.ent_far.name}
    )
    s.brief.docx.save("brief.docx", ContentFile(b"PK docx " + w.ent_far.uscc.encode()))
    town_b = Region.objects.get(code=s.town_b)
    TownQuota.objects.create(town=town_b, expected=3, updated_at=MARCH)
    s.reminders["town_b"] = ReminderPoint.objects.create(offset_days=-2, town=town_b, created_at=MARCH)
    far = Region.objects.get(code="330203")
    s.reminders["far"] = ReminderPoint.objects.create(offset_days=-3, town=far, created_at=MARCH)
    return s


@pytest.fixture
def scoped(world: World) -> Scoped:
    return build_scoped(world)
