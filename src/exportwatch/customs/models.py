"""Actual exports from customs statistics, loaded by the bureau and reconciled with what enterprises report."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomsExport(models.Model):
    """What customs recorded one enterprise exporting to one market, in one HS code, in one month (USD).

    Loading the same workbook again changes nothing; a corrected figure replaces the stored one (audited).
    """

    enterprise = models.ForeignKey(
        "directory.Enterprise", on_delete=models.PROTECT, related_name="customs_exports", verbose_name=_("enterprise")
    )
    period = models.CharField(_("period"), max_length=7)
    market = models.ForeignKey("directory.Market", on_delete=models.PROTECT, verbose_name=_("market"))
    hs = models.CharField(_("HS code"), max_length=6)
    exports_usd = models.DecimalField(_("customs exports (USD)"), max_digits=16, decimal_places=2)
    loaded_at = models.DateTimeField(_("loaded at"))
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("loaded by")
    )
    source_file = models.CharField(_("source file"), max_length=200, blank=True)

    class Meta:
        ordering = ["enterprise_id", "period", "market_id", "hs"]
        verbose_name = _("customs export record")
        verbose_name_plural = _("customs export records")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "period", "market", "hs"], name="customs_export_unique"),
            models.CheckConstraint(condition=models.Q(exports_usd__gte=0), name="customs_export_non_negative"),
        ]
        indexes = [models.Index(fields=["period"], name="customs_export_period")]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.period} {self.market_id}/{self.hs}"
