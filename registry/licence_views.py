"""Licence pages: a permit (facts, lines, status, history, the officers' steps, renewal), recording or
applying for one; cross-province transfer approvals (list, page, steps, recording or applying).

Who acts is decided by registry.licensing; these views only fetch through visible_to (another park's
licence is a 404), turn the form into the service's arguments and show its refusal with its status.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wasteparks.errors import DomainError
from wasteparks.lists import page_of
from wasteparks.pages import SignedInRequest, refused

from . import licensing
from .licence_forms import ApprovalForm, LicenceDecisionForm, PermitForm, PermitLineFormSet, RenewalForm
from .models import Permit, TransferApproval
from .rules import APPROVAL_FLOW, OFFICER, PERMIT_FLOW, LicenceAction, LicenceStatus
from .tenancy import scope_of

ACTION_STYLES = {
    LicenceAction.VERIFY: "btn-success",
    LicenceAction.GRANT: "btn-success",
    LicenceAction.REINSTATE: "btn-success",
    LicenceAction.REFUSE: "btn-outline-danger",
    LicenceAction.SUSPEND: "btn-outline-warning",
    LicenceAction.REVOKE: "btn-outline-danger",
}


def _steps(flow, status: str) -> list[dict]:
    """The officers' one-form steps open in `status`, in the workflow's order (renewal has its own form)."""
    return [
        {"action": action, "label": flow.action_label(action), "style": ACTION_STYLES[action]}
        for action in flow.available(status)
        if flow[action].actor == OFFICER and action != LicenceAction.RENEW
    ]


def _form_error(form, error: DomainError | ValidationError) -> None:
    if isinstance(error, ValidationError):
        for field, problems in getattr(error, "message_dict", {"__all__": error.messages}).items():
            form.add_error(field if field in form.fields else None, problems)
        return
    field = next((name for name in error.fields if name in form.fields), None)
    form.add_error(field, error.message)


# --- permits --------------------------------------------------------------------------------------


def _permit(request: SignedInRequest, pk: int) -> Permit:
    return get_object_or_404(
        Permit.objects.visible_to(request.user).select_related("enterprise__park__division", "decided_by", "renews"),
        pk=pk,
    )


def _permit_page(request: SignedInRequest, permit: Permit, *, status: int = 200, **overrides) -> HttpResponse:
    supervises = scope_of(request.user).supervises_park(permit.enterprise.park)
    context = {
        "permit": permit,
        "lines": permit.lines.select_related("waste_code", "category", "method").order_by("pk"),
        "history": permit.history.select_related("history_user").order_by("-history_date", "-history_id")[:50],
        "renewal": Permit.objects.filter(renews=permit).only("pk", "number").first(),
        "steps": _steps(PERMIT_FLOW, permit.status) if supervises else [],
        "can_renew": supervises and LicenceAction.RENEW in PERMIT_FLOW.available(permit.status),
        "decision_form": LicenceDecisionForm(),
        "renewal_form": RenewalForm(initial={"issuer": permit.issuer}),
    }
    context.update(overrides)
    return render(request, "registry/permit_detail.html", context, status=status)


@login_required
def permit_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    return _permit_page(request, _permit(request, pk))


@login_required
@require_POST
def permit_decide(request: SignedInRequest, pk: int, action: str) -> HttpResponse:
    permit = _permit(request, pk)
    if action not in PERMIT_FLOW or action == LicenceAction.RENEW:
        raise Http404
    form = LicenceDecisionForm(request.POST)
    if not form.is_valid():
        return _permit_page(request, permit, status=400, decision_form=form)
    try:
        licensing.decide_permit(
            permit=permit,
            officer=request.user,
            action=action,
            reason=form.cleaned_data["reason"],
            number=form.cleaned_data["number"],
        )
    except DomainError as error:
        permit.refresh_from_db()
        return refused(request, error, lambda **page: _permit_page(request, permit, **page), decision_form=form)
    messages.success(request, _("Done."))
    return redirect("registry:permit_detail", pk=pk)


@login_required
@require_POST
def permit_renew(request: SignedInRequest, pk: int) -> HttpResponse:
    permit = _permit(request, pk)
    form = RenewalForm(request.POST)
    if not form.is_valid():
        return _permit_page(request, permit, status=400, renewal_form=form)
    try:
        renewed = licensing.renew_permit(permit=permit, officer=request.user, **form.cleaned_data)
    except (DomainError, ValidationError) as error:
        _form_error(form, error)
        return _permit_page(request, permit, status=getattr(error, "http_status", 400), renewal_form=form)
    messages.success(request, _("The renewed licence is recorded."))
    return redirect("registry:permit_detail", pk=renewed.pk)


@login_required
def permit_new(request: SignedInRequest) -> HttpResponse:
    """An officer records a licence from the paper copy; an enterprise's administrator applies for one."""
    form = PermitForm(request.POST or None, user=request.user)
    lines = PermitLineFormSet(request.POST or None, prefix="line")
    status = 200
    if request.method == "POST":
        if form.is_valid() and lines.is_valid():
            data = form.cleaned_data
            values = {
                "enterprise": data["enterprise"],
                "kind": data["kind"],
                "issuer": data["issuer"],
                "valid_from": data["valid_from"],
                "valid_to": data["valid_to"],
                "activities": form.activities(),
                "lines": [line.line() for line in lines.forms if line.cleaned_data],
                "note": data["note"],
            }
            try:
                with transaction.atomic():
                    if scope_of(request.user).supervises_park(data["enterprise"].park):
                        permit = licensing.record_permit(officer=request.user, number=data["number"], **values)
                        messages.success(request, _("The licence is recorded. Verify it against the paper copy."))
                    else:
                        permit = licensing.apply_for_permit(applicant=request.user, **values)
                        messages.success(request, _("Application sent. The park's officers will decide."))
            except (DomainError, ValidationError) as error:
                _form_error(form, error)
                status = getattr(error, "http_status", 400)
            else:
                return redirect("registry:permit_detail", pk=permit.pk)
        else:
            status = 400
    return render(request, "registry/permit_form.html", {"form": form, "lines": lines}, status=status)


# --- cross-province transfer approvals ------------------------------------------------------------


def _approval(request: SignedInRequest, pk: int) -> TransferApproval:
    return get_object_or_404(
        TransferApproval.objects.visible_to(request.user).select_related(
            "consignor__park__division", "receiver__park", "waste_code", "decided_by"
        ),
        pk=pk,
    )


@login_required
def approval_list(request: SignedInRequest) -> HttpResponse:
    approvals = TransferApproval.objects.visible_to(request.user).select_related("consignor", "receiver", "waste_code")
    query = request.GET.get("q", "").strip()[:100]
    if query:
        approvals = approvals.filter(
            Q(number__icontains=query) | Q(consignor__name__icontains=query) | Q(receiver__name__icontains=query)
        )
    status = request.GET.get("status", "")
    if status in LicenceStatus.values:
        approvals = approvals.filter(status=status)
    page = page_of(request, approvals.order_by("-created_at", "-pk"))
    return render(
        request,
        "registry/approval_list.html",
        {"page": page, "query": query, "status": status, "statuses": LicenceStatus.choices},
    )


def _approval_page(request: SignedInRequest, approval: TransferApproval, *, status: int = 200, **overrides):
    supervises = scope_of(request.user).supervises_park(approval.consignor.park)
    context = {
        "approval": approval,
        "history": approval.history.select_related("history_user").order_by("-history_date", "-history_id")[:50],
        "steps": _steps(APPROVAL_FLOW, approval.status) if supervises else [],
        "decision_form": LicenceDecisionForm(),
    }
    context.update(overrides)
    return render(request, "registry/approval_detail.html", context, status=status)


@login_required
def approval_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    return _approval_page(request, _approval(request, pk))


@login_required
@require_POST
def approval_decide(request: SignedInRequest, pk: int, action: str) -> HttpResponse:
    approval = _approval(request, pk)
    if action not in APPROVAL_FLOW:
        raise Http404
    form = LicenceDecisionForm(request.POST)
    if not form.is_valid():
        return _approval_page(request, approval, status=400, decision_form=form)
    try:
        licensing.decide_approval(
            approval=approval,
            officer=request.user,
            action=action,
            reason=form.cleaned_data["reason"],
            number=form.cleaned_data["number"],
        )
    except DomainError as error:
        approval.refresh_from_db()
        return refused(request, error, lambda **page: _approval_page(request, approval, **page), decision_form=form)
    messages.success(request, _("Done."))
    return redirect("registry:approval_detail", pk=pk)


@login_required
def approval_new(request: SignedInRequest) -> HttpResponse:
    """An officer of the consignor's park records an approval; the consignor's administrator applies."""
    form = ApprovalForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            number = data.pop("number")
            try:
                with transaction.atomic():
                    if scope_of(request.user).supervises_park(data["consignor"].park):
                        approval = licensing.record_approval(officer=request.user, number=number, **data)
                    else:
                        approval = licensing.apply_for_approval(applicant=request.user, **data)
            except (DomainError, ValidationError) as error:
                _form_error(form, error)
                status = getattr(error, "http_status", 400)
            else:
                messages.success(request, _("Saved."))
                return redirect("registry:approval_detail", pk=approval.pk)
        else:
            status = 400
    return render(request, "registry/approval_form.html", {"form": form}, status=status)
