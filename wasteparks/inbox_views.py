"""Inbox pages: a user's notifications, the unread badge in the header, mark read, mail preferences.

Everything here is the signed-in user's own: every query goes through `Notification.objects.of_user`,
so another user's notification is a 404.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import inbox
from .forms import BootstrapFormMixin
from .lists import page_of
from .models import Notification, NotificationKind
from .pages import SignedInRequest

app_name = "inbox"

# The badge shows at most this; beyond it "99+".
BADGE_MAX = 99


@login_required
def inbox_list(request: SignedInRequest) -> HttpResponse:
    """The user's notifications, newest first, unread ones marked; `?unread=1` shows only those."""
    notifications = Notification.objects.of_user(request.user)
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        notifications = notifications.unread()
    return render(
        request,
        "wasteparks/inbox.html",
        {
            "page": page_of(request, notifications.order_by("-created_at", "-id")),
            "only_unread": only_unread,
            "unread": Notification.objects.of_user(request.user).unread().count(),
        },
    )


@login_required
def badge(request: SignedInRequest) -> HttpResponse:
    """The header's unread count (polled by htmx, so the pages themselves run no query for it)."""
    unread = Notification.objects.of_user(request.user).unread()[: BADGE_MAX + 1].count()
    return render(request, "wasteparks/_inbox_badge.html", {"unread": unread, "more": unread > BADGE_MAX})


@login_required
@require_POST
def open_notification(request: SignedInRequest, pk: int) -> HttpResponse:
    """Mark one notification read and go to what it is about (or back to the inbox)."""
    try:
        notification = inbox.mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404 from None
    if request.POST.get("stay") or not notification.link:
        return redirect("inbox:list")
    # Links are written by the platform; still, never send a user off-site.
    if not url_has_allowed_host_and_scheme(notification.link, allowed_hosts={request.get_host()}):
        return redirect("inbox:list")
    return redirect(notification.link)


@login_required
@require_POST
def read_all(request: SignedInRequest) -> HttpResponse:
    marked = inbox.mark_all_read(user=request.user)
    messages.success(request, _("%(count)d notifications marked as read.") % {"count": marked})
    return redirect("inbox:list")


class MailPreferencesForm(BootstrapFormMixin, forms.Form):
    """One checkbox per kind of notification: mail it to me as well."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in NotificationKind.choices:
            self.fields[kind] = forms.BooleanField(label=label, required=False)


@login_required
def preferences(request: SignedInRequest) -> HttpResponse:
    """Which kinds of notification also come by mail (all of them unless switched off)."""
    form = MailPreferencesForm(request.POST or None, initial=inbox.mail_preferences(user=request.user))
    if request.method == "POST" and form.is_valid():
        inbox.set_mail_preferences(user=request.user, by_mail=form.cleaned_data)
        messages.success(request, _("Your mail preferences are saved."))
        return redirect("inbox:preferences")
    return render(request, "wasteparks/inbox_preferences.html", {"form": form})


urlpatterns = [
    path("", inbox_list, name="list"),
    path("badge/", badge, name="badge"),
    path("<int:pk>/open/", open_notification, name="open"),
    path("read-all/", read_all, name="read_all"),
    path("preferences/", preferences, name="preferences"),
]
