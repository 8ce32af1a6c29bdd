"""Reporting pages: dashboards, monthly reports, warnings and thresholds, inspections, the enterprise page."""

from .views import (
    carbon,
    dashboard,
    enterprises,
    exchange,
    imports,
    inspections,
    network,
    opportunities,
    plans,
    reports,
    thresholds,
    warnings,
)

app_name = "reporting"
urlpatterns = [
    *dashboard.urlpatterns,
    *carbon.urlpatterns,
    *reports.urlpatterns,
    *plans.urlpatterns,
    *warnings.urlpatterns,
    *inspections.urlpatterns,
    *imports.urlpatterns,
    *enterprises.urlpatterns,
    *thresholds.urlpatterns,
    *opportunities.urlpatterns,
    *exchange.urlpatterns,
    *network.urlpatterns,
]
