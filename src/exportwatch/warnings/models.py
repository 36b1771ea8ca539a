"""Warning rules as data (every change a new version: who, when, why) and the warnings they raise.

A rule's current version is its highest ``version``; a warning keeps the version that raised it. Warnings are
stored per month, scope and key (``enterprise`` and a credit code, ``market`` and an ISO code, ...,
``district`` and ""), one per rule, by ``warnings_evaluate`` (``services.py``); their lifecycle (new →
acknowledged → following up → closed as resolved or as a false alarm) is an append-only list of events.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    RED = "red", _("red")
    ORANGE = "orange", _("orange")
    YELLOW = "yellow", _("yellow")
    BLUE = "blue", _("blue")


class Scope(models.TextChoices):
    ENTERPRISE = "enterprise", _("enterprise")
    MARKET = "market", _("market")
    MARKET_GROUP = "market_group", _("market group")
    HS = "hs", _("HS chapter")
    INDUSTRY = "industry", _("industry")
    TOWN = "town", _("town")
    DISTRICT = "district", _("whole jurisdiction")


class Status(models.TextChoices):
    NEW = "new", _("new")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    FOLLOWING_UP = "following_up", _("following up")
    RESOLVED = "resolved", _("closed: resolved")
    FALSE_ALARM = "false_alarm", _("closed: false alarm")


class RuleVersion(models.Model):
    """One version of a threshold rule (``core.warning_rules.ThresholdRule``); never edited, only superseded."""

    key = models.CharField(_("rule"), max_length=40)
    version = models.PositiveIntegerField(_("version"))
    indicator = models.CharField(_("indicator"), max_length=40)
    direction = models.CharField(_("direction"), max_length=5)  # "below" | "above"
    thresholds = models.JSONField(_("thresholds"))  # level -> number
    scopes = models.JSONField(_("scopes"))  # list of Scope values
    requires = models.JSONField(_("requires"), default=list, blank=True)
    base = models.CharField(_("base fact"), max_length=40, blank=True)
    min_base = models.FloatField(_("minimum base"), null=True, blank=True)
    reason = models.TextField(_("reason (English)"))
    reason_zh = models.TextField(_("reason (Chinese)"))
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("why changed"), max_length=300, blank=True)

    class Meta:
        ordering = ["key", "-version"]
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="rule_version_unique")]
        verbose_name = _("rule version")
        verbose_name_plural = _("rule versions")

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


class Warning(models.Model):  # the domain's word; shadows the builtin Warning inside this module only
    """One rule's (or detector's) signal for one scope and key in one month."""

    period = models.CharField(_("month"), max_length=7)
    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices)
    key = models.CharField(_("key"), max_length=32, blank=True)  # credit code, ISO code, HS chapter, town code...
    name = models.CharField(_("name"), max_length=200, blank=True)  # as shown when raised
    rule = models.CharField(_("rule"), max_length=40)
    rule_version = models.ForeignKey(
        RuleVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="warnings"
    )  # None: a detector or the systemic lamp (their parameters are in the code)
    level = models.CharField(_("level"), max_length=6, choices=Level.choices)
    value = models.FloatField(_("value"), null=True)
    threshold = models.FloatField(_("threshold"), null=True)
    first_period = models.CharField(_("first fired"), max_length=7)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NEW)
    active = models.BooleanField(_("still firing"), default=True)  # False: a later evaluation no longer raises it
    evaluated_at = models.DateTimeField(_("evaluated at"))
    town = models.CharField(_("town"), max_length=32, blank=True)  # an enterprise warning's town, for scoping
    details = models.JSONField(_("details"), default=dict, blank=True)  # e.g. the systemic lamp's components

    class Meta:
        ordering = ["period", "scope", "key", "rule"]
        constraints = [
            models.UniqueConstraint(fields=["period", "scope", "key", "rule"], name="warning_unique"),
        ]
        indexes = [models.Index(fields=["period", "level"]), models.Index(fields=["scope", "key", "period"])]
        verbose_name = _("warning")
        verbose_name_plural = _("warnings")

    def __str__(self) -> str:
        return f"{self.period} {self.scope}:{self.key} {self.rule} {self.level}"


class WarningEvent(models.Model):
    """A step of a warning's lifecycle: append-only."""

    warning = models.ForeignKey(Warning, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    from_status = models.CharField(_("from"), max_length=12, choices=Status.choices)
    to_status = models.CharField(_("to"), max_length=12, choices=Status.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # Following up an enterprise's warning through one of its cases (the problem list), when there is one.
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="warning_events",
        verbose_name=_("case"),
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("warning event")
        verbose_name_plural = _("warning events")

    def __str__(self) -> str:
        return f"{self.warning_id} {self.from_status}→{self.to_status}"


class RuleTrackRecord(models.Model):
    """How a rule did on the history held (``exportwatch backtest-rules``): its signals against the real drops
    that followed (``core.warning_record``), one row per rule, scope kind and run."""

    rule = models.CharField(_("rule"), max_length=40)
    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices)
    computed_at = models.DateTimeField(_("computed at"))
    first_period = models.CharField(_("from"), max_length=7)
    last_period = models.CharField(_("to"), max_length=7)
    window = models.PositiveSmallIntegerField(_("horizon (months)"))
    series = models.PositiveIntegerField(_("series"))  # enterprises (or markets) scored
    hits = models.PositiveIntegerField(_("drops warned of"))
    false_alarms = models.PositiveIntegerField(_("false alarms"))
    missed = models.PositiveIntegerField(_("drops missed"))
    recall = models.FloatField(_("recall"), null=True)
    precision = models.FloatField(_("precision"), null=True)
    noise_to_signal = models.FloatField(_("noise to signal"), null=True)
    median_lead = models.FloatField(_("median lead (months)"), null=True)

    class Meta:
        ordering = ["rule", "scope", "-computed_at"]
        verbose_name = _("rule track record")
        verbose_name_plural = _("rule track records")

    def __str__(self) -> str:
        return f"{self.rule} {self.scope} {self.computed_at:%Y-%m-%d}"


class PendingMonth(models.Model):
    """A month whose reports changed in bulk (an import of many enterprises): its warnings are re-evaluated by the
    background worker (``services.handle_one_pending``) or before an export, not inside the import."""

    period = models.CharField(_("month"), max_length=7, unique=True)
    since = models.DateTimeField(_("since"))

    def __str__(self) -> str:
        return f"{self.period} pending since {self.since:%Y-%m-%d %H:%M}"
