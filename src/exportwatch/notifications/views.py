"""The notification centre: a user's own notifications, unread first, and marking them read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from exportwatch.notifications.selectors import notification_get, notifications_for, unread_count
from exportwatch.notifications.services import notifications_mark_read

PER_PAGE = 50


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    paged = Paginator(notifications_for(request.user), PER_PAGE).get_page(request.GET.get("page"))
    unread = unread_count(request.user)
    # ``unread_notifications`` is read by the bell in the navigation too: one COUNT for the page.
    return render(request, "notifications/list.html", {"paged": paged, "unread_notifications": unread})


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (``id``) or all of them (``all``) read; someone else's id is a 404."""
    if request.POST.get("all"):
        notifications_mark_read(user=request.user, ids=None)
    else:
        raw = request.POST.get("id", "")
        if not raw.isdigit():
            raise Http404
        notification = notification_get(request.user, int(raw))
        notifications_mark_read(user=request.user, ids=[notification.pk])
    page = request.POST.get("page", "")
    return redirect(reverse("notifications:list") + (f"?page={page}" if page.isdigit() else ""))
