"""Builders for the customs tests: reports through the reporting service, customs records through the load."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from exportwatch.core.records import CustomsExportIn, ReportIn
from exportwatch.customs.services import customs_upsert_many
from exportwatch.reporting.models import Source
from exportwatch.reporting.services import report_submit


def report(enterprise: Any, period: str, exports: int | str) -> None:
    data = ReportIn(
        uscc=enterprise.uscc,
        period=period,
        exports_usd=Decimal(exports),
        new_orders_usd=Decimal(100_000),
        backlog_usd=Decimal(2_000_000),
        backlog_due_3m_usd=Decimal(1_000_000),
        capacity_utilization_pct=Decimal(80),
        new_orders_trend="same",
        outlook_3m="same",
    )
    report_submit(enterprise=enterprise, data=data, lines=[], submitted_by=None, source=Source.CSV)


def customs(enterprise: Any, period: str, market: str, hs: str, exports: int | str) -> CustomsExportIn:
    return CustomsExportIn(uscc=enterprise.uscc, period=period, market=market, hs=hs, exports_usd=Decimal(exports))


def load(*rows: CustomsExportIn, user: Any = None, source_file: str = "customs-2020-03.xlsx") -> tuple[int, int]:
    return customs_upsert_many(rows=list(rows), user=user, source_file=source_file)


def dataset(world: Any) -> None:
    """The reconciliation example of the tests, for 2020-03 (and a little of 2020-02):

    ======== ======== =============================== ========================
    ent      reported customs                         outcome (tolerance 20 %)
    ======== ======== =============================== ========================
    ent_a    1000000  US/84 600000 + DE/61 300000     agree, +100000, 1.1111
    ent_b    500000   US/61 200000                    disagree, +300000, 2.5
    ent_c    —        JP/84 250000                    no report
    ent_far  400000   —                               no customs (another district)
    ======== ======== =============================== ========================
    """
    report(world.ent_a, "2020-03", 1_000_000)
    report(world.ent_b, "2020-03", 500_000)
    report(world.ent_far, "2020-03", 400_000)
    report(world.ent_a, "2020-02", 700_000)
    load(
        customs(world.ent_a, "2020-03", "US", "84", 600_000),
        customs(world.ent_a, "2020-03", "DE", "61", 300_000),
        customs(world.ent_b, "2020-03", "US", "61", 200_000),
        customs(world.ent_c, "2020-03", "JP", "84", 250_000),
        customs(world.ent_a, "2020-02", "US", "84", 100_000),
    )
