"""Reference data (regions, markets, HS codes, industries, segments, departments) and the enterprise registry."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from exportwatch.directory.validators import validate_customs_code, validate_uscc


class NamedCode(models.Model):
    """A code with a Chinese name and an English name; ``label`` follows the active language."""

    code = models.CharField(_("code"), max_length=32, primary_key=True)
    name = models.CharField(_("Chinese name"), max_length=400)
    name_en = models.CharField(_("English name"), max_length=400, blank=True)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"

    @property
    def label(self) -> str:
        if (get_language() or "zh-hans").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class Region(NamedCode):
    class Level(models.TextChoices):
        PROVINCE = "province", _("province")
        CITY = "city", _("city")
        DISTRICT = "district", _("district")
        TOWN = "town", _("town or street")

    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # Materialised path "330000/330200/330213/" so a subtree is one indexed prefix query.
    path = models.CharField(max_length=200, db_index=True, editable=False)

    class Meta(NamedCode.Meta):
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def save(self, *args: object, **kwargs: object) -> None:
        self.path = (self.parent.path if self.parent else "") + self.code + "/"
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class MarketGroup(NamedCode):
    members = models.ManyToManyField("Market", related_name="groups", blank=True)

    class Meta(NamedCode.Meta):
        verbose_name = _("market group")
        verbose_name_plural = _("market groups")


class Market(NamedCode):
    class Meta(NamedCode.Meta):
        verbose_name = _("market")
        verbose_name_plural = _("markets")


class HSCode(NamedCode):
    section = models.CharField(_("section"), max_length=6, blank=True)

    class Meta(NamedCode.Meta):
        verbose_name = _("HS code")
        verbose_name_plural = _("HS codes")


class Industry(NamedCode):
    section = models.CharField(_("section"), max_length=2, blank=True)

    class Meta(NamedCode.Meta):
        verbose_name = _("industry")
        verbose_name_plural = _("industries")


class Segment(NamedCode):
    class Meta(NamedCode.Meta):
        verbose_name = _("segment")
        verbose_name_plural = _("segments")


class Department(NamedCode):
    kind = models.CharField(_("kind"), max_length=30, blank=True)

    class Meta(NamedCode.Meta):
        verbose_name = _("department")
        verbose_name_plural = _("departments")


class EnterpriseQuerySet(models.QuerySet["Enterprise"]):
    def head(self) -> EnterpriseQuerySet:
        return self.filter(exports_last_year_usd__gte=settings.EXPORTWATCH_HEAD_EXPORTS_USD)

    def whitelist_eligible(self) -> EnterpriseQuerySet:
        return self.filter(trade_last_year_usd__gte=settings.EXPORTWATCH_WHITELIST_TRADE_USD)

    def in_region(self, region: Region) -> EnterpriseQuerySet:
        return self.filter(town__path__startswith=region.path)


class Enterprise(models.Model):
    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc])
    name = models.CharField(_("name"), max_length=200)
    customs_code = models.CharField(_("customs code"), max_length=10, blank=True, validators=[validate_customs_code])
    town = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="enterprises", verbose_name=_("town"))
    industry = models.ForeignKey(
        Industry, on_delete=models.PROTECT, related_name="enterprises", verbose_name=_("industry")
    )
    exports_last_year_usd = models.DecimalField(_("exports last year (USD)"), max_digits=16, decimal_places=2)
    imports_last_year_usd = models.DecimalField(_("imports last year (USD)"), max_digits=16, decimal_places=2)
    # Computed by the database, so bulk loads and updates can never leave it stale.
    trade_last_year_usd = models.GeneratedField(
        expression=models.F("exports_last_year_usd") + models.F("imports_last_year_usd"),
        output_field=models.DecimalField(max_digits=17, decimal_places=2),
        db_persist=True,
    )
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    segments = models.ManyToManyField(Segment, blank=True, related_name="enterprises", verbose_name=_("segments"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        indexes = [models.Index(fields=["exports_last_year_usd"]), models.Index(fields=["trade_last_year_usd"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_head(self) -> bool:
        return Decimal(self.exports_last_year_usd) >= settings.EXPORTWATCH_HEAD_EXPORTS_USD

    @property
    def is_whitelist_eligible(self) -> bool:
        total = Decimal(self.exports_last_year_usd) + Decimal(self.imports_last_year_usd)
        return total >= settings.EXPORTWATCH_WHITELIST_TRADE_USD

    @property
    def tier(self) -> str:
        return tier_of(
            self.exports_last_year_usd, Decimal(self.exports_last_year_usd) + Decimal(self.imports_last_year_usd)
        )


def tier_of(exports_last_year: Decimal | int, trade_last_year: Decimal | int) -> str:
    """``head`` (exports last year ≥ the head threshold), ``whitelist`` (trade ≥ the white-list threshold) or ``other``."""
    if Decimal(exports_last_year) >= settings.EXPORTWATCH_HEAD_EXPORTS_USD:
        return "head"
    if Decimal(trade_last_year) >= settings.EXPORTWATCH_WHITELIST_TRADE_USD:
        return "whitelist"
    return "other"
