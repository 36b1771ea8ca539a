"""Users, their role and their scope (a region subtree, one enterprise, or one department), and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    REPORTER = "reporter", _("Enterprise reporter")
    TOWN_OFFICER = "town_officer", _("Town officer")
    ANALYST = "analyst", _("Commerce bureau analyst")
    HANDLER = "handler", _("Department handler")
    LEADER = "leader", _("Leader")
    ADMIN = "admin", _("Administrator")


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.REPORTER)
    region = models.ForeignKey(
        "directory.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("region scope"),
        help_text=_("Town officers, analysts and leaders see everything in this region and below it."),
    )
    enterprise = models.ForeignKey(
        "directory.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reporters",
        verbose_name=_("enterprise"),
        help_text=_("Enterprise reporters see and report for this enterprise only."),
    )
    department = models.ForeignKey(
        "directory.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handlers",
        verbose_name=_("department"),
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="reporter") | models.Q(enterprise__isnull=False),
                name="reporter_has_enterprise",
            ),
            models.CheckConstraint(
                condition=~models.Q(role__in=["town_officer", "analyst", "leader"]) | models.Q(region__isnull=False),
                name="regional_role_has_region",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="handler") | models.Q(department__isnull=False),
                name="handler_has_department",
            ),
        ]


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def issue(self, *, user: User, name: str) -> tuple[ApiToken, str]:
        """Create a token; the raw value is returned once and only its digest is stored."""
        raw = "ew_" + secrets.token_urlsafe(32)
        token = self.create(user=user, name=name, digest=_digest(raw), prefix=raw[:10])
        return token, raw

    def find(self, raw: str) -> ApiToken | None:
        return self.select_related("user").filter(digest=_digest(raw), revoked_at__isnull=True).first()


class ApiToken(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=10)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"
