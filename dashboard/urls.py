from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required, login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.views import SignInView
from dashboard.health import healthz, readyz
from pods.signals.metrics import metrics_view

schema_view = SpectacularAPIView.as_view()


# The schema needs an authenticated user like the rest of the API (SPECTACULAR_SETTINGS'
# SERVE_PERMISSIONS: session or token, 401 without). `login_not_required` only keeps the page-login
# middleware from redirecting token clients (it knows session users only): DRF checks instead.
@login_not_required
def api_schema(request: HttpRequest) -> HttpResponse:
    """The OpenAPI document (YAML; JSON on `Accept: application/json`); a browser opening it (HTML first
    in its Accept header) is sent to the readable page, Swagger UI, instead."""
    wants_page = request.headers.get("Accept", "").split(",")[0].strip().lower() == "text/html"
    if wants_page and "format" not in request.GET:
        return redirect("api-docs")
    return schema_view(request)


urlpatterns = [
    path("login/", SignInView.as_view(), name="login"),  # passwords and single sign-on (accounts.views)
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/schema/", api_schema, name="api-schema"),
    # A page: a signed-out browser is sent to the login (DRF views opt out of the login middleware and
    # would answer 401). Swagger UI's files are our own static files (drf-spectacular-sidecar).
    path(
        "api/schema/ui/",
        login_required(SpectacularSwaggerView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("api/v1/", include("pods.api.urls")),
    path("", include("accounts.urls")),  # /tokens/: the signed-in user's API tokens
    # Prometheus (docs/signals.md): a bearer token, not a session; 403 while INITSCOPE_METRICS_TOKEN is unset.
    path("metrics", metrics_view, name="metrics"),
    # Probes (dashboard/health.py; answered first by its ProbeMiddleware): no sign-in, nothing sensitive.
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("", include("alerts.urls")),
    path("favicon.ico", login_not_required(RedirectView.as_view(url=static("app/img/favicon.svg")))),
    path("", include("pods.web.urls")),
]

handler404 = "dashboard.errors.not_found"
handler500 = "dashboard.errors.server_error"
