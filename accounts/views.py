"""The sign-in page (passwords and single sign-on) and the Tokens page (`/tokens/`): the signed-in
user's API tokens: make one (its key shown once, on the answer to the form), list them, revoke one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import LoginView
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts import api_tokens
from accounts.models import ApiToken


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses it, e.g. “grafana” or “ci”.")
    days = forms.IntegerField(min_value=1, initial=90, label="Expires in (days)")

    def clean_days(self) -> int:
        days = self.cleaned_data["days"]
        if days > settings.INITSCOPE_TOKEN_MAX_DAYS:
            raise forms.ValidationError(f"At most {settings.INITSCOPE_TOKEN_MAX_DAYS} days.")
        return days


@require_http_methods(["GET", "POST"])
def token_page(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    new_key = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            expires_at = timezone.now() + timedelta(days=form.cleaned_data["days"])
            try:
                _, new_key = api_tokens.create(
                    request.user, form.cleaned_data["name"], expires_at, request=request
                )
            except api_tokens.TokenError as exc:
                form.add_error(None, str(exc))
        if not new_key:
            status = 400
        else:
            form = TokenForm()
    context = {
        "nav": "tokens",
        "form": form,
        "new_key": new_key,
        "tokens": ApiToken.objects.filter(user_id=request.user.pk or 0),
        "now": timezone.now(),
        "max_days": settings.INITSCOPE_TOKEN_MAX_DAYS,
    }
    response = render(request, "accounts/tokens.html", context, status=status)
    if new_key:
        response["Cache-Control"] = "no-store"  # the key is on this page once
    return response


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user_id=request.user.pk)
    if api_tokens.revoke(token, actor=request.user, request=request):
        messages.success(request, f"Token {token.name} revoked.")
    return redirect("accounts:tokens")


class SignInView(LoginView):
    """Django's sign-in page, with the single sign-on button when it is on; a password POST is refused
    (403) while INITSCOPE_LOCAL_PASSWORDS=0."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.INITSCOPE_LOCAL_PASSWORDS:
            return HttpResponseForbidden("Sign-in with a password is off here: use single sign-on.")
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs) | {
            "sso": bool(settings.INITSCOPE_OIDC_CLIENT_ID),
            "local_passwords": settings.INITSCOPE_LOCAL_PASSWORDS,
            "sso_failed": self.request.GET.get("sso") == "failed",
        }


def sso(view_class: Any) -> Callable[..., HttpResponse]:
    """One of mozilla-django-oidc's views, or a 404 while single sign-on is off (its settings unset)."""
    view = view_class.as_view()

    def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.INITSCOPE_OIDC_CLIENT_ID:
            raise Http404("single sign-on is not configured")
        return view(request, *args, **kwargs)

    return answer
