from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from .health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("registry/", include("registry.urls")),
    path("", RedirectView.as_view(pattern_name="registry:enterprise_list", permanent=False), name="home"),
]

if settings.DEBUG:
    urlpatterns += []
