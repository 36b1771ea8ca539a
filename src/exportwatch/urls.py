from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from exportwatch.accounts import views as account_views
from exportwatch.api.router import api
from exportwatch.common.health import health
from exportwatch.directory import views as directory_views
from exportwatch.reporting import views as reporting_views

reporting_patterns = (
    [
        path("", reporting_views.mine, name="mine"),
        path("<str:uscc>/<str:period>/", reporting_views.report_detail, name="detail"),
        path("<str:uscc>/<str:period>/edit/", reporting_views.report_edit, name="edit"),
        path("<str:uscc>/disruptions/new/", reporting_views.disruption_new, name="disruption_new"),
        path("<str:uscc>/needs/new/", reporting_views.need_new, name="need_new"),
    ],
    "reporting",
)

directory_patterns = (
    [
        path("enterprises/", directory_views.enterprise_list, name="enterprises"),
        path("enterprises/<str:uscc>/", directory_views.enterprise_detail, name="enterprise"),
        path("status/", directory_views.reporting_status, name="status"),
    ],
    "directory",
)

account_patterns = (
    [
        path("", account_views.account, name="account"),
        path("tokens/new/", account_views.token_create, name="token_create"),
        path("tokens/<int:pk>/revoke/", account_views.token_revoke, name="token_revoke"),
    ],
    "accounts",
)

urlpatterns = [
    path("", reporting_views.home, name="home"),
    path("health/", health, name="health"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", include(account_patterns)),
    path("report/", include(reporting_patterns)),
    path("bureau/", include(directory_patterns)),
    path("", include("exportwatch.exchange.urls")),
    path("customs/", include("exportwatch.customs.urls")),
    path("bureau/monitoring/", include("exportwatch.monitoring.urls")),
    path("bureau/warnings/", include("exportwatch.warnings.urls")),
    path("bureau/forecasts/", include("exportwatch.forecasting.urls")),
    path("bureau/stress/", include("exportwatch.stress.urls")),
    path("bureau/finance/", include("exportwatch.finance.urls")),
    path("bureau/briefs/", include("exportwatch.briefs.urls")),
    path("bureau/campaign/", include("exportwatch.campaign.urls")),
    path("bureau/audit/", include("exportwatch.common.urls")),
    path("notifications/", include("exportwatch.notifications.urls")),
    path("cases/", include("exportwatch.cases.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
