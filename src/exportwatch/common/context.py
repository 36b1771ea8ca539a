from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from exportwatch.common import clock
from exportwatch.common.scoping import can_see_bureau_pages, enterprises_reportable, is_admin
from exportwatch.common.selectors import audit_may_read


def exportwatch(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    return {
        "today": clock.today(),
        "show_bureau_nav": can_see_bureau_pages(user),
        "show_admin_nav": is_admin(user),
        "show_audit_nav": audit_may_read(user),
        "show_exchange_nav": bool(user.is_authenticated and enterprises_reportable(user).exists()),
    }
