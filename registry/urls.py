"""Registry pages: enterprises (list, application, officers' decisions, resubmission) and permits."""

from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/apply/", views.enterprise_apply, name="enterprise_apply"),
    # The enterprise page is reporting:enterprise_detail; its old address redirects there for good.
    path("enterprises/<int:pk>/", views.enterprise_moved, name="enterprise_detail"),
    # Before the officers' decisions, whose pattern would take "resubmit" for an action.
    path("enterprises/<int:pk>/resubmit/", views.enterprise_resubmit, name="enterprise_resubmit"),
    path("enterprises/<int:pk>/<str:action>/", views.enterprise_decide, name="enterprise_decide"),
    path("permits/", views.permit_list, name="permit_list"),
]
