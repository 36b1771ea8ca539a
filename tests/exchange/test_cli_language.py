from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation


def test_the_import_command_explains_problems_in_chinese_by_default(ref: Any, tmp_path: Path) -> None:
    bad = tmp_path / "reports.csv"
    bad.write_text(
        "uscc,period,exports_usd,new_orders_usd,backlog_usd,backlog_due_3m_usd,new_orders_trend,outlook_3m\n"
        "91330213MA0000001X,2020-03,-1,0,0,0,up,up\n",
        encoding="utf-8",
    )
    err = StringIO()
    with translation.override("zh-hans"), pytest.raises(CommandError):
        call_command("import_data", str(bad), stderr=err)
    text = err.getvalue()
    assert f"{bad}:2:exports_usd:" in text
    assert "负数" in text
