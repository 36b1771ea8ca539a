from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from exportwatch.directory.reference import reference_load


class Command(BaseCommand):
    help = "Create or migrate the database and load the reference data (no enterprises)."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        counts = reference_load()
        self.stdout.write("database ready; reference data: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
