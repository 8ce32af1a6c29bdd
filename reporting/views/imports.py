"""Platform imports: the runs (upload a file, list runs), one run's report with each row's outcome, and
the reconciliation of a park's month against the ledger. Officers only."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from registry.tenancy import scope_of
from wasteparks.errors import DomainError
from wasteparks.lists import page_of
from wasteparks.pages import SignedInRequest

from ..forms.imports import ImportUploadForm, ReconcileForm
from ..imports.reconcile import reconcile
from ..imports.services import import_file
from ..models.imports import ImportRun


def _officer_only(request: SignedInRequest) -> None:
    scope = scope_of(request.user)
    if not scope.is_officer and not scope.everything:
        raise PermissionDenied(_("Platform imports are for park and provincial officers."))


@login_required
def import_list(request: SignedInRequest) -> HttpResponse:
    _officer_only(request)
    status = 200
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                run = import_file(
                    source=form.cleaned_data["source"],
                    park=form.cleaned_data["park"],
                    actor=request.user,
                    file_name=upload.name,
                    content=upload.read(),
                )
            except DomainError as error:
                form.add_error("file", error.message)
            else:
                return redirect("reporting:import_detail", pk=run.pk)
        status = 400
    else:
        form = ImportUploadForm(user=request.user)
    runs = ImportRun.objects.visible_to(request.user).select_related("park", "actor")
    return render(request, "reporting/imports.html", {"form": form, "page": page_of(request, runs)}, status=status)


@login_required
def import_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    _officer_only(request)
    run = get_object_or_404(ImportRun.objects.visible_to(request.user).select_related("park", "actor"), pk=pk)
    rows = run.rows.select_related("record__enterprise", "record__manifest").order_by("row_no")
    return render(request, "reporting/imports_detail.html", {"run": run, "page": page_of(request, rows)})


@login_required
def import_reconciliation(request: SignedInRequest) -> HttpResponse:
    _officer_only(request)
    form = ReconcileForm(request.GET or None, user=request.user)
    result = None
    if form.is_valid():
        result = reconcile(park=form.cleaned_data["park"], period=form.cleaned_data["month"])
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "reporting/imports_reconciliation.html", {"form": form, "result": result}, status=status)


urlpatterns = [
    path("imports/", import_list, name="import_list"),
    path("imports/<int:pk>/", import_detail, name="import_detail"),
    path("imports/reconciliation/", import_reconciliation, name="import_reconciliation"),
]
