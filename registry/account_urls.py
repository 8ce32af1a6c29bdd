"""Account pages reachable before the second sign-in step (all under /accounts/, see registry.signin)."""

from django.urls import path

from . import account_views

urlpatterns = [
    path("signup/", account_views.sign_up, name="sign_up"),
    path("signup/verify/<str:uidb64>/<str:token>/", account_views.sign_up_verify, name="sign_up_verify"),
    path("invitations/<str:token>/", account_views.invitation_accept, name="invitation_accept"),
    path("two-factor/", account_views.second_factor, name="second_factor"),
    path("two-factor/recovery-codes/", account_views.recovery_codes, name="second_factor_recovery_codes"),
    path("two-factor/remove/", account_views.second_factor_remove, name="second_factor_remove"),
    path("security/", account_views.account_security, name="account_security"),
]
