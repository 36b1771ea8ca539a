"""A figure about 10,000 times an enterprise's usual is held for confirmation, not silently imported."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from exportwatch.core.records import ReportIn
from exportwatch.exchange.services import import_files
from exportwatch.reporting.models import Report, Source
from exportwatch.reporting.services import report_submit
from tests.conftest import World

HEADER = "uscc,period,exports_usd,new_orders_usd,backlog_usd,backlog_due_3m_usd,new_orders_trend,outlook_3m\n"


def _history(world: World) -> None:
    for period in ("2019-12", "2020-01", "2020-02"):
        report_submit(
            enterprise=world.ent_b,
            data=ReportIn(
                world.ent_b.uscc,
                period,
                Decimal(60000),
                Decimal(50000),
                Decimal(200000),
                Decimal(100000),
                None,
                "same",
                "same",
            ),
            lines=[],
            submitted_by=None,
            source=Source.WEB,
        )


def _file(world: World, exports: str) -> bytes:
    return (HEADER + f"{world.ent_b.uscc},2020-03,{exports},50000,200000,100000,same,same\n").encode()


def test_a_figure_ten_thousand_times_the_usual_is_held_for_confirmation(world: World) -> None:
    _history(world)
    outcome = import_files([("r.csv", _file(world, "600000000"))], user=None)
    assert outcome.problems == []
    assert outcome.needs_confirmation
    (warning,) = outcome.warnings
    assert (warning.row, warning.column) == (2, "exports_usd")
    assert "10,000" in warning.message or "10000" in warning.message
    assert not Report.objects.filter(enterprise=world.ent_b, period="2020-03").exists()


def test_a_confirmed_figure_is_imported(world: World) -> None:
    _history(world)
    outcome = import_files([("r.csv", _file(world, "600000000"))], user=None, confirm_units=True)
    assert outcome.committed
    assert Report.objects.get(enterprise=world.ent_b, period="2020-03").exports_usd == Decimal(600000000)


def test_an_ordinary_figure_is_not_flagged(world: World) -> None:
    _history(world)
    outcome = import_files([("r.csv", _file(world, "75000"))], user=None)
    assert outcome.warnings == [] and outcome.committed


def test_the_command_line_asks_for_confirmation(world: World, tmp_path: Path, capsys: Any) -> None:
    _history(world)
    path = tmp_path / "r.csv"
    path.write_bytes(_file(world, "600000000"))
    with pytest.raises(CommandError, match="--confirm-units"):
        call_command("import_data", str(path))
    call_command("import_data", str(path), "--confirm-units")
    assert Report.objects.filter(enterprise=world.ent_b, period="2020-03").exists()
