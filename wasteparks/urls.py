"""The project's URL map: each app's pages, the API under /api/v1/, health, admin and sign-in."""

from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import include, path, re_path

from registry.forms import LoginForm

from .api.errors import api_not_found
from .health import healthz
from .navigation import home

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", LoginView.as_view(authentication_form=LoginForm), name="login"),
    # Sign-up, invitations and the second factor (registry/account_views.py); before Django's own account
    # pages (password change and reset), which the include below serves.
    path("accounts/", include("registry.account_urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("registry/", include("registry.urls")),
    path("transfers/", include("transfers.urls")),
    path("reporting/", include("reporting.urls")),
    path("inbox/", include("wasteparks.inbox_views")),
    path("exports/", include("wasteparks.export_views")),
    path("api/v1/", include("wasteparks.api.urls")),
    # Anything else under /api/ answers in the API's error shape, never with an HTML page.
    re_path(r"^api(/.*)?$", api_not_found),
    path("", home, name="home"),
]

handler400 = "wasteparks.api.errors.handler400"
handler403 = "wasteparks.api.errors.handler403"
handler404 = "wasteparks.api.errors.handler404"
handler500 = "wasteparks.api.errors.handler500"
