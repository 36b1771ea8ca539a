"""Notifications: a piece of news for one user (a warning that fired, later a case update or a reminder), shown in
the notification centre and sent by e-mail in a digest.

The same news is stored once per user: ``(user, dedupe_key)`` is unique, and the writers (``services.py``) skip
what is stored already. The e-mail delivery state lives on the notification, so a failure is visible next to the
notice it concerns and never loses it (``delivery.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    WARNING = "warning", _("warning")
    CASE = "case", _("problem-list case")
    REFERRAL = "referral", _("white-list referral")
    REMINDER = "reminder", _("reporting reminder")


class Level(models.TextChoices):
    """The four-colour lamp, for the notices that have one (the same words as the warnings')."""

    RED = "red", _("red")
    ORANGE = "orange", _("orange")
    YELLOW = "yellow", _("yellow")
    BLUE = "blue", _("blue")


class EmailState(models.TextChoices):
    NONE = "none", _("not e-mailed")  # the user has no e-mail address
    PENDING = "pending", _("e-mail waiting")
    SENDING = "sending", _("e-mail being sent")  # claimed by a worker (``email_claim``)
    SENT = "sent", _("e-mailed")
    FAILED = "failed", _("e-mail failed")


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    dedupe_key = models.CharField(_("news key"), max_length=200)  # the same news has the same key
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)  # a path on this site
    level = models.CharField(_("level"), max_length=6, choices=Level.choices, blank=True)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_state = models.CharField(_("e-mail"), max_length=8, choices=EmailState.choices, default=EmailState.PENDING)
    emailed_at = models.DateTimeField(_("e-mail attempted at"), null=True, blank=True)  # claimed, then sent or failed
    email_error = models.TextField(_("e-mail error"), blank=True)
    email_claim = models.CharField(max_length=32, blank=True, editable=False)  # the batch sending it

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "dedupe_key"], name="notification_unique")]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_unread"),
            models.Index(fields=["dedupe_key", "user"], name="notification_key"),  # who holds a key
            models.Index(
                fields=["email_state", "user"],
                name="notification_email_due",
                condition=models.Q(email_state__in=["pending", "sending"]),
            ),
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.dedupe_key}"
