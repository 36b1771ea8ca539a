"""The user's own account page: language, and API tokens for integrating an ERP or a bank system."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from exportwatch.accounts.models import ApiToken


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at")
    new_token = request.session.pop("new_token", None)
    return render(request, "accounts/account.html", {"tokens": tokens, "new_token": new_token})


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    name = (request.POST.get("name") or "").strip()[:100] or _("API token")
    _token, raw = ApiToken.objects.issue(user=request.user, name=name)  # type: ignore[arg-type]
    request.session["new_token"] = raw
    messages.success(request, _("Token created. Copy it now: it will not be shown again."))
    return redirect("accounts:account")


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user, revoked_at__isnull=True)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    messages.success(request, _("Token revoked."))
    return redirect("accounts:account")
