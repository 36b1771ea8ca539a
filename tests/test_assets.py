"""The browser libraries come from npm at set-up (`make assets`) and Django serves them as static files."""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.contrib.staticfiles import finders

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "src" / "exportwatch" / "static" / "vendor" / "echarts"
MISSING = "run `make assets` (npm ci, then copy into src/exportwatch/static/vendor/)"


def _pinned_echarts() -> str:
    return json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["dependencies"]["echarts"]


def test_package_json_pins_an_exact_echarts_6() -> None:
    assert re.fullmatch(r"6\.\d+\.\d+", _pinned_echarts())


def test_the_lock_file_pins_the_same_echarts_as_package_json() -> None:
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"][""]["dependencies"]["echarts"] == _pinned_echarts()
    assert lock["packages"]["node_modules/echarts"]["version"] == _pinned_echarts()


def test_the_vendored_echarts_starts_with_its_apache_licence_banner() -> None:
    script = VENDOR / "echarts.min.js"
    assert script.is_file(), MISSING
    head = script.read_text(encoding="utf-8")[:1000].lstrip()
    assert head.startswith("/*")
    assert "Licensed to the Apache Software Foundation" in head
    assert (VENDOR / "LICENSE").is_file() and (VENDOR / "NOTICE").is_file(), MISSING


def test_the_vendored_echarts_is_the_locked_version() -> None:
    script = VENDOR / "echarts.min.js"
    assert script.is_file(), MISSING
    assert f'.version="{_pinned_echarts()}"' in script.read_text(encoding="utf-8"), MISSING


def test_django_finds_echarts_and_the_chart_script_and_stylesheet() -> None:
    for path in ("vendor/echarts/echarts.min.js", "exportwatch/charts.js", "exportwatch/charts.css"):
        assert finders.find(path), f"{path} not found by the static finders; {MISSING}"
