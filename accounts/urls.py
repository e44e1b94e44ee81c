from django.contrib.auth.decorators import login_not_required
from django.urls import path
from mozilla_django_oidc.views import (  # type: ignore[import-untyped]  # no type hints
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("tokens/", views.token_page, name="tokens"),
    path("tokens/<int:pk>/revoke", views.token_revoke, name="token-revoke"),
    # Single sign-on (accounts.oidc): off (404) unless INITSCOPE_OIDC_CLIENT_ID is set.
    path(
        "oidc/authenticate/", login_not_required(views.sso(OIDCAuthenticationRequestView)), name="oidc-start"
    ),
    path(
        "oidc/callback/", login_not_required(views.sso(OIDCAuthenticationCallbackView)), name="oidc-callback"
    ),
]
