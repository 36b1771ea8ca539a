"""Loading a customs workbook through the importer (``import_files``, ``exportwatch import``).

These tests need the ``customs_exports`` table in ``exchange.tables`` and the customs rows wired into
``exchange.services.import_files``; until both are there they are skipped.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import translation

from exportwatch.common.models import AuditEvent
from exportwatch.customs.models import CustomsExport
from tests.conftest import World, make_uscc


def import_files(*args: object, **kwargs: object) -> object:
    from exportwatch.exchange.services import import_files as run

    with translation.override("en"):
        return run(*args, **kwargs)  # type: ignore[arg-type]


def workbook(world: World) -> bytes:
    text = (
        "统一社会信用代码,月份,市场,HS编码,海关出口额（美元）\n"
        f'{world.ent_a.uscc},2020-03,US,8471,"600,000"\n'
        f"{world.ent_a.uscc},2020年3月,DE,61,300000.5\n"
        f"{world.ent_c.uscc},202003,jp,84,250000\n"
    )
    return text.encode("utf-8-sig")


def test_a_customs_csv_with_chinese_headers_is_loaded(world: World) -> None:
    outcome = import_files([("海关出口2020-03.csv", workbook(world))], user=world.analyst)

    assert outcome.problems == []  # type: ignore[attr-defined]
    assert outcome.written["customs_exports"] == 3  # type: ignore[attr-defined]
    assert sorted(
        CustomsExport.objects.values_list("enterprise__uscc", "period", "market_id", "hs", "exports_usd")
    ) == [
        (world.ent_a.uscc, "2020-03", "DE", "61", Decimal("300000.50")),
        (world.ent_a.uscc, "2020-03", "US", "8471", Decimal("600000.00")),
        (world.ent_c.uscc, "2020-03", "JP", "84", Decimal("250000.00")),
    ]
    assert set(CustomsExport.objects.values_list("source_file", "loaded_by")) == {
        ("海关出口2020-03.csv", world.analyst.pk)
    }


def test_importing_the_same_workbook_again_writes_nothing(world: World) -> None:
    import_files([("c.csv", workbook(world))], user=world.analyst)
    events = AuditEvent.objects.count()

    outcome = import_files([("c.csv", workbook(world))], user=world.analyst)

    assert (outcome.written["customs_exports"], outcome.unchanged["customs_exports"]) == (0, 3)  # type: ignore[attr-defined]
    assert AuditEvent.objects.count() == events


def test_a_dry_run_writes_nothing(world: World) -> None:
    outcome = import_files([("c.csv", workbook(world))], user=world.analyst, dry_run=True)
    assert outcome.written["customs_exports"] == 3  # type: ignore[attr-defined]
    assert not CustomsExport.objects.exists()


def test_bad_rows_are_listed_and_nothing_is_written(world: World) -> None:
    text = (
        "uscc,period,market,hs,exports_usd\n"
        f"{world.ent_a.uscc},2020-03,US,84,100\n"
        f"{make_uscc(77)},2020-03,US,84,100\n"  # not registered
        f"{world.ent_a.uscc},2020-05,US,84,100\n"  # future
        f"{world.ent_a.uscc},2020-03,US,84,200\n"  # the same record as row 2
    )
    outcome = import_files([("c.csv", text.encode())], user=None)

    assert [(p.row, p.column) for p in outcome.problems] == [(3, "uscc"), (4, "period"), (5, "hs")]  # type: ignore[attr-defined]
    assert not CustomsExport.objects.exists()


def test_the_valid_rows_can_be_imported_alone(world: World) -> None:
    text = (
        f"uscc,period,market,hs,exports_usd\n{world.ent_a.uscc},2020-03,US,84,100\n{world.ent_a.uscc},2020-03,ZZ,84,1\n"
    )
    outcome = import_files([("c.csv", text.encode())], user=None, valid_rows_only=True)

    assert outcome.written["customs_exports"] == 1  # type: ignore[attr-defined]
    assert [(p.row, p.column) for p in outcome.skipped] == [(3, "market")]  # type: ignore[attr-defined]


def test_customs_records_outside_the_importers_scope_are_refused(world: World) -> None:
    from exportwatch.common.scoping import enterprises_reportable

    text = f"uscc,period,market,hs,exports_usd\n{world.ent_far.uscc},2020-03,US,84,100\n"
    outcome = import_files([("c.csv", text.encode())], user=world.analyst, scope=enterprises_reportable(world.analyst))

    assert [(p.row, p.column) for p in outcome.problems] == [(2, "uscc")]  # type: ignore[attr-defined]


def test_only_the_bureau_may_load_customs_exports(world: World) -> None:
    outcome = import_files([("c.csv", workbook(world))], user=world.town_officer, customs_allowed=False)

    assert [(p.row, p.message) for p in outcome.problems] == [  # type: ignore[attr-defined]
        (0, "Customs exports can only be loaded by the bureau.")
    ]
    assert not CustomsExport.objects.exists()


def test_a_report_lines_file_is_still_read_as_report_lines(world: World) -> None:
    from exportwatch.exchange.readers import read_upload

    text = f"uscc,period,market,hs,backlog_usd,new_orders_usd,exports_usd\n{world.ent_a.uscc},2020-03,US,84,1,1,1\n"
    tables, problems = read_upload("lines.csv", text.encode())
    assert problems == []
    assert [t.table.key for t in tables] == ["report_lines"]


# --- On the web --------------------------------------------------------------------------------------------


def web_upload(user: object, content: bytes) -> object:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    file = SimpleUploadedFile("海关出口.csv", content, content_type="text/csv")
    return client.post(reverse("exchange:import"), {"file": file})


def test_the_analyst_loads_a_customs_workbook_on_the_web(world: World) -> None:
    web_upload(world.analyst, workbook(world))

    assert CustomsExport.objects.count() == 3


def test_a_town_officer_cannot_load_customs_exports_on_the_web(world: World) -> None:
    web_upload(world.town_officer, workbook(world))

    assert not CustomsExport.objects.exists()
