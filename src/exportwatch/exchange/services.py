"""Bulk import and export of the DESIGN §5 tables.

Import is all-or-nothing by default: every file is read and every row checked by the same core rules as the
web form and the API; with any problem nothing is written. ``valid_rows_only`` writes the valid rows and lists
the skipped ones, never half of a report (a report and its lines are skipped together). Re-importing the same
file writes nothing the second time.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from exportwatch.common.problems import problem_message
from exportwatch.core.codes import normalize_uscc
from exportwatch.core.periods import coerce_period, period_end, period_start
from exportwatch.core.records import (
    DisruptionIn,
    EnterpriseIn,
    LineIn,
    NeedIn,
    Problem,
    ReportIn,
    check_report_lines,
    clean_disruption,
    clean_enterprise,
    clean_line,
    clean_need,
    clean_report,
)
from exportwatch.directory.models import Enterprise
from exportwatch.directory.services import enterprise_upsert
from exportwatch.exchange.grid import FileProblem, ParsedTable
from exportwatch.exchange.readers import read_upload
from exportwatch.exchange.tables import TABLES
from exportwatch.reporting.adapters import validation_context
from exportwatch.reporting.models import Disruption, Need, Report, ReportLine, Source
from exportwatch.reporting.services import disruption_file, need_file, report_submit

TABLE_ORDER = ("enterprises", "reports", "report_lines", "disruptions", "needs")


@dataclass
class ImportOutcome:
    dry_run: bool
    written: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLE_ORDER, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLE_ORDER, 0))
    problems: list[FileProblem] = field(default_factory=list)
    skipped: list[FileProblem] = field(default_factory=list)
    committed: bool = False


@dataclass
class _Row:
    file: str
    row: int
    values: dict[str, object]
    sheet: str = ""
    columns: dict[str, int] = field(default_factory=dict)
    ok: bool = True


def _problems_of(row: _Row, problems: Iterable[Problem]) -> list[FileProblem]:
    return [
        FileProblem(row.file, row.row, p.field, problem_message(p), row.sheet, row.columns.get(p.field, 0))
        for p in problems
    ]


def _report_in_from(report: Report) -> ReportIn:
    return ReportIn(
        uscc=report.enterprise.uscc,
        period=report.period,
        exports_usd=report.exports_usd,
        new_orders_usd=report.new_orders_usd,
        backlog_usd=report.backlog_usd,
        backlog_due_3m_usd=report.backlog_due_3m_usd,
        capacity_utilization_pct=report.capacity_utilization_pct,
        new_orders_trend=report.new_orders_trend,
        outlook_3m=report.outlook_3m,
    )


def _lines_in_from(report: Report) -> list[LineIn]:
    return [
        LineIn(
            uscc=report.enterprise.uscc,
            period=report.period,
            market=ln.market_id,
            hs=ln.hs,
            backlog_usd=ln.backlog_usd,
            new_orders_usd=ln.new_orders_usd,
            exports_usd=ln.exports_usd,
        )
        for ln in report.lines.all()
    ]


def import_files(
    files: Sequence[tuple[str, bytes]],
    *,
    user: Any,
    dry_run: bool = False,
    valid_rows_only: bool = False,
    scope: QuerySet[Enterprise] | None = None,
) -> ImportOutcome:
    """Check and (unless ``dry_run``) write the rows of CSV files.

    Args:
        files: (file name, content) pairs; each file holds one table, recognised by its header.
        user: who imports (audited); None for the command line.
        scope: enterprises the importer may write for (None: all, for administrators and the command line).
    """
    outcome = ImportOutcome(dry_run=dry_run)
    parsed: dict[str, list[_Row]] = defaultdict(list)
    for name, data in files:
        tables, problems = read_upload(name, data)
        outcome.problems.extend(problems)
        for pt in tables:
            parsed[pt.table.key].extend(_rows(pt))
    if outcome.problems and not valid_rows_only:
        return outcome

    allowed = None if scope is None else set(scope.values_list("uscc", flat=True))
    # Enterprises first: reports may name an enterprise the same batch registers.
    ctx = validation_context()
    enterprises: list[tuple[_Row, EnterpriseIn]] = []
    seen_ent: dict[str, _Row] = {}
    for row in parsed["enterprises"]:
        obj, problems = clean_enterprise(row.values, ctx=ctx)
        _fail(outcome, row, problems)
        if obj is not None and not problems:
            if obj.uscc in seen_ent:
                _dup(outcome, row, "uscc", seen_ent[obj.uscc])
                continue
            if allowed is not None and obj.uscc not in allowed:
                _fail(outcome, row, [Problem("uscc", "unknown_enterprise")])
                continue
            seen_ent[obj.uscc] = row
            enterprises.append((row, obj))
    ctx = validation_context(extra_enterprises={obj.uscc for _row, obj in enterprises})

    def in_scope(row: _Row, uscc: str) -> bool:
        if allowed is None or uscc in allowed or uscc in seen_ent:
            return True
        _fail(outcome, row, [Problem("uscc", "unknown_enterprise")])
        return False

    reports: dict[tuple[str, str], tuple[_Row, ReportIn]] = {}
    for row in parsed["reports"]:
        rep, problems = clean_report(row.values, ctx=ctx)
        _fail(outcome, row, problems)
        if rep is not None and not problems and in_scope(row, rep.uscc):
            key = (rep.uscc, rep.period)
            if key in reports:
                _dup(outcome, row, "period", reports[key][0])
                continue
            reports[key] = (row, rep)
    lines: dict[tuple[str, str], list[tuple[_Row, LineIn]]] = defaultdict(list)
    bad_line_keys: set[tuple[str, str]] = set()
    for row in parsed["report_lines"]:
        line, problems = clean_line(row.values, ctx=ctx)
        _fail(outcome, row, problems)
        if line is not None and not problems and in_scope(row, line.uscc):
            lines[(line.uscc, line.period)].append((row, line))
        else:
            raw_period = row.values.get("period", "")
            key = (
                normalize_uscc(unicodedata.normalize("NFKC", str(row.values.get("uscc", "")))),
                coerce_period(raw_period) or str(raw_period).strip(),
            )
            bad_line_keys.add(key)

    # A report and its lines are one unit.
    groups: list[tuple[ReportIn, list[LineIn], list[_Row]]] = []
    for key in sorted(set(reports) | set(lines)):
        rows_of_group = ([reports[key][0]] if key in reports else []) + [r for r, _line in lines.get(key, [])]
        stored = None
        if key not in reports or key not in lines:
            stored = (
                Report.objects.select_related("enterprise")
                .prefetch_related("lines")
                .filter(enterprise__uscc=key[0], period=key[1], is_current=True)
                .first()
            )
        if key in reports:
            rep = reports[key][1]
        elif stored is not None:
            rep = _report_in_from(stored)
        else:
            for r, _line in lines[key]:
                _fail(
                    outcome,
                    r,
                    [Problem("period", "lines_without_report", (("uscc", key[0]), ("period", key[1])))],
                )
            continue
        if key in lines:
            group_lines = [ln for _row, ln in lines[key]]
        else:
            group_lines = _lines_in_from(stored) if stored is not None else []
        cross = check_report_lines(rep, group_lines)
        if cross:
            target = reports[key][0] if key in reports else lines[key][0][0]
            _fail(outcome, target, cross)
        if key in bad_line_keys or any(not r.ok for r in rows_of_group):
            for r in rows_of_group:
                if r.ok:
                    r.ok = False
                    outcome.skipped.append(FileProblem(r.file, r.row, "", _("skipped with its report"), r.sheet))
            continue
        groups.append((rep, group_lines, rows_of_group))

    disruptions: list[DisruptionIn] = []
    for row in parsed["disruptions"]:
        d, problems = clean_disruption(row.values, ctx=ctx)
        _fail(outcome, row, problems)
        if d is not None and not problems and in_scope(row, d.uscc):
            disruptions.append(d)
    needs: list[NeedIn] = []
    for row in parsed["needs"]:
        n, problems = clean_need(row.values, ctx=ctx)
        _fail(outcome, row, problems)
        if n is not None and not problems and in_scope(row, n.uscc):
            needs.append(n)

    if outcome.problems and not valid_rows_only:
        return outcome
    if valid_rows_only:
        outcome.skipped = sorted({*outcome.skipped, *outcome.problems}, key=lambda p: (p.file, p.row, p.column))
        outcome.problems = []

    with transaction.atomic():
        for _row, ent_in in enterprises:
            _ent, state = enterprise_upsert(data=ent_in, actor=user)
            _count(outcome, "enterprises", state != "unchanged")
        by_uscc = {e.uscc: e for e in Enterprise.objects.filter(uscc__in={g[0].uscc for g in groups})}
        for rep, group_lines, rows_of_group in groups:
            result = report_submit(
                enterprise=by_uscc[rep.uscc], data=rep, lines=group_lines, submitted_by=user, source=Source.CSV
            )
            _count(outcome, "reports", result.created)
            n_line_rows = sum(1 for r in rows_of_group if "market" in r.values)
            if result.created:
                outcome.written["report_lines"] += n_line_rows
            else:
                outcome.unchanged["report_lines"] += n_line_rows
        ent_cache: dict[str, Enterprise] = {}
        for d in disruptions:
            ent = ent_cache.setdefault(d.uscc, Enterprise.objects.get(uscc=d.uscc))
            _count(
                outcome,
                "disruptions",
                disruption_file(enterprise=ent, data=d, created_by=user, source=Source.CSV).created,
            )
        for n in needs:
            ent = ent_cache.setdefault(n.uscc, Enterprise.objects.get(uscc=n.uscc))
            _count(outcome, "needs", need_file(enterprise=ent, data=n, created_by=user, source=Source.CSV).created)
        if dry_run:
            transaction.set_rollback(True)
        else:
            outcome.committed = True
    return outcome


def _rows(pt: ParsedTable) -> list[_Row]:
    columns = dict(pt.columns)
    return [_Row(file=pt.file, row=n, values=values, sheet=pt.sheet, columns=columns) for n, values in pt.rows]


def _fail(outcome: ImportOutcome, row: _Row, problems: Iterable[Problem]) -> None:
    found = _problems_of(row, problems)
    if found:
        row.ok = False
        outcome.problems.extend(found)


def _dup(outcome: ImportOutcome, row: _Row, column: str, first: _Row) -> None:
    _fail(outcome, row, [Problem(column, "duplicate_row", (("row", str(first.row)),))])


def _count(outcome: ImportOutcome, table: str, written: bool) -> None:
    if written:
        outcome.written[table] += 1
    else:
        outcome.unchanged[table] += 1


# --- Export ------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: str) -> str:
    """Neutralise text a spreadsheet would run as a formula (CSV injection): prefix it with a quote."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _money(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def export_columns(table: str) -> tuple[str, ...]:
    columns = TABLES[table].columns
    if table == "enterprises":
        return (*columns, "head_enterprise", "whitelist_eligible")
    return columns


def export_rows(table: str, *, enterprises: QuerySet[Enterprise], period: str | None) -> Iterator[list[str]]:
    """Rows of ``table`` for the given (already scoped) enterprises, as text cells in ``export_columns`` order."""
    if table == "enterprises":
        head = settings.EXPORTWATCH_HEAD_EXPORTS_USD
        white = settings.EXPORTWATCH_WHITELIST_TRADE_USD
        for e in enterprises.prefetch_related("segments").order_by("uscc"):
            yield [
                e.uscc,
                escape_cell(e.name),
                e.customs_code,
                e.town_id,
                e.industry_id,
                _money(e.exports_last_year_usd),
                _money(e.imports_last_year_usd),
                escape_cell(e.contact_name),
                escape_cell(e.contact_phone),
                ";".join(sorted(s.code for s in e.segments.all())),
                "true" if e.exports_last_year_usd >= head else "false",
                "true" if e.exports_last_year_usd + e.imports_last_year_usd >= white else "false",
            ]
    elif table == "reports":
        qs = Report.objects.filter(is_current=True, enterprise__in=enterprises).select_related("enterprise")
        if period:
            qs = qs.filter(period=period)
        for r in qs.order_by("enterprise__uscc", "period").iterator(chunk_size=2000):
            yield [
                r.enterprise.uscc,
                r.period,
                _money(r.exports_usd),
                _money(r.new_orders_usd),
                _money(r.backlog_usd),
                _money(r.backlog_due_3m_usd),
                _money(r.capacity_utilization_pct),
                r.new_orders_trend,
                r.outlook_3m,
            ]
    elif table == "report_lines":
        lq = ReportLine.objects.filter(report__is_current=True, report__enterprise__in=enterprises)
        if period:
            lq = lq.filter(report__period=period)
        rows = lq.order_by("report__enterprise__uscc", "report__period", "market_id", "hs").values_list(
            "report__enterprise__uscc",
            "report__period",
            "market_id",
            "hs",
            "backlog_usd",
            "new_orders_usd",
            "exports_usd",
        )
        for uscc, per, market, hs, backlog, new_orders, exports in rows.iterator(chunk_size=5000):
            yield [uscc, per, market, hs, _money(backlog), _money(new_orders), _money(exports)]
    elif table == "disruptions":
        dq = Disruption.objects.filter(enterprise__in=enterprises).select_related("enterprise")
        if period:
            dq = dq.filter(date__range=(period_start(period), period_end(period)))
        for d in dq.order_by("enterprise__uscc", "date", "id"):
            yield [
                d.enterprise.uscc,
                d.date.isoformat(),
                d.kind,
                _money(d.amount_usd),
                d.market_id or "",
                d.hs,
                escape_cell(d.note),
            ]
    elif table == "needs":
        nq = Need.objects.filter(enterprise__in=enterprises).select_related("enterprise")
        if period:
            nq = nq.filter(date__range=(period_start(period), period_end(period)))
        for n in nq.order_by("enterprise__uscc", "date", "id"):
            yield [
                n.enterprise.uscc,
                n.date.isoformat(),
                n.category,
                _money(n.amount_usd),
                n.urgency,
                escape_cell(n.description),
            ]
    else:
        raise KeyError(table)


def export_csv_text(table: str, *, enterprises: QuerySet[Enterprise], period: str | None) -> Iterator[str]:
    """The CSV text of a table, streamed line by line."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(export_columns(table))
    yield buf.getvalue()
    for row in export_rows(table, enterprises=enterprises, period=period):
        buf.seek(0)
        buf.truncate()
        writer.writerow(row)
        yield buf.getvalue()
