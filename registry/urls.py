"""Registry pages: enterprises (list, application, officers' decisions, resubmission) and permits."""

from django.urls import path

from . import account_views, licence_views, views

app_name = "registry"
urlpatterns = [
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/apply/", views.enterprise_apply, name="enterprise_apply"),
    # The enterprise page is reporting:enterprise_detail; its old address redirects there for good.
    path("enterprises/<int:pk>/", views.enterprise_moved, name="enterprise_detail"),
    # Before the officers' decisions, whose pattern would take "resubmit" for an action.
    path("enterprises/<int:pk>/resubmit/", views.enterprise_resubmit, name="enterprise_resubmit"),
    path("enterprises/<int:pk>/class/", views.enterprise_class, name="enterprise_class"),
    # An enterprise administrator's members and invitations; before the decisions' catch-all pattern too.
    path("enterprises/<int:pk>/members/", account_views.member_list, name="member_list"),
    path("enterprises/<int:pk>/members/<int:membership_pk>/remove/", account_views.member_remove, name="member_remove"),
    path(
        "enterprises/<int:pk>/invitations/<int:invitation_pk>/revoke/",
        account_views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("enterprises/<int:pk>/<str:action>/", views.enterprise_decide, name="enterprise_decide"),
    path("permits/", views.permit_list, name="permit_list"),
    path("permits/new/", licence_views.permit_new, name="permit_new"),
    path("permits/<int:pk>/", licence_views.permit_detail, name="permit_detail"),
    path("permits/<int:pk>/renew/", licence_views.permit_renew, name="permit_renew"),
    path("permits/<int:pk>/<str:action>/", licence_views.permit_decide, name="permit_decide"),
    path("approvals/", licence_views.approval_list, name="approval_list"),
    path("approvals/new/", licence_views.approval_new, name="approval_new"),
    path("approvals/<int:pk>/", licence_views.approval_detail, name="approval_detail"),
    path("approvals/<int:pk>/<str:action>/", licence_views.approval_decide, name="approval_decide"),
    # Officers' view of the accounts of their parks' enterprises, and the login audit.
    path("accounts/", account_views.account_list, name="account_list"),
    path("accounts/<int:pk>/disable/", account_views.account_disable, name="account_disable"),
    path("accounts/<int:pk>/enable/", account_views.account_enable, name="account_enable"),
    path("login-audit/", account_views.login_audit, name="login_audit"),
]
