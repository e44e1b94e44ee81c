"""The product's own error pages, with DEBUG on too.

Django answers a 404 with its technical page while DEBUG is on (the URL patterns it tried, a hint to turn
DEBUG off), even to a visitor who is not signed in; `make demo` runs with DEBUG=1. `ErrorPagesMiddleware`
answers every 404 of a page with `404.html` instead: a view's `Http404` (its message is shown: it is
written for the user) and an address no URL pattern matches. JSON 404s of the API are the API's own and
pass through. Without DEBUG, Django calls `not_found` (`handler404`) and `server_error` (`handler500`,
`500.html`, no details) itself. A server error with DEBUG on keeps Django's traceback page: DEBUG is for
development only (.env.example).
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseServerError
from django.template import loader
from django.utils.deprecation import MiddlewareMixin
from django.views.decorators.csrf import requires_csrf_token


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """`404.html` with the reason when it is a sentence (a view's `Http404("No Pod with this uid…")`), never
    the resolver's internals (the patterns it tried)."""
    message = exception.args[0] if exception is not None and exception.args else ""
    context = {"request_path": request.path, "exception": message if isinstance(message, str) else ""}
    return HttpResponseNotFound(loader.render_to_string("404.html", context, request))


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """`500.html`, rendered without the request's context (the error may lie there): no details."""
    return HttpResponseServerError(loader.render_to_string("500.html"))


class ErrorPagesMiddleware(MiddlewareMixin):
    """With DEBUG on, the product's 404 page instead of Django's technical one (see the module)."""

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if settings.DEBUG and isinstance(exception, Http404):
            return not_found(request, exception)
        return None

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        unmatched = getattr(request, "resolver_match", None) is None  # no URL pattern took the request
        html = response.get("Content-Type", "").startswith("text/html")
        if settings.DEBUG and response.status_code == 404 and unmatched and html:
            return not_found(request)
        return response
