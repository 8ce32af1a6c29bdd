from .views import dashboard, inspections, reports, warnings

app_name = "reporting"
urlpatterns = [*dashboard.urlpatterns, *reports.urlpatterns, *warnings.urlpatterns, *inspections.urlpatterns]
