"""The evaluation harness of the early warnings: a labelled scenario (``demo.scenarios``) run through the normal
import path and the warning engine, and the warnings scored against its labels (``benchmarks/warning_scenarios.py``
runs the whole suite; ``make bench`` reports it).

:func:`scenario_run` imports the scenario's files with ``exchange.services.import_files`` into the current
database, batch by batch as they would arrive (the registry, then each month's reports, lines and events), then
evaluates every month oldest first with ``warnings_evaluate``, as ``exportwatch warnings evaluate --all`` does: each
month judged from the data up to it. Then it scores what was stored:

* **enterprises**: an enterprise is *signalled* in a month when it has an active enterprise warning at ``level``
  or worse (orange by default), from any rule. Its signals are scored against the real drops of its reported
  exports exactly as the track record of the rules scores them (``warnings.record``, ``core.warning_record``: a
  fall of a third year on year, a horizon of ``window`` months): over every enterprise (recall, precision, median
  lead, and each rule's own record), and over the distressed enterprises against the fall their slide caused
  (recall and median lead). Each false alarm is traced to the rules on at its start and to its month; each miss
  of a distressed enterprise to its cause (``core.scenario_scores.miss_cause``) and to the size gate of the
  year-on-year rules;
* **the shocked market or chapter** (``market_collapse``, ``product_collapse``): the first month from the onset
  with an active market (or HS chapter) warning at ``level`` or worse for the shocked key, and its delay;
* **the systemic lamp**: its level each month; the months at yellow or worse (none is the target of ``calm``),
  and for ``systemic`` the delay from the onset to the first month at orange or worse.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from django.db.models import Count

from exportwatch.core.periods import period_range
from exportwatch.core.scenario_scores import (
    AT_LEAST,
    AT_MOST,
    Target,
    count_by,
    false_alarm_starts,
    first_at_or_after,
    miss_cause,
    missed_onsets,
)
from exportwatch.core.warning_record import LEAD_WINDOW, RecordSummary, drop_onsets, records_combine, rule_record
from exportwatch.core.warning_rules import AGGREGATE_SCOPES, LEVELS, MIN_EXPORTS_FOR_YOY, level_rank
from exportwatch.demo.loader import DEMO_DISTRICT
from exportwatch.demo.scenarios import Scenario
from exportwatch.directory.models import Enterprise, Region
from exportwatch.exchange.services import import_files
from exportwatch.reporting.models import Report
from exportwatch.warnings.labels import SYSTEMIC_RULE
from exportwatch.warnings.models import Warning
from exportwatch.warnings.services import rules_current, warnings_evaluate

MARKET_DELAY_TARGET = 1  # months from the onset of a market or product collapse to its warning
SYSTEMIC_DELAY_TARGET = 3  # months from the onset of a systemic downturn to the lamp at orange ("a few")
RECALL_TARGET = 0.9  # of the distressed enterprises whose exports fell by a third
LEAD_TARGET = 1.0  # months, median, before the fall
PRECISION_TARGET = 0.7


class ScenarioImportError(Exception):
    """The scenario's files did not import cleanly (a generator bug: every file must pass)."""


@dataclass(frozen=True)
class EnterpriseScore:
    """The enterprise signals against the real drops.

    Attributes:
        enterprises: Enterprises scored (every one in the registry).
        onsets: Real drops of their reported exports.
        overall: Every enterprise against every real drop (``records_combine``).
        by_rule: Each rule's own signals at the level scored, against the same drops.
        false_alarm_rules: For each false alarm of ``overall``, the rules on at its start, counted.
        false_alarm_periods: The false alarms of ``overall`` by the month they started.
        distressed: The distressed enterprises against the fall their slide caused; ``None`` without any.
        distressed_total: Enterprises that slid.
        distressed_falling: Of those, the ones whose exports fell by a third before the scenario's end.
        miss_causes: The misses of ``distressed`` by cause (``core.scenario_scores.MISS_CAUSES``).
        missed_small: Of those misses, the enterprises too small for the year-on-year rules (exports last year
            below their ``min_base``).
    """

    enterprises: int
    onsets: int
    overall: RecordSummary
    by_rule: dict[str, RecordSummary]
    false_alarm_rules: dict[str, int]
    false_alarm_periods: dict[str, int]
    distressed: RecordSummary | None
    distressed_total: int
    distressed_falling: int
    miss_causes: dict[str, int]
    missed_small: int


@dataclass(frozen=True)
class KeyScore:
    """How soon the shocked market (or HS chapter) was warned of.

    Attributes:
        scope: ``"market"`` or ``"hs"``.
        key: The ISO code or the chapter.
        onset: The shock's first month.
        first_warned: The first month from the onset with an active warning at the level scored; ``None``:
            never.
        delay: Months from the onset to ``first_warned``.
        rules: The rules that warned in ``first_warned``.
        warned_before: Months of the year before the onset with such a warning (false alarms on that key).
    """

    scope: str
    key: str
    onset: str
    first_warned: str | None
    delay: int | None
    rules: tuple[str, ...]
    warned_before: int


@dataclass(frozen=True)
class LampScore:
    """The systemic lamp month by month.

    Attributes:
        levels: By period, the lamp's level (``None`` is green).
        components: By period with the lamp at yellow or worse, the components at yellow or worse.
        months_at_yellow: Months with the lamp at yellow or worse.
        worst: The worst level of the scenario.
        first_orange: The first month from the onset at orange or worse (``systemic`` only, else ``None``).
        delay: Months from the onset to ``first_orange``.
    """

    levels: dict[str, str | None]
    components: dict[str, tuple[str, ...]]
    months_at_yellow: int
    worst: str | None
    first_orange: str | None
    delay: int | None


@dataclass(frozen=True)
class ScenarioScore:
    """A scenario's scores and targets.

    Attributes:
        kind: The scenario's kind.
        seed: Its seed.
        level: The least severe level that counts as a signal.
        window: The horizon of the enterprise scores, in months.
        periods: The first and the last month.
        onset: The shock's onset (``None`` for ``calm`` and ``distress``).
        enterprise: The enterprise scores.
        shocked: The shocked market's or chapter's (``market_collapse``, ``product_collapse``).
        lamp: The systemic lamp.
        aggregate_alarms: By aggregate scope and rule (``"industry new_orders_di"``), how many (key, month)
            warnings at the level were on.
        targets: The targets of the kind, with the figures measured.
        labels_agree: Whether the drops found in the database are the generator's labels (they must be).
        seconds: Time taken by ``import``, ``evaluate`` (every month) and ``score``.
        reports: Reports imported.
    """

    kind: str
    seed: int
    level: str
    window: int
    periods: tuple[str, str]
    onset: str | None
    enterprise: EnterpriseScore
    shocked: KeyScore | None
    lamp: LampScore
    aggregate_alarms: dict[str, int]
    targets: tuple[Target, ...]
    labels_agree: bool
    seconds: dict[str, float]
    reports: int


def scenario_towns() -> list[str]:
    """The demo district's towns, in code order: where a scenario's enterprises live.

    Raises:
        LookupError: when the reference data (the region tree) is not loaded.
    """
    towns = list(
        Region.objects.filter(level=Region.Level.TOWN, parent__code=DEMO_DISTRICT)
        .order_by("code")
        .values_list("code", flat=True)
    )
    if not towns:
        raise LookupError(f"no towns under {DEMO_DISTRICT}: load the reference data first (exportwatch init)")
    return towns


def scenario_import(scenario: Scenario) -> int:
    """Import the scenario's batches in order through ``import_files``; the number of report rows written.

    Raises:
        ScenarioImportError: when a batch has a problem or a suspected unit mistake.
    """
    written = 0
    for batch in scenario.batches:
        outcome = import_files(list(batch.files), user=None)
        found = outcome.problems or outcome.warnings
        if found or not outcome.committed:
            shown = "; ".join(f"{p.file}:{p.row}:{p.column}: {p.message}" for p in found[:5])
            raise ScenarioImportError(f"batch {batch.label} not imported: {shown}")
        written += outcome.written.get("reports", 0)
    return written


def scenario_evaluate() -> list[str]:
    """Evaluate every month with reports, oldest first (``exportwatch warnings evaluate --all``)."""
    periods = sorted(set(Report.objects.values_list("period", flat=True)))
    for period in periods:
        warnings_evaluate(period=period)
    return periods


def scenario_run(scenario: Scenario, *, level: str = "orange", window: int = LEAD_WINDOW) -> ScenarioScore:
    """Import, evaluate and score one scenario in the current database (see the module's docstring).

    The database must hold the reference data and no other enterprises' reports in the scenario's months.

    Args:
        scenario: The scenario (``demo.scenarios.scenario_generate``).
        level: The least severe warning level that counts as a signal (``LEVELS``).
        window: The horizon of the enterprise scores, in months.

    Raises:
        ValueError: on an unknown level.
        ScenarioImportError: when the files do not import cleanly.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown warning level: {level!r}")
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    reports = scenario_import(scenario)
    seconds["import"] = time.perf_counter() - start
    start = time.perf_counter()
    scenario_evaluate()
    seconds["evaluate"] = time.perf_counter() - start
    start = time.perf_counter()
    score = scenario_score(scenario, level=level, window=window, reports=reports)
    seconds["score"] = time.perf_counter() - start
    return replace(score, seconds=seconds)


def scenario_score(
    scenario: Scenario,
    *,
    level: str = "orange",
    window: int = LEAD_WINDOW,
    reports: int = 0,
) -> ScenarioScore:
    """Score the warnings stored for an imported and evaluated scenario (see the module's docstring); ``reports``
    is copied into the score, ``seconds`` left empty (``scenario_run`` fills both)."""
    labels = scenario.labels
    periods = period_range(scenario.periods[0], scenario.periods[-1])
    at_level = [lv for lv in LEVELS if level_rank(lv) >= level_rank(level)]
    series = _exports(periods)
    onsets = {uscc: drop_onsets(values) for uscc, values in series.items()}
    found = {uscc: tuple(periods[i] for i in found) for uscc, found in onsets.items() if found}
    expected = {uscc: falls for uscc, falls in labels.falls.items() if falls}
    enterprise = _enterprise_score(scenario, periods, onsets, at_level, window)
    shocked = None
    if labels.onset is not None and (labels.market or labels.hs):
        scope, key = ("market", labels.market) if labels.market else ("hs", labels.hs)
        shocked = _key_score(scope, str(key), labels.onset, periods, at_level)
    lamp = _lamp_score(periods, labels.onset if labels.kind == "systemic" else None)
    aggregates = {
        f"{scope} {rule}": n
        for scope, rule, n in Warning.objects.filter(
            scope__in=AGGREGATE_SCOPES[:-1], active=True, level__in=at_level, period__in=periods
        )
        .values_list("scope", "rule")
        .annotate(n=Count("id"))
        .values_list("scope", "rule", "n")
        .order_by("scope", "rule")
    }
    return ScenarioScore(
        kind=scenario.kind,
        seed=scenario.seed,
        level=level,
        window=window,
        periods=(periods[0], periods[-1]),
        onset=labels.onset,
        enterprise=enterprise,
        shocked=shocked,
        lamp=lamp,
        aggregate_alarms=aggregates,
        targets=_targets(scenario.kind, enterprise, shocked, lamp),
        labels_agree=found == expected,
        seconds={},
        reports=reports,
    )


# --- Parts ---------------------------------------------------------------------------------------


def _exports(periods: Sequence[str]) -> dict[str, list[float | None]]:
    """Each enterprise's reported exports by period (``None`` where it did not report), as the track record of
    the rules reads them (``warnings.record``)."""
    index = {p: i for i, p in enumerate(periods)}
    series: dict[str, list[float | None]] = {
        uscc: [None] * len(periods) for uscc in Enterprise.objects.values_list("uscc", flat=True)
    }
    rows = Report.objects.filter(is_current=True, period__in=periods).values_list(
        "enterprise__uscc", "period", "exports_usd"
    )
    for uscc, period, exports in rows.iterator(chunk_size=20_000):
        series[uscc][index[period]] = float(exports)
    return series


def _enterprise_signals(
    periods: Sequence[str], at_level: Sequence[str]
) -> tuple[dict[str, set[int]], dict[str, dict[str, set[int]]], dict[str, set[int]], dict[tuple[str, int], list[str]]]:
    """From the stored warnings: per USCC the months signalled at the level; per rule and USCC the same; per USCC
    the months with a warning below the level only; per (USCC, month) the rules at the level."""
    index = {p: i for i, p in enumerate(periods)}
    fired: dict[str, set[int]] = defaultdict(set)
    by_rule: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    lower: dict[str, set[int]] = defaultdict(set)
    rules_on: dict[tuple[str, int], list[str]] = defaultdict(list)
    rows = Warning.objects.filter(scope="enterprise", active=True, period__in=periods).values_list(
        "key", "rule", "period", "level"
    )
    for uscc, rule, period, lv in rows.iterator(chunk_size=20_000):
        i = index[period]
        if lv in at_level:
            fired[uscc].add(i)
            by_rule[rule][uscc].add(i)
            rules_on[(uscc, i)].append(rule)
        else:
            lower[uscc].add(i)
    return fired, by_rule, lower, rules_on


def _size_gate() -> float:
    """The smallest exports last year (USD) the year-on-year rules judge, as currently configured."""
    for row, rule in rules_current():
        if rule.key == "new_orders_yoy" and row.enabled and rule.min_base is not None:
            return rule.min_base
    return MIN_EXPORTS_FOR_YOY


def _enterprise_score(
    scenario: Scenario,
    periods: Sequence[str],
    onsets: Mapping[str, list[int]],
    at_level: Sequence[str],
    window: int,
) -> EnterpriseScore:
    labels = scenario.labels
    index = {p: i for i, p in enumerate(periods)}
    fired, by_rule, lower, rules_on = _enterprise_signals(periods, at_level)
    overall = records_combine(
        rule_record(sorted(fired.get(u, ())), found, window=window) for u, found in onsets.items()
    )
    rule_records = {
        rule: records_combine(rule_record(sorted(keys.get(u, ())), found, window=window) for u, found in onsets.items())
        for rule, keys in sorted(by_rule.items())
    }
    alarm_rules: list[str] = []
    alarm_periods: list[str] = []
    for uscc, found in onsets.items():
        for start in false_alarm_starts(fired.get(uscc, ()), found, window=window):
            alarm_rules.extend(sorted(set(rules_on[(uscc, start)])))
            alarm_periods.append(periods[start])
    distressed = None
    causes: list[str] = []
    small = 0
    falling = {u: f for u, f in labels.distress_falls.items() if f is not None}
    if labels.distressed:
        gate = _size_gate()
        sizes = dict(Enterprise.objects.filter(uscc__in=list(falling)).values_list("uscc", "exports_last_year_usd"))
        records = []
        for uscc, fall in sorted(falling.items()):
            signals = fired.get(uscc, set())
            records.append(rule_record(sorted(signals), [index[fall]], window=window))
            for missed in missed_onsets(signals, [index[fall]], window=window):
                causes.append(miss_cause(missed, fired=signals, lower=lower.get(uscc, ()), window=window))
                small += float(sizes.get(uscc, 0)) < gate
        distressed = records_combine(records)
    return EnterpriseScore(
        enterprises=len(onsets),
        onsets=sum(len(found) for found in onsets.values()),
        overall=overall,
        by_rule=rule_records,
        false_alarm_rules=count_by(alarm_rules),
        false_alarm_periods=dict(sorted(count_by(alarm_periods).items())),
        distressed=distressed,
        distressed_total=len(labels.distressed),
        distressed_falling=len(falling),
        miss_causes=count_by(causes),
        missed_small=small,
    )


def _key_score(scope: str, key: str, onset: str, periods: Sequence[str], at_level: Sequence[str]) -> KeyScore:
    index = {p: i for i, p in enumerate(periods)}
    rules: dict[int, list[str]] = defaultdict(list)
    for rule, period in Warning.objects.filter(
        scope=scope, key=key, active=True, level__in=at_level, period__in=periods
    ).values_list("rule", "period"):
        rules[index[period]].append(rule)
    start = index[onset]
    first = first_at_or_after(rules, start)
    return KeyScore(
        scope=scope,
        key=key,
        onset=onset,
        first_warned=None if first is None else periods[first],
        delay=None if first is None else first - start,
        rules=() if first is None else tuple(sorted(rules[first])),
        warned_before=sum(1 for i in rules if start - 12 <= i < start),
    )


def _lamp_score(periods: Sequence[str], onset: str | None) -> LampScore:
    levels: dict[str, str | None] = dict.fromkeys(periods)
    components: dict[str, tuple[str, ...]] = {}
    yellow = level_rank("yellow")
    for period, lv, details in Warning.objects.filter(
        scope="district", rule=SYSTEMIC_RULE, active=True, period__in=periods
    ).values_list("period", "level", "details"):
        levels[period] = lv
        if level_rank(lv) >= yellow:
            parts = (details or {}).get("components", [])
            components[period] = tuple(
                f"{c['name']} {c['level']}" for c in parts if level_rank(c.get("level")) >= yellow
            )
    index = {p: i for i, p in enumerate(periods)}
    orange = {index[p] for p, lv in levels.items() if level_rank(lv) >= level_rank("orange")}
    first = None if onset is None else first_at_or_after(orange, index[onset])
    worst = max(levels.values(), key=level_rank, default=None)
    return LampScore(
        levels=levels,
        components=components,
        months_at_yellow=sum(1 for lv in levels.values() if level_rank(lv) >= yellow),
        worst=worst,
        first_orange=None if first is None else periods[first],
        delay=None if first is None or onset is None else first - index[onset],
    )


def _targets(kind: str, enterprise: EnterpriseScore, shocked: KeyScore | None, lamp: LampScore) -> tuple[Target, ...]:
    """The targets of the issue that apply to a scenario of ``kind``."""
    found: list[Target] = []
    if kind == "distress":
        d = enterprise.distressed
        found.append(Target("distressed_recall", None if d is None else d.recall, RECALL_TARGET, AT_LEAST))
        found.append(Target("distressed_median_lead", None if d is None else d.median_lead, LEAD_TARGET, AT_LEAST))
        found.append(Target("precision", enterprise.overall.precision, PRECISION_TARGET, AT_LEAST))
    if shocked is not None:
        delay = None if shocked.delay is None else float(shocked.delay)
        found.append(Target(f"{shocked.scope}_delay", delay, MARKET_DELAY_TARGET, AT_MOST))
    if kind == "calm":
        found.append(Target("calm_lamp_months", float(lamp.months_at_yellow), 0, AT_MOST))
    if kind == "systemic":
        delay = None if lamp.delay is None else float(lamp.delay)
        found.append(Target("systemic_lamp_delay", delay, SYSTEMIC_DELAY_TARGET, AT_MOST))
    return tuple(found)


def targets_met(targets: Iterable[Target]) -> bool:
    """Whether every target is met."""
    return all(t.met for t in targets)
