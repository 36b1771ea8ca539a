"""``{% notifications_bell %}``: the bell in the navigation, with the user's unread count."""

from __future__ import annotations

from typing import Any

from django import template

from exportwatch.notifications.selectors import unread_count

register = template.Library()

MAX_SHOWN = 99  # more is shown as "99+"


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notifications_bell(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    count = context.get("unread_notifications")  # the notification centre counted already
    if count is None:
        count = unread_count(user) if user is not None else 0
    current = bool(request and request.resolver_match and request.resolver_match.app_name == "notifications")
    return {"count": count, "shown": f"{MAX_SHOWN}+" if count > MAX_SHOWN else str(count), "current": current}
