"""Saved stress-test scenarios: a named set of shocks (``core.stress.Shock``) an analyst runs again.

A scenario belongs to the region of the analyst who saved it: it is seen by the users of that region, of the
regions below it and above it, never beside it. Saving and deleting one is audited (``services.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Scenario(models.Model):
    name = models.CharField(_("name"), max_length=100)
    # [{"dimension": "market", "key": "US", "change": -0.3, "months": 3}, ...]: a change is a fraction.
    shocks = models.JSONField(_("shocks"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    region = models.ForeignKey(
        "directory.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("saved at"))

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("stress scenario")
        verbose_name_plural = _("stress scenarios")

    def __str__(self) -> str:
        return self.name
