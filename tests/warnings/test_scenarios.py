"""The evaluation harness end to end (exportwatch.warnings.scenarios): a small labelled scenario imported through
``import_files``, every month evaluated, the stored warnings scored against the labels."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from exportwatch.demo.scenarios import scenario_generate
from exportwatch.reporting.models import Report
from exportwatch.warnings.models import PendingMonth
from exportwatch.warnings.scenarios import ScenarioImportError, scenario_run, scenario_towns

SEED = 1
ENTERPRISES = 60  # at least 50, so each month's import leaves the month pending as a bulk import does
WINDOW = {"first_period": "2018-06", "last_period": "2020-06"}  # 25 months: a comparable year and a shock


@pytest.fixture(autouse=True)
def replay_day(ref: None, settings: Any) -> Iterator[None]:
    """The reference data, a day after the scenarios' last month, and no counts cached by an earlier test (the
    monitoring cache is keyed by a stamp that starts again with every rolled-back test database)."""
    settings.EXPORTWATCH_TODAY = dt.date(2020, 7, 15)
    cache.clear()
    yield
    cache.clear()


def test_the_towns_are_the_demo_districts() -> None:
    towns = scenario_towns()
    assert len(towns) == 12 and all(t.startswith("330213") for t in towns)


def test_a_market_collapse_is_warned_of_within_a_month_of_its_onset() -> None:
    scenario = scenario_generate(
        "market_collapse", towns=scenario_towns(), seed=SEED, enterprises=ENTERPRISES, onset="2019-06", **WINDOW
    )
    score = scenario_run(scenario)

    assert score.labels_agree
    assert score.reports == Report.objects.filter(is_current=True).count() > 0
    assert not PendingMonth.objects.exists()  # every month evaluated, oldest first
    shocked = score.shocked
    assert shocked is not None and (shocked.scope, shocked.key, shocked.onset) == ("market", "US", "2019-06")
    assert shocked.delay is not None and shocked.delay <= 1
    assert "market_delay" in {t.key for t in score.targets if t.met}
    # The enterprises selling mostly to the US fall by a third, and the scores count them.
    assert score.enterprise.onsets > 0 and score.enterprise.overall.hits > 0


def test_a_calm_district_lights_no_systemic_lamp() -> None:
    scenario = scenario_generate("calm", towns=scenario_towns(), seed=SEED, enterprises=ENTERPRISES, **WINDOW)
    score = scenario_run(scenario)

    assert score.labels_agree
    assert score.shocked is None and score.onset is None and score.lamp.first_orange is None
    assert [t.key for t in score.targets] == ["calm_lamp_months"]
    lit = {
        p: (lv, score.lamp.components.get(p))
        for p, lv in score.lamp.levels.items()
        if lv in ("yellow", "orange", "red")
    }
    assert score.lamp.months_at_yellow == 0, f"the calm district's systemic lamp lit: {lit}"
    assert all(t.met for t in score.targets)


def test_a_file_the_importer_refuses_stops_the_run() -> None:
    scenario = scenario_generate("calm", towns=["999999999"], seed=SEED, enterprises=3, **WINDOW)
    with pytest.raises(ScenarioImportError, match="registry"):
        scenario_run(scenario)


def test_an_unknown_level_is_refused() -> None:
    scenario = scenario_generate("calm", towns=scenario_towns(), seed=SEED, enterprises=3, **WINDOW)
    with pytest.raises(ValueError, match="level"):
        scenario_run(scenario, level="purple")
