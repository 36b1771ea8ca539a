"""The whole book kept as a file (``stress.bookfile``): what is loaded equals what was read, a file of another state
of the data is never used, and the worker writes it once the reports have settled."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from exportwatch.core.stress import Shock
from exportwatch.stress import bookfile, selectors, services
from exportwatch.stress.adapters import book_read
from tests.conftest import World
from tests.monitoring.conftest import submit

US_50 = [Shock("market", "US", -0.5, 3)]


def _same(a: Any, b: Any) -> None:
    for name in bookfile._BOOK_FIELDS:
        left, right = getattr(a.book, name), getattr(b.book, name)
        if np.asarray(left).dtype.kind == "f":
            np.testing.assert_array_equal(left, right)
        else:
            assert [str(v) for v in left] == [str(v) for v in right], name
    assert a.book.origin == b.book.origin
    assert list(a.ids) == list(b.ids) and a.names == b.names and a.unreported == b.unreported
    assert list(a.towns) == list(b.towns) and list(a.industries) == list(b.industries)


def test_a_saved_book_loads_equal_to_the_one_read(stressed: World) -> None:
    read = book_read(period="2020-03")
    assert read.book.size == 4 and len(read.book.line_market) == 5  # the four books of the fixture
    bookfile.book_save("2020-03", "state-1", read)
    loaded = bookfile.book_load("2020-03", "state-1")
    assert loaded is not None
    _same(read, loaded)
    assert bookfile.book_file_state("2020-03") == "state-1"


def test_a_file_of_another_state_or_month_or_a_broken_one_is_not_used(stressed: World, book_files: Path) -> None:
    bookfile.book_save("2020-03", "state-1", book_read(period="2020-03"))
    assert bookfile.book_load("2020-03", "state-2") is None
    assert bookfile.book_load("2020-02", "state-1") is None
    (book_files / "stress-book-2020-03.npz").write_bytes(b"not a book")
    assert bookfile.book_load("2020-03", "state-1") is None
    assert bookfile.book_file_state("2020-03") is None


def test_saving_another_month_replaces_the_file(stressed: World, book_files: Path) -> None:
    bookfile.book_save("2020-03", "a", book_read(period="2020-03"))
    bookfile.book_save("2020-02", "b", book_read(period="2020-02"))
    assert sorted(p.name for p in book_files.iterdir()) == ["stress-book-2020-02.npz"]


def test_another_process_loads_the_file_instead_of_reading(stressed: World, monkeypatch: pytest.MonkeyPatch) -> None:
    first = selectors.stress_view(stressed.admin, period="2020-03", shocks=US_50)
    selectors._BOOK_CACHE.clear()  # as a second server process would start: nothing held in memory

    def no_read(**kwargs: Any) -> Any:
        raise AssertionError("the book was read from the database although its file was there")

    monkeypatch.setattr(selectors, "book_read", no_read)
    again = selectors.stress_view(stressed.admin, period="2020-03", shocks=US_50)
    pushed = {r.uscc for r in first.rows}
    assert again.rows == first.rows and pushed == {stressed.ent_a.uscc, stressed.ent_b.uscc, stressed.ent_far.uscc}
    assert again.district == first.district


def test_a_correction_makes_the_file_stale_and_the_book_is_read_again(stressed: World) -> None:
    before = selectors.stress_view(stressed.admin, period="2020-03", shocks=US_50)
    submit(stressed.ent_c, "2020-03", 1, 1, 1, 1)  # ent_c's exports fall from 1,000,000 to 10,000 a month
    selectors._BOOK_CACHE.clear()
    after = selectors.stress_view(stressed.admin, period="2020-03", shocks=US_50)
    assert after.district.baseline[0] < before.district.baseline[0] - 900_000


def test_the_worker_reads_the_book_once_the_reports_have_settled(
    stressed: World, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.EXPORTWATCH_STRESS_WARM_SECONDS = 1
    monkeypatch.setattr(services, "_looked", {"at": None, "state": None})
    ticks = iter([100.0, 100.5, 102.0, 104.0, 106.0, 108.0])
    monkeypatch.setattr(services, "time", SimpleNamespace(monotonic=lambda: next(ticks)))
    assert services.handle_one_book_warm() is False  # first look: the state is noted
    assert services.handle_one_book_warm() is False  # within the interval: no look
    state = selectors.book_state("2020-03")
    assert bookfile.book_file_state("2020-03") is None
    assert services.handle_one_book_warm() is True  # the same state as at the last look: the book is read
    assert bookfile.book_file_state("2020-03") == state
    assert services.handle_one_book_warm() is False  # already there
    submit(stressed.ent_c, "2020-03", 1, 1, 1, 1)
    assert services.handle_one_book_warm() is False  # changed since the last look: not settled yet
    assert services.handle_one_book_warm() is True
    assert bookfile.book_file_state("2020-03") == selectors.book_state("2020-03") != state


def _canonical(read: Any) -> tuple[Any, ...]:
    """A book as comparable values: per enterprise (by id) its figures, and its lines sorted."""
    b = read.book
    per = {
        int(i): (
            str(b.keys[j]),
            read.names[j],
            str(read.towns[j]),
            str(read.industries[j]),
            float(b.backlog[j]),
            float(b.due[j]),
            float(b.exports_last_year[j]),
            tuple(np.nan_to_num(b.exports[j], nan=-1.0)),
            tuple(np.nan_to_num(b.new_orders[j], nan=-1.0)),
            tuple(np.nan_to_num(b.due_history[j], nan=-1.0)),
        )
        for j, i in enumerate(read.ids)
    }
    lines = sorted(
        (int(read.ids[e]), str(m), str(h), float(x), float(y), float(z))
        for e, m, h, x, y, z in zip(
            b.line_enterprise, b.line_market, b.line_hs, b.line_backlog, b.line_new_orders, b.line_exports, strict=True
        )
    )
    return per, lines, read.unreported, list(read.ids) == sorted(read.ids)


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record each read of the book from the database: None for the whole book, else the enterprises' ids."""
    calls: list[Any] = []
    real = selectors.book_read

    def counted(**kwargs: Any) -> Any:
        scope = kwargs.get("enterprises")
        calls.append(None if scope is None else sorted(scope.values_list("pk", flat=True)))
        return real(**kwargs)

    monkeypatch.setattr(selectors, "book_read", counted)
    return calls


def test_after_a_correction_only_that_enterprise_is_read_and_the_book_equals_a_whole_read(
    stressed: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = _reads(monkeypatch)
    selectors.book_whole("2020-03")
    submit(stressed.ent_c, "2020-03", 1, 2, 3, 3, [("JP", "6109", 3, 2, 1), ("US", "9403", 0, 0, 0)])
    refreshed = selectors.book_whole("2020-03")
    assert reads == [None, [stressed.ent_c.pk]]
    assert _canonical(refreshed) == _canonical(book_read(period="2020-03"))
    assert _canonical(refreshed)[0][stressed.ent_c.pk][4] == 3.0  # its backlog now, from the correction


def test_an_enterprise_reporting_the_month_for_the_first_time_enters_the_book_in_order(
    stressed: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exportwatch.directory.models import Enterprise
    from tests.conftest import make_uscc

    newcomer = Enterprise.objects.create(
        uscc=make_uscc(77),
        name="宁波新来贸易有限公司",
        town=stressed.ent_a.town,
        industry_id="34",
        exports_last_year_usd=900_000,
        imports_last_year_usd=0,
    )
    selectors.book_whole("2020-03")
    assert selectors.book_whole("2020-03").unreported == 1  # the newcomer, with no report yet
    selectors._BOOK_CACHE.clear()  # as another process: the base is the file
    reads = _reads(monkeypatch)
    submit(newcomer, "2020-03", 50, 60, 70, 40, [("US", "8401", 70, 60, 50)])
    submit(newcomer, "2019-03", 40, 50, 60, 30)  # a month of its window: its history too
    refreshed = selectors.book_whole("2020-03")
    assert reads == [[newcomer.pk]]
    assert refreshed.unreported == 0 and newcomer.uscc in list(refreshed.book.keys)
    assert _canonical(refreshed) == _canonical(book_read(period="2020-03"))


def test_a_report_outside_the_window_changes_nothing_and_reads_nothing(
    stressed: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = selectors.book_whole("2020-03")
    reads = _reads(monkeypatch)
    submit(stressed.ent_c, "2018-01", 1, 1, 1, 1)
    assert selectors.book_whole("2020-03") is before and reads == []


def test_a_registry_change_or_a_removed_report_reads_the_whole_book_again(
    stressed: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exportwatch.reporting.models import Report

    selectors.book_whole("2020-03")
    reads = _reads(monkeypatch)
    stressed.ent_b.name = "宁波乙服饰集团有限公司"
    stressed.ent_b.save()  # its name on the page: the registry changed
    renamed = selectors.book_whole("2020-03")
    assert reads == [None] and "宁波乙服饰集团有限公司" in renamed.names
    Report.objects.filter(enterprise=stressed.ent_far, period="2019-06").delete()
    after = selectors.book_whole("2020-03")
    assert reads == [None, None]
    assert _canonical(after) == _canonical(book_read(period="2020-03"))


def test_merging_keeps_every_line_with_its_enterprise() -> None:
    from exportwatch.core.stress import Book
    from exportwatch.stress.adapters import BookRead, book_merge

    def read(ids: list[int], lines: list[tuple[int, str]]) -> BookRead:
        n = len(ids)
        book = Book(
            origin="2020-03",
            keys=np.array([f"E{i}" for i in ids], dtype=object),
            backlog=np.array(ids, dtype=float),
            due=np.zeros(n),
            exports_last_year=np.zeros(n),
            exports=np.zeros((n, 13)),
            new_orders=np.zeros((n, 13)),
            due_history=np.zeros((n, 13)),
            line_enterprise=np.array([ids.index(e) for e, _m in lines], dtype=np.int64),
            line_market=np.array([m for _e, m in lines], dtype=str),
            line_hs=np.array(["84"] * len(lines), dtype=str),
            line_backlog=np.array([float(e) for e, _m in lines]),
            line_new_orders=np.zeros(len(lines)),
            line_exports=np.zeros(len(lines)),
        )
        return BookRead(
            book,
            np.array(ids, dtype=np.int64),
            [f"n{i}" for i in ids],
            np.array(ids, dtype=object),
            np.array(ids, dtype=object),
            0,
        )

    old = read([2, 5, 9], [(2, "US"), (5, "DE"), (5, "JP"), (9, "US")])
    part = read([1, 5, 7], [(7, "FR"), (5, "GB"), (1, "US")])  # 5 changed, 1 and 7 new, 3 changed and now gone
    merged = book_merge(old, part, [1, 3, 5, 7], registered=6)
    assert list(merged.ids) == [1, 2, 5, 7, 9] and merged.names == ["n1", "n2", "n5", "n7", "n9"]
    assert merged.unreported == 1  # six registered, five with a report
    assert list(merged.book.backlog) == [1.0, 2.0, 5.0, 7.0, 9.0]
    owned = sorted(
        (int(merged.ids[e]), str(m)) for e, m in zip(merged.book.line_enterprise, merged.book.line_market, strict=True)
    )
    assert owned == [(1, "US"), (2, "US"), (5, "GB"), (7, "FR"), (9, "US")]
    assert all(merged.book.line_backlog == merged.ids[merged.book.line_enterprise])  # each line still its own
