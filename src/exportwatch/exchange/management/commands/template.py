"""``exportwatch template``: write an Excel template to fill in and import.

exportwatch template --kind enterprise --uscc 91330213MA... --period 2020-03 [--unit wan] -o file.xlsx
exportwatch template --kind town --town 330213003 --period 2020-03
exportwatch template --kind blank
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from exportwatch.common import clock
from exportwatch.core.codes import normalize_uscc, parse_period
from exportwatch.directory.models import Enterprise, Region
from exportwatch.exchange import templates_xlsx as tx
from exportwatch.reporting.selectors import default_status_period


class Command(BaseCommand):
    help = (
        "Write an Excel template: --kind enterprise (one enterprise and month), town (one row per enterprise "
        "of a town) or blank (one empty sheet per table)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", required=True, choices=("enterprise", "town", "blank"))
        parser.add_argument("--uscc", help="the enterprise's unified social credit code (--kind enterprise)")
        parser.add_argument("--town", help="the town's code or Chinese name (--kind town)")
        parser.add_argument("--period", help="YYYY-MM (default: last month, the period falling due)")
        parser.add_argument("--unit", choices=tx.UNITS, default="usd", help="amounts in USD or in 万美元 (wan)")
        parser.add_argument("-o", "--output", type=Path, help="file to write (default: the template's Chinese name)")

    def handle(self, *args: Any, **options: Any) -> None:
        kind, unit = options["kind"], options["unit"]
        if kind == "enterprise":
            period = self._period(options["period"])
            if not options["uscc"]:
                raise CommandError(_("--kind enterprise needs --uscc."))
            uscc = normalize_uscc(options["uscc"].strip())
            enterprise = Enterprise.objects.select_related("town", "industry").filter(uscc=uscc).first()
            if enterprise is None:
                raise CommandError(
                    _("No enterprise with the unified social credit code %(uscc)s is registered.") % {"uscc": uscc}
                )
            data = tx.template_enterprise(enterprise=enterprise, period=period, unit=unit)
            name = tx.filename_enterprise(enterprise, period, unit)
        elif kind == "town":
            period = self._period(options["period"])
            if not options["town"]:
                raise CommandError(_("--kind town needs --town (the town's code or name)."))
            town = self._town(options["town"].strip())
            enterprises = Enterprise.objects.filter(town=town).select_related("industry")
            data = tx.template_town(town=town, enterprises=enterprises, period=period, unit=unit)
            name = tx.filename_town(town, period, unit)
        else:
            data = tx.template_blank(unit=unit)
            name = tx.filename_blank(unit)
        path: Path = options["output"] or Path(name)
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise CommandError(_("Cannot write %(path)s: %(error)s") % {"path": path, "error": exc}) from exc
        self.stdout.write(str(path))

    def _period(self, value: str | None) -> str:
        period = (value or default_status_period()).strip()
        if parse_period(period) is None:
            raise CommandError(_("--period %(value)s is not a month: use YYYY-MM, e.g. 2020-03.") % {"value": period})
        if period > clock.current_period():
            raise CommandError(
                _("--period %(value)s is in the future; the latest month is %(current)s.")
                % {"value": period, "current": clock.current_period()}
            )
        return period

    def _town(self, value: str) -> Region:
        towns = Region.objects.filter(level=Region.Level.TOWN)
        town = towns.filter(code=value).first() or towns.filter(name=value).first()
        if town is None:
            raise CommandError(
                _("“%(value)s” is not a known town. Give the town's code or its name.") % {"value": value}
            )
        return town
