"""Bulk import of the DESIGN §5 tables.

Import is all-or-nothing by default: every file is read and every row checked by the same core rules as the
web form and the API; with any problem nothing is written. ``valid_rows_only`` writes the valid rows and lists
the skipped ones, never half of a report (a report and its lines are skipped together). Re-importing the same
file writes nothing the second time.

Reports and their lines take a bulk path built for files of millions of rows: the rows are streamed twice
(check, then write) and never held in memory together; per report only a tally of its lines is kept
(``core.records.LineTally``). Each changed report becomes a new version exactly as a web submission would
(old version kept, audit event with old and new figures), in one transaction.
"""

from __future__ import annotations

import gc
import json
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import Any

import polars as pl
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from exportwatch.common import clock
from exportwatch.common.audit import audit_record
from exportwatch.common.bulk import insert_frame, insert_rows
from exportwatch.common.models import AuditEvent
from exportwatch.common.problems import problem_message
from exportwatch.core.codes import normalize_uscc
from exportwatch.core.periods import coerce_period
from exportwatch.core.records import (
    LINE_AMOUNT_COLUMNS,
    REPORT_FIGURES,
    CustomsExportIn,
    DisruptionIn,
    EnterpriseIn,
    LineIn,
    LineTally,
    NeedIn,
    Problem,
    ReportIn,
    clean_customs_export,
    clean_disruption,
    clean_enterprise,
    clean_line,
    clean_need,
    clean_report,
    line_row_fast,
)
from exportwatch.customs.services import customs_upsert_many
from exportwatch.directory.models import Enterprise
from exportwatch.directory.services import enterprise_upsert
from exportwatch.exchange.fastlines import LinesFrame, lines_frame, reports_frame, rows_for_write, rows_of
from exportwatch.exchange.grid import EXTRA_CELLS, UNNAMED_CELL, FileProblem, ParsedTable
from exportwatch.exchange.readers import read_upload
from exportwatch.monitoring.cells import NewReport, cells_add_new, cells_apply, line_parts
from exportwatch.reporting.adapters import report_in, stored_figures, validation_context
from exportwatch.reporting.mix import mixes_keep, mixes_of_parts, mixes_store
from exportwatch.reporting.models import Report, ReportDraft, ReportLine, Source
from exportwatch.reporting.services import disruption_file, need_file
from exportwatch.reporting.signals import reports_changed

TABLE_ORDER = ("enterprises", "reports", "report_lines", "disruptions", "needs", "customs_exports")
CHUNK = 5000
# Tables of reports or lines larger than this are checked in columns first (exchange/fastlines.py); small ones
# row by row (the columnar set-up costs more than it saves).
COLUMNAR_MIN_CHARS = 200_000  # CSV text
COLUMNAR_MIN_ROWS = 2_000  # worksheet rows
PRELOAD_ENTERPRISES_ROWS = 1000  # rows in the files from which every USCC is read at once
# A figure this many times an enterprise's usual monthly exports is taken for a unit mistake (an amount in USD
# typed into a 万美元 column is 10,000 times too large) and must be confirmed before it is imported.
UNIT_SUSPICION_RATIO = Decimal(2000)
UNIT_SUSPICION_FLOOR = Decimal(1_000_000)
Key = tuple[str, str]  # (uscc, period)


@dataclass
class ImportOutcome:
    dry_run: bool
    written: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLE_ORDER, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLE_ORDER, 0))
    problems: list[FileProblem] = field(default_factory=list)
    skipped: list[FileProblem] = field(default_factory=list)
    warnings: list[FileProblem] = field(default_factory=list)  # suspected unit mistakes, to be confirmed
    total_rows: int = 0
    committed: bool = False
    units_confirmed: bool = False

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.warnings) and not self.problems and not self.units_confirmed


@dataclass
class _Row:
    file: str
    row: int
    values: dict[str, object]
    sheet: str = ""
    columns: dict[str, int] = field(default_factory=dict)
    ok: bool = True

    def problem(self, p: Problem) -> FileProblem:
        return FileProblem(self.file, self.row, p.field, problem_message(p), self.sheet, self.columns.get(p.field, 0))


def _problems_of(row: _Row, problems: Iterable[Problem]) -> list[FileProblem]:
    return [row.problem(p) for p in problems]


@dataclass
class _Group:
    """One (enterprise, period): its report row (if in the files) and the tally of its line rows."""

    report_row: _Row | None = None
    report: ReportIn | None = None
    tally: LineTally | None = None
    first_line_row: _Row | None = None
    line_rows: int = 0
    bad: bool = False
    stored: dict[str, Any] | None = None
    changed: bool = False
    new_report_id: int | None = None


def _key_of(values: Mapping[str, object]) -> Key:
    raw_period = values.get("period", "")
    return (
        normalize_uscc(unicodedata.normalize("NFKC", str(values.get("uscc", "") or ""))),
        coerce_period(raw_period) or str(raw_period).strip(),
    )


def import_files(
    files: Sequence[tuple[str, bytes]],
    *,
    user: Any,
    dry_run: bool = False,
    valid_rows_only: bool = False,
    scope: QuerySet[Enterprise] | None = None,
    confirm_units: bool = False,
    progress: Callable[[int, int], None] | None = None,
    customs_allowed: bool = True,
) -> ImportOutcome:
    """Check and (unless ``dry_run``) write the rows of CSV files and workbooks.

    Args:
        files: (file name, content) pairs; each CSV holds one table, each worksheet one table, recognised by
            its header.
        user: who imports (audited); None for the command line.
        scope: enterprises the importer may write for (None: all, for administrators and the command line).
        confirm_units: import figures flagged as suspected unit mistakes (``outcome.warnings``).
        progress: called with (rows written, rows in total) while writing.
        customs_allowed: whether customs statistics (``customs_exports``) may be loaded: the bureau's analysts
            and administrators, and the command line; a sheet of them from anyone else is refused as a whole.
    """
    # A large import builds millions of short-lived objects next to a large, long-lived tally; the cyclic garbage
    # collector would rescan the tally again and again. Nothing here makes reference cycles, so pause it.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _import_files(
            files,
            user=user,
            dry_run=dry_run,
            valid_rows_only=valid_rows_only,
            scope=scope,
            confirm_units=confirm_units,
            progress=progress,
            customs_allowed=customs_allowed,
        )
    finally:
        if collecting:
            gc.enable()


def _import_files(
    files: Sequence[tuple[str, bytes]],
    *,
    user: Any,
    dry_run: bool,
    valid_rows_only: bool,
    scope: QuerySet[Enterprise] | None,
    confirm_units: bool,
    progress: Callable[[int, int], None] | None,
    customs_allowed: bool,
) -> ImportOutcome:
    outcome = ImportOutcome(dry_run=dry_run, units_confirmed=confirm_units)
    sources: dict[str, list[ParsedTable]] = defaultdict(list)
    for name, data in files:
        tables, problems = read_upload(name, data)
        outcome.problems.extend(problems)
        for pt in tables:
            sources[pt.table.key].append(pt)
    if outcome.problems and not valid_rows_only:
        return outcome
    run = _Import(
        outcome,
        user=user,
        scope=scope,
        valid_rows_only=valid_rows_only,
        progress=progress,
        customs_allowed=customs_allowed,
    )
    run.check(sources)
    if outcome.problems and not valid_rows_only:
        return outcome
    if outcome.warnings and not confirm_units:
        return outcome
    if valid_rows_only:
        outcome.skipped = sorted(
            {*outcome.skipped, *outcome.problems}, key=lambda p: (p.file, p.sheet, p.row, p.column)
        )
        outcome.problems = []
    with transaction.atomic():
        run.write(sources)
        if dry_run:
            transaction.set_rollback(True)
        else:
            outcome.committed = True
    return outcome


class _Import:
    def __init__(
        self,
        outcome: ImportOutcome,
        *,
        user: Any,
        scope: QuerySet[Enterprise] | None,
        valid_rows_only: bool,
        progress: Callable[[int, int], None] | None,
        customs_allowed: bool = True,
    ) -> None:
        self.outcome = outcome
        self.user = user
        self.allowed = None if scope is None else set(scope.values_list("uscc", flat=True))
        self.valid_rows_only = valid_rows_only
        self.progress = progress
        self.enterprises: list[tuple[_Row, EnterpriseIn]] = []
        self.new_usccs: set[str] = set()
        self.groups: dict[Key, _Group] = {}
        self.disruptions: list[DisruptionIn] = []
        self.needs: list[NeedIn] = []
        self.customs_allowed = customs_allowed
        self.customs: list[CustomsExportIn] = []
        self.customs_files: set[str] = set()
        self.ctx = validation_context()
        self.done = 0
        self.fast_lines: list[LinesFrame] = []
        self.fast_keys: set[Key] = set()  # reports whose lines were written from a frame
        self.fast_frames: list[pl.DataFrame] = []  # those lines, summed per report, market and chapter
        self.enterprise_ids: dict[str, int] = {}

    # --- reading --------------------------------------------------------------------------------

    def rows(self, tables: Iterable[ParsedTable]) -> Iterator[_Row]:
        for pt, columns, number, values in self.raw_rows(tables):
            yield _Row(pt.file, number, values, pt.sheet, columns)

    def raw_rows(
        self, tables: Iterable[ParsedTable]
    ) -> Iterator[tuple[ParsedTable, dict[str, int], int, dict[str, object]]]:
        """The data rows of the tables, with the row-shape problems (extra cells, too many rows) recorded."""
        for pt in tables:
            columns = dict(pt.columns)
            for count, (number, values) in enumerate(pt.rows, start=1):
                if pt.max_rows and count > pt.max_rows:
                    self.outcome.problems.append(
                        FileProblem(
                            pt.file,
                            number,
                            "",
                            _("The file has more than %(limit)s rows; split it.") % {"limit": pt.max_rows},
                            pt.sheet,
                        )
                    )
                    return
                if EXTRA_CELLS in values or UNNAMED_CELL in values:
                    row = _Row(pt.file, number, values, pt.sheet, columns)
                    if EXTRA_CELLS in values:
                        n, m = values[EXTRA_CELLS]  # type: ignore[misc]
                        self.fail_text(
                            row, _("This row has %(n)s cells but the header has %(m)s columns.") % {"n": n, "m": m}
                        )
                    if UNNAMED_CELL in values:
                        self.fail_text(row, _("Column %(n)s has data but no header.") % {"n": values[UNNAMED_CELL]})
                    values["__bad_shape__"] = True
                yield pt, columns, number, values

    def fail(self, row: _Row, problems: Iterable[Problem]) -> bool:
        found = _problems_of(row, problems)
        if found:
            row.ok = False
            self.outcome.problems.extend(found)
        return bool(found)

    def fail_text(self, row: _Row, message: str) -> None:
        row.ok = False
        self.outcome.problems.append(FileProblem(row.file, row.row, "", message, row.sheet))

    def in_scope(self, row: _Row, uscc: str) -> bool:
        if self.allowed is None or uscc in self.allowed or uscc in self.new_usccs:
            return True
        self.fail(row, [Problem("uscc", "unknown_enterprise")])
        return False

    def duplicate(self, row: _Row, column: str, first: _Row) -> None:
        self.fail(row, [Problem(column, "duplicate_row", (("row", str(first.row)),))])

    # --- pass 1: check every row ------------------------------------------------------------------

    def check(self, sources: Mapping[str, list[ParsedTable]]) -> None:
        seen: dict[str, _Row] = {}
        for row in self.rows(sources.get("enterprises", [])):
            obj, problems = clean_enterprise(row.values, ctx=self.ctx)
            if self.fail(row, problems) or obj is None or not row.ok:
                continue
            if obj.uscc in seen:
                self.duplicate(row, "uscc", seen[obj.uscc])
            elif self.allowed is not None and obj.uscc not in self.allowed:
                self.fail(row, [Problem("uscc", "unknown_enterprise")])
            else:
                seen[obj.uscc] = row
                self.enterprises.append((row, obj))
        self.new_usccs = {obj.uscc for _row, obj in self.enterprises}
        # One query per distinct enterprise costs more than reading every USCC once when the files are large.
        large = sum(_rows_estimate(pt) for tables in sources.values() for pt in tables) >= PRELOAD_ENTERPRISES_ROWS
        self.ctx = validation_context(extra_enterprises=self.new_usccs, preload_enterprises=large)

        slow_reports = [pt for pt in sources.get("reports", []) if not self.take_fast_reports(pt)]
        for row in self.rows(slow_reports):
            if _blank(row.values, REPORT_FIGURES):
                continue  # a pre-listed enterprise the clerk did not fill in (town templates)
            self.outcome.total_rows += 1
            rep, problems = clean_report(row.values, ctx=self.ctx)
            key = (rep and (rep.uscc, rep.period)) or _key_of(row.values)
            group = self.groups.setdefault(key, _Group())
            if self.fail(row, problems) or rep is None or not row.ok or not self.in_scope(row, rep.uscc):
                group.bad = True
                continue
            if group.report_row is not None:
                self.duplicate(row, "period", group.report_row)
                group.bad = True
                continue
            row.values = {}  # checked: only its place in the file is needed from here on (memory, for big files)
            group.report_row, group.report = row, rep

        slow_tables = []
        for pt in sources.get("report_lines", []):
            if not self.take_fast(pt):
                slow_tables.append(pt)
        for pt, columns, number, values in self.raw_rows(slow_tables):
            if _blank(values, LINE_AMOUNT_COLUMNS):
                continue  # a prefilled market and product without any amount: no line, as in the web form
            self.outcome.total_rows += 1
            line, problems = clean_line(values, ctx=self.ctx)
            key = (line.uscc, line.period) if line is not None else _key_of(values)
            group = self.groups.get(key)
            if group is None:
                group = self.groups[key] = _Group()
            group.line_rows += 1
            if group.first_line_row is None:
                group.first_line_row = _Row(pt.file, number, values, pt.sheet, columns)
            if problems or line is None or "__bad_shape__" in values:
                self.fail(_Row(pt.file, number, values, pt.sheet, columns), problems)
                group.bad = True
                continue
            if self.allowed is not None and not self.in_scope(
                _Row(pt.file, number, values, pt.sheet, columns), line.uscc
            ):
                group.bad = True
                continue
            if group.tally is None:
                group.tally = LineTally()
            group.tally.add(line)

        self.check_groups()

        for row in self.rows(sources.get("disruptions", [])):
            self.outcome.total_rows += 1
            d, problems = clean_disruption(row.values, ctx=self.ctx)
            if not self.fail(row, problems) and d is not None and row.ok and self.in_scope(row, d.uscc):
                self.disruptions.append(d)
        for row in self.rows(sources.get("needs", [])):
            self.outcome.total_rows += 1
            n, problems = clean_need(row.values, ctx=self.ctx)
            if not self.fail(row, problems) and n is not None and row.ok and self.in_scope(row, n.uscc):
                self.needs.append(n)
        self.check_customs(sources.get("customs_exports", []))

    def check_customs(self, tables: Sequence[ParsedTable]) -> None:
        if tables and not self.customs_allowed:
            for pt in tables:
                self.outcome.problems.append(
                    FileProblem(pt.file, 0, "", _("Customs exports can only be loaded by the bureau."), pt.sheet)
                )
            return
        seen: dict[tuple[str, str, str, str], _Row] = {}
        for row in self.rows(tables):
            self.outcome.total_rows += 1
            c, problems = clean_customs_export(row.values, ctx=self.ctx)
            if self.fail(row, problems) or c is None or not row.ok or not self.in_scope(row, c.uscc):
                continue
            key = (c.uscc, c.period, c.market, c.hs)
            if key in seen:
                self.duplicate(row, "hs", seen[key])
                continue
            seen[key] = row
            self.customs.append(c)
            self.customs_files.add(f"{row.file}[{row.sheet}]" if row.sheet else row.file)

    def take_fast_reports(self, pt: ParsedTable) -> bool:
        """Check a large table of reports at columnar speed (``fastlines``); False when it needs the row path."""
        if not _large(pt):
            return False
        found = reports_frame(pt, self.ctx, allowed=self.allowed_codes())
        if found is None:
            return False
        if any((rep.uscc, rep.period) in self.groups for _number, rep in found.reports):
            return False  # a report in two tables: the row path names the repetition
        columns = dict(pt.columns)
        for number, rep in found.reports:
            group = self.groups[(rep.uscc, rep.period)] = _Group()
            group.report_row, group.report = _Row(pt.file, number, {}, pt.sheet, columns), rep
        self.outcome.total_rows += len(found.reports)
        return True

    def allowed_codes(self) -> set[str] | None:
        return self.allowed if self.allowed is None else self.allowed | self.new_usccs

    def take_fast(self, pt: ParsedTable) -> bool:
        """Check a large table of lines at columnar speed (``fastlines``); False when it needs the row path."""
        if not _large(pt):
            return False
        lines = lines_frame(pt, self.ctx, allowed=self.allowed_codes())
        if lines is None:
            return False
        keys = list(lines.groups)
        if any(key in self.groups and self.groups[key].line_rows for key in keys) or _stored_reports(keys):
            return False  # lines of one report in two files, or reports on file to compare with: row path
        columns = dict(pt.columns)
        for key, found in lines.groups.items():
            group = self.groups.get(key)
            if group is None:
                group = self.groups[key] = _Group()
            group.line_rows = found.n
            group.first_line_row = _Row(pt.file, found.first_row, {}, pt.sheet, columns)
            group.tally = LineTally.of_sums(found.sums(), found.n)
        self.outcome.total_rows += lines.frame.height
        self.fast_lines.append(lines)
        return True

    def check_groups(self) -> None:
        """Cross-record rules per (enterprise, period), against the stored current report where needed."""
        keys = [k for k, g in self.groups.items() if not g.bad]
        stored = _stored_reports(keys)
        need_lines = [stored[k]["id"] for k in keys if k in stored]
        stored_tallies = _stored_tallies(need_lines)
        usual = _usual_exports({k[0] for k in keys if self.groups[k].report is not None})
        for key, group in self.groups.items():
            if group.bad:
                continue
            group.stored = stored.get(key)
            target = group.report_row or group.first_line_row
            assert target is not None
            if group.report is None:
                if group.stored is None:
                    self.fail(
                        target, [Problem("period", "lines_without_report", (("uscc", key[0]), ("period", key[1])))]
                    )
                    group.bad = True
                    continue
                group.report = report_in(group.stored, uscc=key[0], period=key[1])
            tally = group.tally
            problems: list[Problem] = []
            if tally is not None:
                problems = tally.problems(group.report)
            elif group.stored is not None and group.stored["id"] in stored_tallies:
                # The lines on file stay with a report row uploaded alone; say so, the clerk did not type them.
                problems = [
                    Problem(p.field, "stored_lines_exceed_total", p.params) if p.code == "lines_exceed_total" else p
                    for p in stored_tallies[group.stored["id"]].problems(group.report)
                ]
            if self.fail(target, problems):
                group.bad = True
                continue
            if group.report_row is not None:
                self.check_units(group.report_row, group.report, usual.get(key[0]))
            group.changed = not _unchanged(group, stored_tallies)
        if self.valid_rows_only:
            for group in self.groups.values():
                if group.bad and group.report_row is not None and group.report_row.ok:
                    group.report_row.ok = False
                    self.skip(group.report_row)

    def check_units(self, row: _Row, report: ReportIn, usual: Decimal | None) -> None:
        if not usual or usual <= 0:
            return
        for column in ("exports_usd", "new_orders_usd", "backlog_usd"):
            value: Decimal = getattr(report, column)
            if value >= UNIT_SUSPICION_FLOOR and value >= usual * UNIT_SUSPICION_RATIO:
                self.outcome.warnings.append(
                    FileProblem(
                        row.file,
                        row.row,
                        column,
                        _(
                            "%(value)s USD is about %(times)s times this enterprise's usual monthly exports "
                            "(%(usual)s USD). Was the amount entered in USD in a column for 10,000 USD (万美元)? "
                            "Correct it, or confirm that it is right to import it."
                        )
                        % {"value": f"{value:,.0f}", "times": f"{value / usual:,.0f}", "usual": f"{usual:,.0f}"},
                        row.sheet,
                        row.columns.get(column, 0),
                    )
                )

    def skip(self, row: _Row) -> None:
        self.outcome.skipped.append(FileProblem(row.file, row.row, "", _("skipped with its report"), row.sheet))

    # --- pass 2: write ----------------------------------------------------------------------------------

    def write(self, sources: Mapping[str, list[ParsedTable]]) -> None:
        usccs = {k[0] for k, g in self.groups.items() if not g.bad} | {d.uscc for d in self.disruptions}
        usccs |= {n.uscc for n in self.needs}
        _lock_enterprises(usccs)
        for _row, ent_in in self.enterprises:
            _ent, state = enterprise_upsert(data=ent_in, actor=self.user)
            self.count("enterprises", state != "unchanged")
        self.write_reports()
        self.write_lines(sources.get("report_lines", []))
        # The lines checked in columns are written: what is left of them for the mixes and the aggregates is their
        # sums per report, market and chapter, as one frame (the columns of a million lines freed first).
        self.fast_lines.clear()
        parts = pl.concat(self.fast_frames) if self.fast_frames else None
        self.fast_frames.clear()
        self.write_mixes(parts)
        self.write_cells(parts)
        changed = [
            (self.enterprise_ids[k[0]], k[1])
            for k, g in self.groups.items()
            if not g.bad and g.changed and g.new_report_id is not None
        ]
        if changed:
            reports_changed.send(sender=Report, changes=changed)
        cache: dict[str, Enterprise] = {}
        for d in self.disruptions:
            ent = cache.setdefault(d.uscc, Enterprise.objects.get(uscc=d.uscc))
            result = disruption_file(enterprise=ent, data=d, created_by=self.user, source=Source.CSV)
            self.count("disruptions", result.created)
            self.tick(1)
        for n in self.needs:
            ent = cache.setdefault(n.uscc, Enterprise.objects.get(uscc=n.uscc))
            self.count("needs", need_file(enterprise=ent, data=n, created_by=self.user, source=Source.CSV).created)
            self.tick(1)
        if self.customs:
            written, unchanged = customs_upsert_many(
                rows=self.customs, user=self.user, source_file=", ".join(sorted(self.customs_files))
            )
            self.count("customs_exports", True, written)
            self.count("customs_exports", False, unchanged)
            self.tick(len(self.customs))
        self.audit_summary(sources)
        self.tick(0, final=True)

    def audit_summary(self, sources: Mapping[str, list[ParsedTable]]) -> None:
        """One event per import that wrote anything: the files, the rows and who. Each report it replaced or added
        has its own event with the figures before and after (``write_reports``)."""
        if not any(self.outcome.written.values()):
            return
        files = sorted(
            {f"{pt.file}[{pt.sheet}]" if pt.sheet else pt.file for tables in sources.values() for pt in tables}
        )
        user = self.user if getattr(self.user, "pk", None) else None
        audit_record(
            actor=user,
            action="import.files",
            object_type="import",
            object_key=", ".join(files)[:80],
            new={
                "files": files,
                "rows": self.outcome.total_rows,
                "written": {k: v for k, v in self.outcome.written.items() if v},
                "unchanged": {k: v for k, v in self.outcome.unchanged.items() if v},
                "skipped": len(self.outcome.skipped),
            },
            enterprise=getattr(user, "enterprise", None),
            region=getattr(user, "region", None),
        )

    def count(self, table: str, written: bool, n: int = 1) -> None:
        if written:
            self.outcome.written[table] += n
        else:
            self.outcome.unchanged[table] += n

    def tick(self, n: int, *, final: bool = False) -> None:
        self.done += n
        if self.progress is not None and (final or self.done % CHUNK < n or n >= CHUNK):
            self.progress(min(self.done, self.outcome.total_rows), self.outcome.total_rows)

    def write_reports(self) -> None:
        groups = [(k, g) for k, g in self.groups.items() if not g.bad]
        ids: dict[str, int] = {}
        paths: dict[str, str] = {}  # each enterprise's town, the scope of its events
        for uscc, pk, path in Enterprise.objects.filter(uscc__in={k[0] for k, _g in groups}).values_list(
            "uscc", "id", "town__path"
        ):
            ids[uscc], paths[uscc] = pk, path
        self.enterprise_ids = ids
        changed = [(k, g) for k, g in groups if g.changed]
        for _key, group in groups:
            if not group.changed:
                self.count("reports", False, 1 if group.report_row else 0)
                self.count("report_lines", False, group.line_rows)
        old_ids = [g.stored["id"] for _k, g in changed if g.stored is not None]
        for start in range(0, len(old_ids), CHUNK):
            Report.objects.filter(pk__in=old_ids[start : start + CHUNK]).update(is_current=False)
        now = clock.now()
        actor = self.user if getattr(self.user, "pk", None) else None
        actor_id = actor.pk if actor is not None else None
        ops = connection.ops
        at = ops.adapt_datetimefield_value(now)
        for start in range(0, len(changed), CHUNK):
            chunk = changed[start : start + CHUNK]
            rows = []
            figures = []  # as stored, for the report and its audit event
            for key, group in chunk:
                assert group.report is not None
                figures.append(stored_figures(group.report))
                rows.append(
                    (
                        ids[key[0]],
                        key[1],
                        (group.stored["version"] if group.stored else 0) + 1,
                        True,
                        *figures[-1].values(),
                        Source.CSV.value,
                        at,
                        actor_id,
                    )
                )
            insert_rows(Report._meta.db_table, _REPORT_INSERT, rows)
            new_ids = {
                (eid, period): rid
                for rid, eid, period in Report.objects.filter(
                    is_current=True,
                    enterprise_id__in={ids[k[0]] for k, _g in chunk},
                    period__in={k[1] for k, _g in chunk},
                ).values_list("id", "enterprise_id", "period")
            }
            events = []
            for (key, group), stored in zip(chunk, figures, strict=True):
                group.new_report_id = new_ids[(ids[key[0]], key[1])]
                version = (group.stored["version"] if group.stored else 0) + 1
                events.append(_audit_row(key, group, stored, version, actor_id, at, paths[key[0]]))
                self.count("reports", True, 1 if group.report_row else 0)
                if group.tally is None and group.stored is not None:
                    _copy_lines(group.stored["id"], group.new_report_id)
            insert_rows(AuditEvent._meta.db_table, _AUDIT_INSERT, events)
            if actor is not None:
                ReportDraft.objects.filter(
                    updated_by=actor,
                    enterprise_id__in={ids[k[0]] for k, _g in chunk},
                    period__in={k[1] for k, _g in chunk},
                ).delete()
            self.tick(len(chunk))

    def write_mixes(self, parts: pl.DataFrame | None) -> None:
        """Each new version's market mix (``reporting.mix``): from ``parts`` (the ``line_parts`` of the lines written
        from columns) for those, read back from the database for the rest."""
        new = {g.new_report_id for g in self.groups.values() if g.new_report_id is not None}
        framed = {}
        if parts is not None:
            framed = {rid: mix for rid, mix in mixes_of_parts(parts).items() if rid in new}
            mixes_keep(framed)
        mixes_store(sorted(new - set(framed)))

    def write_cells(self, parts: pl.DataFrame | None) -> None:
        """The monitoring aggregates, in the same transaction: the new versions in, the versions they replace out.
        First versions whose lines were written from a frame are summed in columns from ``parts``; the rest is
        read back from the database."""
        changed = [(k, g) for k, g in self.groups.items() if not g.bad and g.changed and g.new_report_id is not None]
        in_frames = [(k, g) for k, g in changed if k in self.fast_keys and g.stored is None and g.report is not None]
        framed = {k for k, _g in in_frames}
        new = []
        for key, group in in_frames:
            assert group.report is not None and group.new_report_id is not None
            rep = group.report
            new.append(
                NewReport(
                    report_id=group.new_report_id,
                    enterprise_id=self.enterprise_ids[key[0]],
                    period=key[1],
                    exports=rep.exports_usd,
                    new_orders=rep.new_orders_usd,
                    backlog=rep.backlog_usd,
                    due_3m=rep.backlog_due_3m_usd,
                    trend=rep.new_orders_trend,
                    outlook=rep.outlook_3m,
                )
            )
        if new:
            cells_add_new(new, parts)
        cells_apply(
            added=[g.new_report_id for k, g in changed if k not in framed and g.new_report_id is not None],
            removed=[g.stored["id"] for _k, g in changed if g.stored is not None],
        )

    def write_fast_lines(self) -> None:
        """The lines of tables checked in columns go to the database straight from their frame."""
        for lines in self.fast_lines:
            ids = {}
            skipped: list[Key] = []
            for key in lines.groups:
                group = self.groups[key]
                if group.bad:
                    skipped.append(key)
                elif group.changed and group.new_report_id is not None:
                    ids[key] = group.new_report_id
            if self.valid_rows_only and skipped:
                for number in rows_of(lines, skipped):
                    self.skip(_Row(lines.table.file, number, {}, lines.table.sheet))
            self.fast_keys.update(ids)
            for chunk in rows_for_write(lines, ids, chunk=CHUNK * 20):
                self.fast_frames.append(line_parts(chunk))
                _write_line_frame(chunk)
                self.count("report_lines", True, chunk.height)
                self.tick(chunk.height)

    def write_lines(self, tables: Sequence[ParsedTable]) -> None:
        """Stream the line rows again; rows of a changed report go to the database in chunks (COPY on PostgreSQL)."""
        self.write_fast_lines()
        fast = {id(lines.table) for lines in self.fast_lines}
        rows = self.line_rows([pt for pt in tables if id(pt) not in fast])
        while chunk := list(islice(rows, CHUNK)):
            insert_rows(ReportLine._meta.db_table, _LINE_COLUMNS, chunk)
            self.count("report_lines", True, len(chunk))
            self.tick(len(chunk))

    def line_rows(self, tables: Sequence[ParsedTable]) -> Iterator[tuple[object, ...]]:
        """The rows to write (``_LINE_COLUMNS``) of the line rows of ``tables`` that belong to a changed report;
        with ``valid_rows_only``, a valid row of a report that is not written is listed as skipped."""
        for pt, columns, number, values in self.raw_rows(tables):
            if _blank(values, LINE_AMOUNT_COLUMNS):
                continue
            fast = line_row_fast(values, ctx=self.ctx)
            if fast is not None:
                group = self.groups.get((fast[0], fast[1]))
                if group is not None and not group.bad:
                    if group.changed:
                        yield (group.new_report_id, *fast[2:])
                    continue
            line, problems = clean_line(values, ctx=self.ctx)
            key = (line.uscc, line.period) if line is not None else _key_of(values)
            group = self.groups.get(key)
            if group is None or group.bad or line is None or problems:
                if self.valid_rows_only and line is not None and not problems and "__bad_shape__" not in values:
                    self.skip(_Row(pt.file, number, values, pt.sheet, columns))
                continue
            if group.changed:
                yield (
                    group.new_report_id,
                    line.market,
                    line.hs,
                    line.backlog_usd,
                    line.new_orders_usd,
                    line.exports_usd,
                )


_LINE_COLUMNS = ("report_id", "market_id", "hs", "backlog_usd", "new_orders_usd", "exports_usd")


def _write_line_frame(frame: pl.DataFrame) -> None:
    """Report lines (report_id, market, hs, the three amounts as numbers) from a polars frame (``common.bulk``)."""
    insert_frame(ReportLine._meta.db_table, frame.rename(dict(zip(frame.columns, _LINE_COLUMNS, strict=True))))


def _large(pt: ParsedTable) -> bool:
    if pt.csv is not None:
        return len(pt.csv.text) >= COLUMNAR_MIN_CHARS
    return _rows_estimate(pt) >= COLUMNAR_MIN_ROWS


def _rows_estimate(pt: ParsedTable) -> int:
    """About how many data rows a table holds, without reading a CSV's rows."""
    if pt.csv is not None:
        return pt.csv.text.count("\n")
    if pt.grid is not None:
        return len(pt.grid) - pt.data_start
    if pt.frame is not None:
        return int(pt.frame.height)
    return len(pt.rows) if isinstance(pt.rows, Sized) else 0


def _blank(values: Mapping[str, object], keys: Sequence[str]) -> bool:
    """Whether every one of ``keys`` is empty in a row (absent, None or blank text)."""
    for key in keys:
        value = values.get(key)
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return False
    return True


def _stored_reports(keys: Sequence[Key]) -> dict[Key, dict[str, Any]]:
    """The current stored report of each (uscc, period), as plain values."""
    found: dict[Key, dict[str, Any]] = {}
    by_uscc: dict[str, set[str]] = defaultdict(set)
    for uscc, period in keys:
        by_uscc[uscc].add(period)
    usccs = list(by_uscc)
    for start in range(0, len(usccs), 500):
        chunk = usccs[start : start + 500]
        rows = Report.objects.filter(is_current=True, enterprise__uscc__in=chunk).values(
            "id", "enterprise__uscc", "period", "version", *REPORT_FIGURES
        )
        for row in rows.iterator(chunk_size=CHUNK):
            if row["period"] in by_uscc[row["enterprise__uscc"]]:
                found[(row["enterprise__uscc"], row["period"])] = row
    return found


def _stored_tallies(report_ids: Sequence[int]) -> dict[int, LineTally]:
    tallies: dict[int, LineTally] = {}
    for start in range(0, len(report_ids), CHUNK):
        rows = ReportLine.objects.filter(report_id__in=report_ids[start : start + CHUNK]).values_list(
            "report_id", "market_id", "hs", "backlog_usd", "new_orders_usd", "exports_usd"
        )
        for rid, market, hs, backlog, new_orders, exports in rows.iterator(chunk_size=CHUNK):
            tally = tallies.get(rid)
            if tally is None:
                tally = tallies[rid] = LineTally()
            tally.add(LineIn("", "", market, hs, backlog, new_orders, exports))
    return tallies


def _unchanged(group: _Group, stored_tallies: Mapping[int, LineTally]) -> bool:
    if group.stored is None or group.report is None:
        return False
    if stored_figures(group.report) != {f: group.stored[f] for f in REPORT_FIGURES}:
        return False
    if group.tally is None:
        return True  # no lines in the files: the stored lines stay
    old = stored_tallies.get(group.stored["id"])
    old_n, old_digest = (old.n, old.digest) if old is not None else (0, 0)
    return (group.tally.n, group.tally.digest) == (old_n, old_digest)


def _usual_exports(usccs: set[str]) -> dict[str, Decimal]:
    """Each enterprise's usual monthly exports: the median of its last 12 reports, else last year's / 12."""
    usual: dict[str, Decimal] = {}
    series: dict[str, list[Decimal]] = defaultdict(list)
    listed = list(usccs)
    for start in range(0, len(listed), 500):
        chunk = listed[start : start + 500]
        rows = (
            Report.objects.filter(is_current=True, enterprise__uscc__in=chunk)
            .order_by("enterprise__uscc", "-period")
            .values_list("enterprise__uscc", "exports_usd")
        )
        for uscc, exports in rows.iterator(chunk_size=CHUNK):
            if len(series[uscc]) < 12:
                series[uscc].append(exports)
        for uscc, exports_last_year in Enterprise.objects.filter(uscc__in=chunk).values_list(
            "uscc", "exports_last_year_usd"
        ):
            values = sorted(v for v in series.get(uscc, []) if v > 0)
            if values:
                usual[uscc] = values[len(values) // 2]
            elif exports_last_year:
                usual[uscc] = Decimal(exports_last_year) / 12
    return usual


def _lock_enterprises(usccs: set[str]) -> None:
    """Hold the rows of the enterprises written for (web submissions lock the same row; SQLite locks the file)."""
    if connection.vendor != "postgresql":
        return
    listed = sorted(usccs)
    for start in range(0, len(listed), CHUNK):
        list(
            Enterprise.objects.select_for_update()
            .filter(uscc__in=listed[start : start + CHUNK])
            .order_by("pk")
            .values_list("pk")
        )


def _copy_lines(from_report: int, to_report: int) -> None:
    table = connection.ops.quote_name(ReportLine._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (report_id, market_id, hs, backlog_usd, new_orders_usd, exports_usd) "
            f"SELECT %s, market_id, hs, backlog_usd, new_orders_usd, exports_usd FROM {table} WHERE report_id = %s",
            [to_report, from_report],
        )


_REPORT_INSERT = (
    "enterprise_id",
    "period",
    "version",
    "is_current",
    "exports_usd",
    "new_orders_usd",
    "backlog_usd",
    "backlog_due_3m_usd",
    "capacity_utilization_pct",
    "new_orders_trend",
    "outlook_3m",
    "source",
    "submitted_at",
    "submitted_by_id",
)
_AUDIT_INSERT = ("at", "actor_id", "action", "object_type", "object_key", "old", "new", "note", "uscc", "region_path")


_DUMPS = json.JSONEncoder(ensure_ascii=False).encode


def _plain(value: object) -> object:
    return str(value) if type(value) is Decimal else value


def _audit_row(
    key: Key,
    group: _Group,
    figures: Mapping[str, object],
    version: int,
    actor_id: int | None,
    at: object,
    region_path: str,
) -> tuple[object, ...]:
    """The audit event of a report version written from ``group`` with its ``figures`` as stored."""
    new = {k: _plain(v) for k, v in figures.items()}
    new["version"], new["source"], new["lines"] = version, Source.CSV.value, group.tally.n if group.tally else None
    old = None
    if group.stored is not None:
        old = {f: _plain(group.stored[f]) for f in REPORT_FIGURES}
        old["version"] = group.stored["version"]
    return (
        at,
        actor_id,
        "report.submit" if group.stored is None else "report.resubmit",
        "report",
        f"{key[0]}/{key[1]}",
        None if old is None else _DUMPS(old),
        _DUMPS(new),
        "",
        key[0],
        region_path,
    )
