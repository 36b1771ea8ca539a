"""Order-book reports (versioned), their market x product lines, drafts, disruption events and needs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def _money(verbose: str, *, null: bool = False) -> models.DecimalField:
    return models.DecimalField(verbose, max_digits=16, decimal_places=2, null=null, blank=null)


class Trend(models.TextChoices):
    UP = "up", _("up")
    SAME = "same", _("about the same")
    DOWN = "down", _("down")


class Source(models.TextChoices):
    WEB = "web", _("web form")
    CSV = "csv", _("file import")
    API = "api", _("API")
    DEMO = "demo", _("demo data")


class Report(models.Model):
    """One version of an enterprise's order book for one month. Resubmitting adds a version."""

    # No index of its own: the unique (enterprise, period, version) constraint begins with it.
    enterprise = models.ForeignKey(
        "directory.Enterprise", on_delete=models.PROTECT, related_name="reports", db_index=False
    )
    period = models.CharField(_("period"), max_length=7)
    version = models.PositiveIntegerField(_("version"))
    is_current = models.BooleanField(default=True)
    exports_usd = _money(_("exports shipped (USD)"))
    new_orders_usd = _money(_("new export orders (USD)"))
    backlog_usd = _money(_("orders in hand (USD)"))
    backlog_due_3m_usd = _money(_("orders in hand due within 3 months (USD)"))
    capacity_utilization_pct = models.DecimalField(
        _("capacity utilisation (%)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    new_orders_trend = models.CharField(_("new orders vs last month"), max_length=4, choices=Trend.choices)
    outlook_3m = models.CharField(_("exports over the next 3 months"), max_length=4, choices=Trend.choices)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    # The spread of the version's exports over markets (``core.concentration.market_mix`` of its lines), kept
    # when the lines are written so that a month's warnings read one row per enterprise instead of its lines.
    # NULL when its lines itemise no exports, or when written by a path that does not keep it (the readers then
    # compute it from the lines).
    market_hhi = models.FloatField(_("market concentration (HHI)"), null=True, blank=True, editable=False)
    main_market = models.CharField(_("main market"), max_length=32, blank=True, db_default="", editable=False)

    class Meta:
        ordering = ["enterprise_id", "period", "version"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "period", "version"], name="report_version_unique"),
            models.UniqueConstraint(
                fields=["enterprise", "period"], condition=models.Q(is_current=True), name="report_one_current"
            ),
            models.CheckConstraint(
                condition=models.Q(backlog_due_3m_usd__lte=models.F("backlog_usd")), name="report_due_le_backlog"
            ),
        ]
        indexes = [models.Index(fields=["period", "is_current"])]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.period} v{self.version}"


class ReportLine(models.Model):
    # Bulk loads write millions of lines, and every index costs on each: the unique (report, market, hs)
    # constraint serves lookups by report; lines are read through their report (by period), never by market alone.
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="lines", db_index=False)
    market = models.ForeignKey("directory.Market", on_delete=models.PROTECT, verbose_name=_("market"), db_index=False)
    hs = models.CharField(_("HS code"), max_length=6)
    backlog_usd = _money(_("orders in hand (USD)"))
    new_orders_usd = _money(_("new export orders (USD)"))
    exports_usd = _money(_("exports shipped (USD)"))

    class Meta:
        ordering = ["report_id", "market_id", "hs"]
        constraints = [models.UniqueConstraint(fields=["report", "market", "hs"], name="line_unique")]

    def __str__(self) -> str:
        return f"{self.market_id}/{self.hs}"


class ReportDraft(models.Model):
    """What a reporter typed but has not submitted; kept per enterprise and period."""

    enterprise = models.ForeignKey("directory.Enterprise", on_delete=models.CASCADE, related_name="drafts")
    period = models.CharField(max_length=7)
    data = models.JSONField()
    base_version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enterprise", "period"], name="draft_unique")]

    def __str__(self) -> str:
        return f"draft {self.enterprise_id} {self.period}"


class DisruptionKind(models.TextChoices):
    SHIPMENT_DELAYED = "shipment_delayed", _("buyer asks to delay shipment")
    TERMS_EXTENDED = "terms_extended", _("buyer asks for longer payment terms")
    HELD_AT_PORT = "held_at_port", _("goods held at port")
    ORDER_REDUCED = "order_reduced", _("order reduced")
    ORDER_CANCELLED = "order_cancelled", _("order cancelled")
    ORDER_TRANSFERRED = "order_transferred", _("order moved to another country")


class NeedCategory(models.TextChoices):
    FINANCING = "financing", _("financing")
    CREDIT_INSURANCE = "credit_insurance", _("export credit insurance")
    LOGISTICS = "logistics", _("logistics")
    CUSTOMS_CLEARANCE = "customs_clearance", _("customs clearance")
    TRADE_FRICTION = "trade_friction", _("trade friction and tariffs")
    CERTIFICATION = "certification", _("certification and testing")
    LABOUR = "labour", _("labour")
    RAW_MATERIALS = "raw_materials", _("raw materials")
    PAYMENT_COLLECTION = "payment_collection", _("payment collection")
    EXCHANGE_RATE = "exchange_rate", _("exchange rate")
    CONTRACT_DISPUTE = "contract_dispute", _("contract disputes")
    MARKET_EXPANSION = "market_expansion", _("market expansion and exhibitions")
    DOMESTIC_SALES = "domestic_sales", _("domestic-sales pivot")
    POLICY_CONSULTATION = "policy_consultation", _("policy consultation")
    OTHER = "other", _("other")


class Urgency(models.TextChoices):
    LOW = "low", _("low")
    NORMAL = "normal", _("normal")
    HIGH = "high", _("high")
    URGENT = "urgent", _("urgent")


class _Filed(models.Model):
    enterprise = models.ForeignKey("directory.Enterprise", on_delete=models.PROTECT)
    date = models.DateField(_("date"))
    amount_usd = _money(_("amount (USD)"), null=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    created_at = models.DateTimeField(_("filed at"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    # Digest of the record's contract values: filing or importing the same record twice adds nothing.
    fingerprint = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        abstract = True
        ordering = ["-date", "-id"]


class Disruption(_Filed):
    kind = models.CharField(_("kind"), max_length=20, choices=DisruptionKind.choices)
    market = models.ForeignKey(
        "directory.Market", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("market")
    )
    hs = models.CharField(_("HS code"), max_length=6, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta(_Filed.Meta):
        verbose_name = _("disruption event")
        verbose_name_plural = _("disruption events")

    def __str__(self) -> str:
        return f"{self.date} {self.kind}"


class Need(_Filed):
    category = models.CharField(_("category"), max_length=24, choices=NeedCategory.choices)
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    description = models.TextField(_("description"))

    class Meta(_Filed.Meta):
        verbose_name = _("need")
        verbose_name_plural = _("needs")

    def __str__(self) -> str:
        return f"{self.date} {self.category}"
