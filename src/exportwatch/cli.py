"""The ``exportwatch`` command: Django's management commands with the project's settings.

``exportwatch init|demo|serve|import|export|token`` are ExportWatch commands; any other Django command
(``migrate``, ``createsuperuser``, ``shell``...) works too.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exportwatch.settings")
    if sys.argv[1:2] == ["serve"] and "--production" in sys.argv[2:]:
        # Production serves the collected, hashed static files; set before the settings are read, so the command
        # need not start itself again to switch.
        os.environ.setdefault("EXPORTWATCH_STATIC_COLLECTED", "1")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    argv[0] = "exportwatch"
    if len(argv) > 1 and argv[1] == "import":
        argv[1] = "import_data"  # "import" is a Python keyword; Django commands are modules
    if len(argv) > 1 and argv[1] == "export":
        argv[1] = "export_data"
    if len(argv) > 1 and "-" in argv[1] and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")  # backtest-rules -> backtest_rules (module names)
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
