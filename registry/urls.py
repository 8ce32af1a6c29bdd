from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/apply/", views.enterprise_apply, name="enterprise_apply"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="enterprise_detail"),
    path("enterprises/<int:pk>/<str:action>/", views.enterprise_decide, name="enterprise_decide"),
    path("permits/", views.permit_list, name="permit_list"),
]
