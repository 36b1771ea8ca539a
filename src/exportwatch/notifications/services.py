"""Writes of the notifications app: storing news for its readers (once each) and marking it read.

``notify(users, kind=..., dedupe_key=..., ...)`` tells one piece of news to several users; ``news_store`` stores
many pieces at once (a month's evaluation raises thousands of warnings, each for its own readers). Both are
idempotent: a reader who already holds the news's ``dedupe_key`` is skipped, so a writer may tell the same news
again (a warning that stays on) without notifying anyone twice. A new notification waits for the e-mail digest
(``delivery.py``), unless its reader has no e-mail address.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from exportwatch.common import clock
from exportwatch.notifications.models import EmailState, Notification
from exportwatch.notifications.selectors import notices_stored

ROWS_PER_INSERT = 5_000


@dataclass(frozen=True)
class News:
    """One piece of news and who is to hear of it: ``readers`` are (user id, has an e-mail address) pairs."""

    kind: str
    dedupe_key: str
    subject: str
    readers: Sequence[tuple[int, bool]]
    body: str = ""
    url: str = ""
    level: str = ""


def news_store(news: Iterable[News]) -> int:
    """Store a notification for every reader of every piece of news who does not hold its key yet; returns how many
    were stored.

    The rows go in as multi-row INSERT statements of plain values (the ORM's ``bulk_create`` spends most of a
    province's evaluation building model instances), and a conflict on (user, key) is ignored, so several writers at once cannot store the same notification twice (the count is then an upper
    bound, exact for one writer)."""
    pieces = [n for n in news if n.readers]
    if not pieces:
        return 0
    held = notices_stored({n.dedupe_key[:200] for n in pieces})
    now = Notification._meta.get_field("created_at").get_db_prep_save(clock.now(), connection)
    seen: set[tuple[int, str]] = set()

    def rows() -> Iterator[tuple[Any, ...]]:
        for n in pieces:
            key = n.dedupe_key[:200]
            for user_id, by_email in n.readers:
                if (user_id, key) in held or (user_id, key) in seen:
                    continue
                seen.add((user_id, key))
                state = EmailState.PENDING if by_email else EmailState.NONE
                yield (user_id, n.kind, key, n.subject[:300], n.body, n.url[:500], n.level, now, str(state), "", "")

    return _insert(rows())


def notify(
    users: Iterable[Any], *, kind: str, dedupe_key: str, subject: str, body: str, url: str, level: str = ""
) -> int:
    """Tell ``users`` (each with ``pk`` and ``email``) one piece of news, unless they were told already; returns how
    many new notifications were stored."""
    readers = [(u.pk, bool(u.email)) for u in users]
    return news_store(
        [News(kind=kind, dedupe_key=dedupe_key, subject=subject, readers=readers, body=body, url=url, level=level)]
    )


def notifications_mark_read(*, user: Any, ids: Collection[int] | None) -> int:
    """Mark ``user``'s notifications ``ids`` (None: all of them) read; another user's ids are left alone. Returns
    how many were unread."""
    qs = Notification.objects.filter(user_id=user.pk, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return int(qs.update(read_at=clock.now()))


_COLUMNS = (  # and their PostgreSQL array types
    ("user_id", "bigint"), ("kind", "text"), ("dedupe_key", "text"), ("subject", "text"), ("body", "text"),
    ("url", "text"), ("level", "text"), ("created_at", "timestamptz"), ("email_state", "text"),
    ("email_error", "text"), ("email_claim", "text"),
)  # fmt: skip


def _insert(rows: Iterator[tuple[Any, ...]]) -> int:
    """Insert ``rows`` (values of ``_COLUMNS``), skipping conflicts; returns how many rows were given.

    PostgreSQL takes ``ROWS_PER_INSERT`` rows a statement as one array per column (``UNNEST``: a multi-row VALUES of
    thousands of parameters costs the driver more to compose than the server to run); SQLite one prepared statement
    executed for each row (``executemany``, which it runs in C)."""
    qn = connection.ops.quote_name
    into = f"INSERT INTO {qn(Notification._meta.db_table)} ({', '.join(qn(c) for c, _t in _COLUMNS)})"
    if connection.vendor == "postgresql":
        sql = f"{into} SELECT * FROM UNNEST({', '.join(f'%s::{t}[]' for _c, t in _COLUMNS)}) ON CONFLICT DO NOTHING"
    else:
        sql = f"{into} VALUES ({', '.join(['%s'] * len(_COLUMNS))}) ON CONFLICT DO NOTHING"
    given = 0
    with connection.cursor() as cursor:
        while batch := list(itertools.islice(rows, ROWS_PER_INSERT)):
            if connection.vendor == "postgresql":
                cursor.execute(sql, [list(column) for column in zip(*batch, strict=True)])
            else:
                cursor.executemany(sql, batch)
            given += len(batch)
    return given
