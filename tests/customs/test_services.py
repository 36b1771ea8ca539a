"""Loading customs exports: customs_upsert_many inserts, updates (audited) and skips, in one transaction."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exportwatch.common.models import AuditEvent
from exportwatch.core.records import CustomsExportIn
from exportwatch.customs.models import CustomsExport
from exportwatch.customs.services import customs_upsert_many
from tests.conftest import World, make_uscc
from tests.customs.helpers import customs, load


def stored() -> dict[tuple[str, str, str, str], Decimal]:
    return {
        (c.enterprise.uscc, c.period, c.market_id, c.hs): c.exports_usd
        for c in CustomsExport.objects.select_related("enterprise")
    }


def workbook(world: World) -> list[CustomsExportIn]:
    return [
        customs(world.ent_a, "2020-03", "US", "84", 600_000),
        customs(world.ent_a, "2020-03", "DE", "61", "300000.5"),
        customs(world.ent_b, "2020-03", "US", "61", 200_000),
        customs(world.ent_c, "2020-02", "JP", "8471", 0),
    ]


def test_a_first_load_inserts_every_record(world: World) -> None:
    assert customs_upsert_many(rows=workbook(world), user=world.analyst, source_file="c.xlsx") == (4, 0)

    assert stored() == {
        (world.ent_a.uscc, "2020-03", "US", "84"): Decimal("600000.00"),
        (world.ent_a.uscc, "2020-03", "DE", "61"): Decimal("300000.50"),
        (world.ent_b.uscc, "2020-03", "US", "61"): Decimal("200000.00"),
        (world.ent_c.uscc, "2020-02", "JP", "8471"): Decimal("0.00"),
    }
    record = CustomsExport.objects.get(enterprise=world.ent_b)
    assert (record.loaded_by, record.source_file) == (world.analyst, "c.xlsx")
    assert record.loaded_at is not None


def test_loading_the_same_workbook_again_writes_nothing(world: World) -> None:
    customs_upsert_many(rows=workbook(world), user=world.analyst, source_file="c.xlsx")
    before = list(CustomsExport.objects.values_list("pk", "exports_usd", "loaded_at", "source_file"))
    audits = AuditEvent.objects.count()

    assert customs_upsert_many(rows=workbook(world), user=world.admin, source_file="again.xlsx") == (0, 4)

    assert list(CustomsExport.objects.values_list("pk", "exports_usd", "loaded_at", "source_file")) == before
    assert AuditEvent.objects.count() == audits


def test_a_changed_figure_is_updated_and_audited_with_old_and_new_value(world: World) -> None:
    load(*workbook(world), user=world.analyst, source_file="first.xlsx")
    corrected = workbook(world)
    corrected[0] = customs(world.ent_a, "2020-03", "US", "84", 650_000)

    assert load(*corrected, user=world.admin, source_file="corrected.xlsx") == (1, 3)

    record = CustomsExport.objects.get(enterprise=world.ent_a, market_id="US", hs="84")
    assert (record.exports_usd, record.loaded_by, record.source_file) == (
        Decimal("650000.00"),
        world.admin,
        "corrected.xlsx",
    )
    untouched = CustomsExport.objects.get(enterprise=world.ent_a, market_id="DE")
    assert untouched.source_file == "first.xlsx"
    update = AuditEvent.objects.get(action="customs.update")
    assert update.actor == world.admin
    assert update.object_type == "customs_export"
    assert update.object_key == f"{world.ent_a.uscc}/2020-03/US/84"
    assert update.old == {"exports_usd": "600000.00"}
    assert update.new == {"exports_usd": "650000.00", "source_file": "corrected.xlsx"}


def test_each_load_that_writes_is_audited_once_with_its_counts(world: World) -> None:
    load(*workbook(world), user=world.analyst, source_file="first.xlsx")
    corrected = [
        *workbook(world)[1:],
        customs(world.ent_a, "2020-03", "US", "84", 1),
        customs(world.ent_b, "2020-01", "US", "61", 5),
    ]
    load(*corrected, user=world.analyst, source_file="second.xlsx")

    loads = list(AuditEvent.objects.filter(action="customs.load").order_by("id").values_list("object_key", "new"))
    assert loads == [
        (
            "first.xlsx",
            {
                "inserted": 4,
                "updated": 0,
                "unchanged": 0,
                "periods": ["2020-02", "2020-03"],
                "source_file": "first.xlsx",
            },
        ),
        (
            "second.xlsx",
            {
                "inserted": 1,
                "updated": 1,
                "unchanged": 3,
                "periods": ["2020-01", "2020-02", "2020-03"],
                "source_file": "second.xlsx",
            },
        ),
    ]


def test_a_record_is_keyed_by_enterprise_period_market_and_hs(world: World) -> None:
    load(customs(world.ent_a, "2020-03", "US", "84", 100))
    written = load(
        customs(world.ent_a, "2020-02", "US", "84", 100),  # another period
        customs(world.ent_a, "2020-03", "DE", "84", 100),  # another market
        customs(world.ent_a, "2020-03", "US", "8471", 100),  # another HS code
        customs(world.ent_b, "2020-03", "US", "84", 100),  # another enterprise
        customs(world.ent_a, "2020-03", "US", "84", 100),  # the same
    )
    assert written == (4, 1)
    assert CustomsExport.objects.count() == 5


def test_an_empty_load_does_nothing(world: World) -> None:
    assert customs_upsert_many(rows=[], user=None, source_file="empty.csv") == (0, 0)
    assert not AuditEvent.objects.filter(object_type="customs_export").exists()


def test_a_record_given_twice_is_refused_and_nothing_is_written(world: World) -> None:
    rows = [customs(world.ent_a, "2020-03", "US", "84", 1), customs(world.ent_a, "2020-03", "US", "84", 2)]
    with pytest.raises(ValueError, match="given twice"):
        customs_upsert_many(rows=rows, user=None, source_file="dup.csv")
    assert not CustomsExport.objects.exists()


def test_an_unregistered_enterprise_is_refused_and_nothing_is_written(world: World) -> None:
    stranger = CustomsExportIn(make_uscc(999), "2020-03", "US", "84", Decimal(1))
    with pytest.raises(ValueError, match="not registered"):
        customs_upsert_many(rows=[customs(world.ent_a, "2020-03", "US", "84", 1), stranger], user=None, source_file="x")
    assert not CustomsExport.objects.exists()


def test_a_command_line_load_has_no_user(world: World) -> None:
    load(customs(world.ent_a, "2020-03", "US", "84", 1), user=None)
    assert CustomsExport.objects.get().loaded_by is None
    assert AuditEvent.objects.get(action="customs.load").actor is None


def test_many_records_load_in_bulk(world: World, django_assert_max_num_queries: object) -> None:
    markets = ["US", "DE", "JP", "GB", "FR"]
    rows = [
        customs(ent, f"2019-{month:02d}", market, f"{chapter:02d}", chapter * 10)
        for ent in (world.ent_a, world.ent_b, world.ent_c)
        for month in range(1, 13)
        for market in markets
        for chapter in range(1, 21)
    ]
    assert len(rows) == 3600
    with django_assert_max_num_queries(60):  # type: ignore[operator]
        assert load(*rows) == (3600, 0)
    changed = [*rows[:-1], customs(world.ent_c, "2019-12", "FR", "20", 1)]
    with django_assert_max_num_queries(60):  # type: ignore[operator]
        assert load(*changed) == (1, 3599)
    assert CustomsExport.objects.count() == 3600
