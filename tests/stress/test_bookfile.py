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
