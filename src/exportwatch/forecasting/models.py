"""Forecasts as computed (one run per origin month), the district's annual export targets, and the pending mark.

A run (``ForecastRun``) holds, for every series of every level (``Scope``), the model its backtest record chose,
that record, the actuals the models saw (the last ``ACTUAL_MONTHS``), and the forecast 1..h months after the
origin with 80 % and 95 % intervals (``SeriesForecast``; arrays as JSON lists, one row per series), with the order book
of the months the actuals cover (what the order-led models read; the pages show it beside the forecast). A run is
recomputed whole, never edited: ``services.forecasts_compute`` replaces the run of its origin. Amounts are USD.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    DISTRICT = "district", _("whole jurisdiction")
    MARKET = "market", _("market")
    MARKET_GROUP = "market_group", _("market group")
    HS = "hs", _("HS chapter")
    INDUSTRY = "industry", _("industry")
    TOWN = "town", _("town")
    ENTERPRISE = "enterprise", _("head enterprise")


class ForecastRun(models.Model):
    """Every series' forecast from one origin month (the last month with reports it used)."""

    origin_period = models.CharField(_("origin month"), max_length=7, unique=True)
    computed_at = models.DateTimeField(_("computed at"))
    series = models.PositiveIntegerField(_("series"), default=0)
    seconds = models.FloatField(_("seconds"), default=0.0)
    model_names = models.JSONField(_("models compared"), default=list)

    class Meta:
        ordering = ["-origin_period"]
        verbose_name = _("forecast run")
        verbose_name_plural = _("forecast runs")

    def __str__(self) -> str:
        return f"forecasts from {self.origin_period}"


class SeriesForecast(models.Model):
    """One series of a run: its chosen model and record, the actuals it saw and its forecast."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="forecasts")
    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices)
    key = models.CharField(_("key"), max_length=32, blank=True)  # "" for the district
    name = models.CharField(_("name"), max_length=200, blank=True)
    town = models.CharField(_("town"), max_length=32, blank=True)  # a town's or head enterprise's town, for scoping
    model = models.CharField(_("model"), max_length=32)
    first_period = models.CharField(_("first forecast month"), max_length=7)
    mean = models.JSONField(_("forecast"))  # USD per month, 1..h months after the origin
    lo80 = models.JSONField()
    hi80 = models.JSONField()
    lo95 = models.JSONField()
    hi95 = models.JSONField()
    actual_first_period = models.CharField(_("first actual month"), max_length=7)
    # USD per month up to the origin (None: no reports that month), completed for the enterprises that skipped a
    # month (``core.panel``): of each month, ``filled`` is their part, from customs or estimated (USD; [] for a head
    # enterprise's own series, or in a run stored before the histories were completed).
    actuals = models.JSONField(_("actuals"))
    filled = models.JSONField(
        _("from customs or estimated for enterprises that did not report"), default=list, blank=True
    )
    # The order book of the same months as ``actuals`` (USD; None: no reports that month): {"new_orders": [...],
    # "backlog": [...], "due_3m": [...]}; "due_3m" only where the level's reports state it (not for markets,
    # market groups and HS chapters, whose lines hold no due date); {} in a run stored before it was kept.
    book = models.JSONField(_("order book"), default=dict)
    # The months between the new orders and the exports that follow them best in the series' own history (the
    # orders' lead's learned lead, ``core.forecasting.order_leads``); None: not learned (no new orders, a short
    # series, or a run stored before it was kept).
    order_lead = models.PositiveSmallIntegerField(_("orders' lead (months)"), null=True, blank=True)
    # {model: [{"horizon", "mase", "coverage80", "coverage95", "origins"}, ...]} for every model compared
    record = models.JSONField(_("backtest record"), default=dict)

    class Meta:
        ordering = ["scope", "key"]
        constraints = [models.UniqueConstraint(fields=["run", "scope", "key"], name="seriesforecast_unique")]
        indexes = [models.Index(fields=["run", "scope", "town"], name="seriesforecast_town")]
        verbose_name = _("series forecast")
        verbose_name_plural = _("series forecasts")

    def __str__(self) -> str:
        return f"{self.run.origin_period} {self.scope}:{self.key} {self.model}"


class ExportTarget(models.Model):
    """The district's export target for a calendar year (稳外贸基本盘), set by an analyst; every change audited."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    amount_usd = models.DecimalField(_("target exports (USD)"), max_digits=18, decimal_places=2)
    note = models.CharField(_("basis of the target"), max_length=300, blank=True)
    set_at = models.DateTimeField(_("set at"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-year"]
        verbose_name = _("export target")
        verbose_name_plural = _("export targets")

    def __str__(self) -> str:
        return f"target {self.year}: {self.amount_usd}"


class PendingForecast(models.Model):
    """Reports of ``period`` changed since the last run: the background worker recomputes the latest origin's
    forecasts once they have settled (``services.handle_one_pending_forecast``)."""

    period = models.CharField(_("month"), max_length=7, unique=True)
    since = models.DateTimeField(_("since"))

    def __str__(self) -> str:
        return f"forecasts pending since {self.since:%Y-%m-%d %H:%M} ({self.period})"
