"""The reporting campaign: each town's quota of enterprises reporting, the reminder schedule (as data, editable by
analysts) and the record of the reminders sent (one per enterprise, deadline and schedule point)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

HEAD = "head"  # the head enterprises: a tier of the registry (exports last year), not a directory segment


class Frequency(models.TextChoices):
    MONTHLY = "monthly", pgettext_lazy("reporting frequency", "monthly")


class TownQuota(models.Model):
    """How many of a town's enterprises the bureau expects online and reporting, and how often."""

    town = models.OneToOneField(
        "directory.Region", on_delete=models.CASCADE, related_name="reporting_quota", verbose_name=_("town")
    )
    expected = models.PositiveIntegerField(_("enterprises expected to report"))
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY)
    updated_at = models.DateTimeField(_("updated at"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["town_id"]
        verbose_name = _("town reporting quota")
        verbose_name_plural = _("town reporting quotas")

    def __str__(self) -> str:
        return f"{self.town_id}: {self.expected} {self.frequency}"


class ReminderPoint(models.Model):
    """One point of the reminder schedule: ``offset_days`` from each monthly deadline (-3: three days before), for
    every enterprise or only those of a town and/or a segment (a directory segment code, or ``head``)."""

    offset_days = models.SmallIntegerField(_("days from the deadline"))
    town = models.ForeignKey(
        "directory.Region", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("town")
    )
    segment = models.CharField(_("segment"), max_length=32, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["offset_days", "town_id", "segment", "id"]
        verbose_name = _("reminder schedule point")
        verbose_name_plural = _("reminder schedule")

    def __str__(self) -> str:
        return f"{self.offset_days:+d} {self.town_id or '*'} {self.segment or '*'}"


class ReminderSent(models.Model):
    """A reminder claimed for one enterprise, period (so deadline) and schedule point: inserted before anyone is
    notified, so two workers never remind twice (the unique key)."""

    enterprise = models.ForeignKey("directory.Enterprise", on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("period"), max_length=7)
    offset_days = models.SmallIntegerField(_("days from the deadline"))
    claim = models.CharField(max_length=32, editable=False)
    sent_at = models.DateTimeField(_("sent at"))
    recipients = models.PositiveIntegerField(_("reporters notified"), default=0)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "period", "offset_days"], name="reminder_sent_once")
        ]
        indexes = [models.Index(fields=["claim"], name="reminder_claim")]
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.period} {self.offset_days:+d}"
