"""``exportwatch cases catch-up``: a case for every need that has none (needs loaded in bulk, or filed before the
cases app existed). Idempotent."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from exportwatch.cases.services import cases_catch_up


class Command(BaseCommand):
    help = (
        "catch-up: file a case for every need that has none, oldest first, routed by the routing table; its clocks "
        "are read as of now, so a need that waited past its limits is escalated at once. Running it again files "
        "nothing new."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["catch-up"])

    def handle(self, *args: Any, **options: Any) -> None:
        made = cases_catch_up()
        if not made:
            self.stdout.write("every need has its case: none filed")
            return
        by_department = Counter(c.routed_department_id or "-" for c in made)
        routed = ", ".join(f"{code} {n}" for code, n in sorted(by_department.items()))
        breached = sum(c.clock_state == "breached" for c in made)
        self.stdout.write(f"{len(made)} cases filed ({routed}); {breached} already past a limit")
