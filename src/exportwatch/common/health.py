"""``GET /health/``: whether this process can serve, for a load balancer, a process supervisor or a monitor.

Open to anyone and reads no data: the answer is a small JSON object, 200 when the database answers and every
migration is applied, else 503 (with ``Retry-After``) naming what is wrong. The database is asked on every call (one
``SELECT 1``); the migrations are checked until they are found applied once, then not again in this process (an
upgrade that adds migrations restarts the processes).
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
_migrations_applied = False


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.warning("health check: the database does not answer: %s", error)
        return "unavailable"
    return "ok"


def _migrations() -> str:
    global _migrations_applied
    if not _migrations_applied:
        executor = MigrationExecutor(connection)
        _migrations_applied = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return "ok" if _migrations_applied else "pending"


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    database = _database()
    checks = {"database": database, "migrations": _migrations() if database == "ok" else "unknown"}
    healthy = all(value == "ok" for value in checks.values())
    response = JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)
    if not healthy:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
