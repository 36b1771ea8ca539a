"""Reads of the notifications app: a user reads their own notifications only; the writers ask which news their
readers hold already (``notices_stored``, ``notices_holders``)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.http import Http404

from exportwatch.notifications.models import Notification

KEYS_PER_QUERY = 500  # dedupe keys per IN list (SQLite before 3.32 takes 999 parameters at most)


def notifications_for(user: Any) -> QuerySet[Notification]:
    """``user``'s notifications, unread first, then newest first."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    unread = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    return Notification.objects.filter(user_id=user.pk).order_by(unread.desc(), "-created_at", "-id")


def notification_get(user: Any, pk: int) -> Notification:
    """One of ``user``'s notifications; anyone else's is a 404."""
    found: Notification | None = notifications_for(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def unread_count(user: Any) -> int:
    """How many of ``user``'s notifications are unread (one COUNT on an index)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return int(Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count())


def notices_stored(keys: Collection[str]) -> set[tuple[int, str]]:
    """The (user id, dedupe key) pairs already stored among ``keys``."""
    return {(int(user), key) for key, user in _by_keys("{key}, {user}", "", keys)}


Holders = tuple[int, int, int]  # how many users, the sum of their ids, the sum of their squares


def holders_of(user_ids: Collection[int]) -> Holders:
    """The fingerprint of a set of users that ``notices_holders`` gives for a key they all hold and no one else does.
    Two different sets have different fingerprints for every realistic change (a user more, fewer, or swapped)."""
    return len(user_ids), sum(user_ids), sum(u * u for u in user_ids)


def notices_holders(keys: Collection[str]) -> dict[str, Holders]:
    """Who holds each of ``keys`` (see ``holders_of``), from an aggregate over the (key, user) index: a writer can
    tell that a piece of news reached all its readers without reading every pair back."""
    rows = _by_keys("{key}, COUNT(*), SUM({user}), SUM({user} * {user})", "GROUP BY {key}", keys)
    return {key: (int(n), int(total), int(squares)) for key, n, total, squares in rows}


def _by_keys(select: str, tail: str, keys: Collection[str]) -> list[tuple[Any, ...]]:
    """``SELECT select FROM notifications WHERE dedupe_key IN (...) tail``, ``KEYS_PER_QUERY`` keys at a time, with
    ``{key}`` and ``{user}`` standing for the quoted columns. Plain SQL: compiling an IN list of hundreds of keys
    costs the ORM more than the database takes to answer."""
    ordered = sorted(set(keys))
    qn = connection.ops.quote_name
    columns = {"key": qn("dedupe_key"), "user": qn("user_id")}
    table = qn(Notification._meta.db_table)
    found: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(ordered), KEYS_PER_QUERY):
            chunk = ordered[start : start + KEYS_PER_QUERY]
            where = f"{columns['key']} IN ({', '.join(['%s'] * len(chunk))})"
            cursor.execute(
                f"SELECT {select.format(**columns)} FROM {table} WHERE {where} {tail.format(**columns)}", chunk
            )
            found.extend(cursor.fetchall())
    return found
