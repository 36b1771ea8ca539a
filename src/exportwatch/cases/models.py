"""The problem list (清单) as a closed loop (DESIGN §9): cases, their append-only events, the routing table and the
working-day calendar's local changes.

A case is made from every need an enterprise files (``services.case_from_need``) and moves through the states of
``core.cases`` only by ``services.case_transition`` and its siblings, each of which appends a :class:`CaseEvent`.
The columns ``first_response_due``, ``resolution_due``, ``clock_state`` and ``clock_check_at`` are caches the
services and the background step ``services.clocks_refresh`` keep up to date from the events; the events are the
record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from exportwatch.core import cases as core
from exportwatch.reporting.models import NeedCategory, Urgency


class State(models.TextChoices):
    """The states of ``core.cases`` (the Chinese words are ``core.cases.STATE_LABELS_ZH``)."""

    SUBMITTED = core.SUBMITTED, _("submitted")
    TRIAGED = core.TRIAGED, _("triaged")
    ASSIGNED = core.ASSIGNED, _("assigned")
    ACCEPTED = core.ACCEPTED, _("accepted")
    RETURNED = core.RETURNED, _("returned")
    IN_PROGRESS = core.IN_PROGRESS, _("in progress")
    WAITING_ENTERPRISE = core.WAITING_ENTERPRISE, _("waiting for the enterprise")
    REPLIED = core.REPLIED, _("replied")
    CONFIRMED = core.CONFIRMED, _("confirmed")
    REOPENED = core.REOPENED, _("reopened")
    CLOSED = core.CLOSED, _("closed")
    DECLINED = core.DECLINED, _("declined")
    WITHDRAWN = core.WITHDRAWN, _("withdrawn")
    MERGED = core.MERGED, _("merged")


class FiledAs(models.TextChoices):
    """Who filed the need the case was made from."""

    REPORTER = "reporter", _("the enterprise")
    TOWN_OFFICER = "town_officer", _("the town officer, for the enterprise")
    ANALYST = "analyst", _("an analyst, after a visit")
    ADMIN = "admin", _("system staff or an import")


class ClockState(models.TextChoices):
    OK = "ok", _("on time")
    WARNING = "warning", _("due soon")
    BREACHED = "breached", _("overdue")


class EventKind(models.TextChoices):
    """The event kinds of ``core.cases.EVENT_KINDS``."""

    TRANSITION = core.EVENT_TRANSITION, _("state change")
    SUPERVISE = core.EVENT_SUPERVISE, _("supervision")
    COMMENT = core.EVENT_COMMENT, _("comment")
    MERGED_IN = core.EVENT_MERGED_IN, _("duplicate merged in")
    CLOCK_WARNING = core.EVENT_CLOCK_WARNING, _("time limit near")
    CLOCK_BREACH = core.EVENT_CLOCK_BREACH, _("time limit breached, escalated")


class Clock(models.TextChoices):
    RESPONSE = "response", _("first response")
    RESOLUTION = "resolution", _("resolution")


class CalendarKind(models.TextChoices):
    HOLIDAY = "holiday", _("public holiday")
    MAKEUP_WORKDAY = "makeup_workday", _("make-up working day")
    ORDINARY = "ordinary", _("ordinary day (as the week runs)")


ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_EXTENSIONS = ("pdf", "jpg", "jpeg", "png", "doc", "docx", "xls", "xlsx", "txt", "zip")


def attachment_storage() -> FileSystemStorage:
    """Case attachments live under ``EXPORTWATCH_VAR/media/cases``. They are never served as static files: a page
    streams one to a reader who may see its case."""
    return FileSystemStorage(location=Path(settings.VAR_DIR) / "media", base_url=None)


def attachment_path(event: CaseEvent, filename: str) -> str:
    return f"cases/{event.case_id}/{filename}"


class Case(models.Model):
    """One need on its way through the closed loop."""

    enterprise = models.ForeignKey(
        "directory.Enterprise", on_delete=models.PROTECT, related_name="cases", verbose_name=_("enterprise")
    )
    need = models.OneToOneField(
        "reporting.Need", null=True, blank=True, on_delete=models.PROTECT, related_name="case", verbose_name=_("need")
    )
    category = models.CharField(_("category"), max_length=24, choices=NeedCategory.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    amount_usd = models.DecimalField(_("amount (USD)"), max_digits=16, decimal_places=2, null=True, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.SUBMITTED)

    # The routing table's suggestion when the case was filed; the bureau dispatches to ``lead_department``.
    routed_department = models.ForeignKey(
        "directory.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("suggested lead department"),
    )
    lead_department = models.ForeignKey(
        "directory.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases_led",
        verbose_name=_("lead department"),
    )
    co_departments = models.ManyToManyField(
        "directory.Department", blank=True, related_name="cases_co_handled", verbose_name=_("co-handling departments")
    )

    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases_filed",
        verbose_name=_("filed by"),
    )
    filed_as = models.CharField(_("filed as"), max_length=12, choices=FiledAs.choices)
    created_at = models.DateTimeField(_("filed at"))
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)  # the latest reply
    closed_at = models.DateTimeField(_("ended at"), null=True, blank=True)  # entered a terminal state

    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.TextField(_("rating comment"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        verbose_name=_("merged into"),
    )

    # The limits in working days, from the routing table when the case was filed (a later change of the table
    # applies to later cases).
    first_response_days = models.PositiveSmallIntegerField(_("first response limit (working days)"))
    resolution_days = models.PositiveSmallIntegerField(_("resolution limit (working days)"))
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)  # None while paused
    clock_state = models.CharField(_("clock"), max_length=8, choices=ClockState.choices, default=ClockState.OK)
    # When the clocks must be looked at next (a warning or breach falls due, or the case changed); None: nothing
    # can change until the case moves.
    clock_check_at = models.DateTimeField(null=True, blank=True, editable=False)
    response_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    response_breached_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_breached_at = models.DateTimeField(null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)  # the first breach

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="case_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(first_response_days__gte=1) & models.Q(resolution_days__gte=1),
                name="case_limits_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "created_at"], name="case_state"),
            models.Index(fields=["lead_department", "state"], name="case_lead"),
            models.Index(fields=["enterprise", "state"], name="case_enterprise"),
            models.Index(
                fields=["clock_check_at"], name="case_clock_due", condition=models.Q(clock_check_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"


class CaseEventQuerySet(models.QuerySet["CaseEvent"]):
    """Events are never changed or removed, not even in bulk."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise TypeError("case events are append-only: they cannot be updated")

    def delete(self) -> NoReturn:
        raise TypeError("case events are append-only: they cannot be deleted")


class CaseEvent(models.Model):
    """Something that happened to a case: who, when, from which state to which, why, with what attached.

    Append-only: saving an existing event or deleting one raises ``TypeError`` (the admin shows them read-only).
    Events other than ``transition`` record ``from_state == to_state``.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events", verbose_name=_("case"))
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case_events",
        verbose_name=_("by"),
    )  # None: the system (the clock)
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    from_state = models.CharField(_("from"), max_length=20, choices=State.choices, blank=True)  # "" when filed
    to_state = models.CharField(_("to"), max_length=20, choices=State.choices)
    note = models.TextField(_("note"), blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)  # a confirmation's
    clock = models.CharField(_("clock"), max_length=10, choices=Clock.choices, blank=True)  # a clock event's
    # What else the event decided: the departments of an assignment ({"lead": code, "co": [codes]}), the other
    # case of a merge ({"primary": id} / {"duplicate": id}), a clock's due instant.
    details = models.JSONField(_("details"), default=dict, blank=True)
    attachment = models.FileField(
        _("attachment"), upload_to=attachment_path, storage=attachment_storage, max_length=300, blank=True
    )
    attachment_name = models.CharField(_("attachment name"), max_length=200, blank=True)  # as uploaded

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        constraints = [
            # A clock warns once and escalates once per case and clock, whatever the workers do.
            models.UniqueConstraint(
                fields=["case", "kind", "clock"],
                condition=models.Q(kind__in=[core.EVENT_CLOCK_WARNING, core.EVENT_CLOCK_BREACH]),
                name="case_event_clock_once",
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="case_event_rating_1_to_5",
            ),
        ]
        indexes = [models.Index(fields=["case", "at"], name="case_event_case")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.at:%Y-%m-%d %H:%M} {self.kind} {self.from_state}->{self.to_state}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("case events are append-only: they cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("case events are append-only: they cannot be deleted")


class RoutingRule(models.Model):
    """Where the cases of a need category go, and their time limits; edited by analysts (``services.
    routing_rule_update``, audited)."""

    category = models.CharField(_("category"), max_length=24, choices=NeedCategory.choices, unique=True)
    # SET_NULL: removing a department keeps the limits; the bureau then dispatches these cases by hand.
    lead_department = models.ForeignKey(
        "directory.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="routing_rules",
        verbose_name=_("lead department"),
    )
    co_departments = models.ManyToManyField(
        "directory.Department", blank=True, related_name="routing_rules_co", verbose_name=_("co-handling departments")
    )
    first_response_days = models.PositiveSmallIntegerField(
        _("first response limit (working days)"), validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    resolution_days = models.PositiveSmallIntegerField(
        _("resolution limit (working days)"), validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    updated_at = models.DateTimeField(_("changed at"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["category"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_response_days__gte=1) & models.Q(resolution_days__gte=1),
                name="routing_limits_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} → {self.lead_department_id or '-'}"


class CalendarDay(models.Model):
    """A local change to the working-day calendar: what this date is, whatever the shipped calendar
    (``core/data/cn_workdays.json``) says of it. A holiday or a make-up working day adds to it (next year's State
    Council notice can be entered before a release ships it); an ordinary day cancels a shipped holiday or make-up
    day (a weekday works, a weekend day rests)."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CalendarKind.choices)
    note = models.CharField(_("note"), max_length=100, blank=True)  # e.g. 春节
    updated_at = models.DateTimeField(_("changed at"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.date} {self.kind}"

    def clean(self) -> None:
        if self.kind == CalendarKind.MAKEUP_WORKDAY and self.date is not None and self.date.weekday() < 5:
            raise ValidationError({"date": _("A make-up working day is a Saturday or a Sunday.")})
