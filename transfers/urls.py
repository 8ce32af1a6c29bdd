"""The transfer pages' URLs, namespaced `transfers:` (the API's are in transfers.api, routed by wasteparks.api)."""

from django.urls import path

from . import views
from .views.containers import (
    container_detail,
    container_label,
    container_labels,
    container_scan,
    manifest_containers,
)
from .views.ledger import ledger_move, ledger_reverse

app_name = "transfers"
urlpatterns = [
    path("manifests/", views.manifest_list, name="manifest_list"),
    path("manifests/new/", views.manifest_new, name="manifest_new"),
    path("manifests/<int:pk>/", views.manifest_detail, name="manifest_detail"),
    path("manifests/<int:pk>/edit/", views.manifest_edit, name="manifest_edit"),
    path("manifests/<int:pk>/print/", views.manifest_print, name="manifest_print"),
    path("manifests/<int:pk>/print.pdf", views.manifest_pdf, name="manifest_pdf"),
    path("manifests/<int:pk>/pickup/", views.manifest_pickup, name="manifest_pickup"),
    path("manifests/<int:pk>/receive/", views.manifest_receive, name="manifest_receive"),
    path("manifests/<int:pk>/treat/", views.manifest_treat, name="manifest_treat"),
    path("manifests/<int:pk>/revisions/", views.revision_propose, name="revision_propose"),
    path(
        "manifests/<int:pk>/revisions/<int:revision_pk>/<str:decision>/",
        views.revision_decide,
        name="revision_decide",
    ),
    # Before manifest_sign, whose <action> would take "containers".
    path("manifests/<int:pk>/containers/", manifest_containers, name="manifest_containers"),
    path("manifests/<int:pk>/<str:action>/", views.manifest_sign, name="manifest_sign"),
    path("pickups/", views.pickup_list, name="pickup_list"),
    path("ledger/", views.ledger_list, name="ledger_list"),
    path("ledger/new/", views.ledger_new, name="ledger_new"),
    path("ledger/move/", ledger_move, name="ledger_move"),
    path("ledger/<int:pk>/reverse/", ledger_reverse, name="ledger_reverse"),
    path("ledger/<int:pk>/containers/new/", container_label, name="container_label"),
    path("ledger/<int:pk>/containers/labels/", container_labels, name="container_labels"),
    path("containers/scan/", container_scan, name="container_scan"),
    path("containers/<str:code>/", container_detail, name="container_detail"),
    path("stock/", views.stock_list, name="stock_list"),
    path("verify/<str:token>/", views.verify, name="verify"),
]
