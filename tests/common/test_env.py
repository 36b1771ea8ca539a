"""Settings come from the environment through typed helpers that fail loudly (STYLE.md principle 12)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from exportwatch.common import clock
from exportwatch.common.env import env_bool, env_date, env_int, env_list

NAME = "EXPORTWATCH_TEST_VALUE"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("Yes", True),
        (" on ", True),
        ("0", False),
        ("false", False),
        ("NO", False),
        ("off", False),
        ("", False),
    ],
)
def test_env_bool_reads_the_usual_spellings(monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool) -> None:
    monkeypatch.setenv(NAME, raw)
    assert env_bool(NAME, default=not expected) is expected


def test_env_bool_uses_the_default_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NAME, raising=False)
    assert env_bool(NAME, True) is True
    assert env_bool(NAME, False) is False


@pytest.mark.parametrize("raw", ["maybe", "2", "y e s"])
def test_env_bool_rejects_anything_else_naming_the_variable(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(NAME, raw)
    with pytest.raises(ImproperlyConfigured, match=NAME):
        env_bool(NAME)


def test_env_int_reads_an_integer_within_its_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, "28")
    assert env_int(NAME, 5, minimum=1, maximum=28) == 28


def test_env_int_uses_the_default_when_unset_or_blank(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NAME, raising=False)
    assert env_int(NAME, 7) == 7
    monkeypatch.setenv(NAME, "  ")
    assert env_int(NAME, 7) == 7


@pytest.mark.parametrize("raw", ["five", "1.5", "10MB"])
def test_env_int_rejects_a_non_integer(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(NAME, raw)
    with pytest.raises(ImproperlyConfigured, match=NAME):
        env_int(NAME, 5)


@pytest.mark.parametrize("raw", ["0", "29", "-3"])
def test_env_int_rejects_a_value_outside_its_bounds(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(NAME, raw)
    with pytest.raises(ImproperlyConfigured, match=NAME):
        env_int(NAME, 5, minimum=1, maximum=28)


def test_env_date_reads_an_iso_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, "2020-04-15")
    assert env_date(NAME) == dt.date(2020, 4, 15)


def test_env_date_is_none_when_unset_or_blank(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NAME, raising=False)
    assert env_date(NAME) is None
    monkeypatch.setenv(NAME, "")
    assert env_date(NAME) is None


@pytest.mark.parametrize("raw", ["2020-13-01", "2020-02-30", "15/04/2020", "today"])
def test_env_date_rejects_a_bad_date(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(NAME, raw)
    with pytest.raises(ImproperlyConfigured, match=NAME):
        env_date(NAME)


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, " a.example, b.example ,,")
    assert env_list(NAME, ["default"]) == ["a.example", "b.example"]


def test_env_list_uses_the_default_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NAME, raising=False)
    assert env_list(NAME, ["default"]) == ["default"]


def test_env_list_of_an_empty_value_is_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, "")
    assert env_list(NAME, ["default"]) == []


def test_clock_today_is_the_configured_day() -> None:
    with override_settings(EXPORTWATCH_TODAY=dt.date(2020, 4, 15)):
        assert clock.today() == dt.date(2020, 4, 15)
        assert clock.current_period() == "2020-04"
        assert clock.now().date() == dt.date(2020, 4, 15)


def test_clock_today_follows_the_real_clock_when_not_configured() -> None:
    with override_settings(EXPORTWATCH_TODAY=None), time_machine.travel(dt.datetime(2021, 6, 30, 20, 0, tzinfo=dt.UTC)):
        # 20:00 UTC is already the next day in Asia/Shanghai (the configured TIME_ZONE).
        assert clock.today() == dt.date(2021, 7, 1)


# --- Settings, imported in a fresh interpreter ------------------------------------------------


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("EXPORTWATCH_") and k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["EXPORTWATCH_VAR"] = str(tmp_path / "var")
    env["EXPORTWATCH_HOME"] = str(tmp_path)
    env.update(extra)
    return env


def _run(code: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def test_settings_refuse_to_start_without_a_secret_key_in_production(tmp_path: Path) -> None:
    env = _clean_env(tmp_path, EXPORTWATCH_DEMO="0", EXPORTWATCH_DEBUG="0")
    result = _run("import exportwatch.settings", env, tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "EXPORTWATCH_SECRET_KEY" in result.stderr


def test_settings_in_demo_mode_keep_a_generated_key_under_var(tmp_path: Path) -> None:
    env = _clean_env(tmp_path, EXPORTWATCH_DEMO="1")
    code = "import exportwatch.settings as s; print(s.SECRET_KEY)"
    first, second = _run(code, env, tmp_path), _run(code, env, tmp_path)
    assert first.returncode == 0, first.stderr
    assert len(first.stdout.strip()) >= 50
    assert first.stdout == second.stdout
    key_file = tmp_path / "var" / "secret_key"
    assert key_file.read_text().strip() == first.stdout.strip()
    assert key_file.stat().st_mode & 0o777 == 0o600  # readable by its owner only


def test_settings_refuse_a_mysql_database_url(tmp_path: Path) -> None:
    env = _clean_env(tmp_path, EXPORTWATCH_SECRET_KEY="k" * 50, DATABASE_URL="mysql://x")
    result = _run("import exportwatch.settings", env, tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DATABASE_URL" in result.stderr


def test_settings_refuse_a_malformed_database_url(tmp_path: Path) -> None:
    env = _clean_env(tmp_path, EXPORTWATCH_SECRET_KEY="k" * 50, DATABASE_URL="not a url")
    result = _run("import exportwatch.settings", env, tmp_path)
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_settings_refuse_an_impossible_today(tmp_path: Path) -> None:
    env = _clean_env(tmp_path, EXPORTWATCH_SECRET_KEY="k" * 50, EXPORTWATCH_TODAY="2020-13-01")
    result = _run("import exportwatch.settings", env, tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "EXPORTWATCH_TODAY" in result.stderr


def test_settings_read_a_frozen_today(tmp_path: Path) -> None:
    env = _clean_env(tmp_path, EXPORTWATCH_SECRET_KEY="k" * 50, EXPORTWATCH_TODAY="2020-04-15")
    result = _run("import exportwatch.settings as s; print(s.EXPORTWATCH_TODAY.isoformat())", env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2020-04-15"


def test_the_default_sqlite_database_lives_under_var_in_wal_mode(tmp_path: Path) -> None:
    env = _clean_env(tmp_path, EXPORTWATCH_SECRET_KEY="k" * 50, DJANGO_SETTINGS_MODULE="exportwatch.settings")
    code = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])\n"
        "    c.execute('PRAGMA foreign_keys'); print(c.fetchone()[0])\n"
        "print(connection.settings_dict['NAME'])\n"
    )
    result = _run(code, env, tmp_path)
    assert result.returncode == 0, result.stderr
    journal_mode, foreign_keys, name = result.stdout.split()
    assert journal_mode == "wal"
    assert foreign_keys == "1"
    assert Path(name) == tmp_path / "var" / "exportwatch.sqlite3"
