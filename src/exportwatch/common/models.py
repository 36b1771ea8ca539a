"""The audit trail: who changed what, when, with the values before and after.

An event is written once and never changed: ``save`` of a stored event, ``delete`` and the queryset's ``update`` and
``delete`` refuse (``AuditTrailImmutable``). Test databases are emptied with SQL, which these guards do not see.

Each event says whose it is, so a bureau user reads the events of their jurisdiction only: ``uscc`` names the
enterprise it is about (empty for anything else) and ``region_path`` the materialised path of the region it belongs to
(the enterprise's town when it was written, a scenario's or a quota's region, else the bureau's jurisdiction); a
region's users read the events under its path (``common.selectors.audit_events_visible``).
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditTrailImmutable(Exception):
    """An attempt to change or remove an audit event."""


def _refuse(what: str) -> NoReturn:
    raise AuditTrailImmutable(f"audit events cannot be {what}")


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        _refuse("updated")

    def delete(self) -> NoReturn:  # type: ignore[override]
        _refuse("deleted")


class AuditEvent(models.Model):
    at = models.DateTimeField(_("at"), db_index=True)
    # PROTECT: a person who changed something cannot be deleted from under the record (deactivate them instead).
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    action = models.CharField(_("action"), max_length=40)
    object_type = models.CharField(_("object type"), max_length=40)
    object_key = models.CharField(_("object"), max_length=80, db_index=True)
    old = models.JSONField(null=True, blank=True)
    new = models.JSONField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    uscc = models.CharField(_("enterprise"), max_length=18, blank=True, default="")
    region_path = models.CharField(max_length=200, blank=True, default="")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        # An enterprise's history (its page links to it); no index on the region path: the newest-first walk of
        # ``at`` with the prefix as a filter serves the paged list.
        indexes = [models.Index(fields=["uscc", "at"], name="audit_uscc_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_key}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            _refuse("changed")
        kwargs["force_insert"] = True  # never an UPDATE, even of an event built with the id of a stored one
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:  # type: ignore[override]
        _refuse("deleted")
