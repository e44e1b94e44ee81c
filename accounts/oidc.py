"""Single sign-on with OpenID Connect (mozilla-django-oidc does the code flow; docs/operations.md
"Single sign-on"). A user is found by the claim INITSCOPE_OIDC_USERNAME_CLAIM (their Initscope user name),
created on first sign-in without a usable password, and at every sign-in their Django groups become
exactly the groups named by INITSCOPE_OIDC_GROUPS_CLAIM (created when new), so grants to a group
(access/) follow the provider."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from mozilla_django_oidc.auth import OIDCAuthenticationBackend  # type: ignore[import-untyped]  # no type hints

MAX_NAME = 150


def username_of(claims: dict[str, Any]) -> str:
    value = claims.get(settings.INITSCOPE_OIDC_USERNAME_CLAIM)
    return value.strip()[:MAX_NAME] if isinstance(value, str) else ""


def groups_of(claims: dict[str, Any]) -> list[str]:
    """The group names of the groups claim: a list of names (or one name); anything else is none."""
    value = claims.get(settings.INITSCOPE_OIDC_GROUPS_CLAIM)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return sorted({v.strip()[:MAX_NAME] for v in value if isinstance(v, str) and v.strip()})


class GroupsBackend(OIDCAuthenticationBackend):
    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(username_of(claims))

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        return self.UserModel.objects.filter(username=username_of(claims))

    def describe_user_by_claims(self, claims: dict[str, Any]) -> str:
        return f"user name {username_of(claims)!r}"

    def create_user(self, claims: dict[str, Any]) -> Any:
        user = self.UserModel.objects.create_user(username_of(claims), email=claims.get("email") or "")
        user.set_unusable_password()
        user.save(update_fields=["password"])
        return self.update_user(user, claims)

    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        email = claims.get("email")
        if isinstance(email, str) and email != user.email:
            user.email = email
            user.save(update_fields=["email"])
        user.groups.set([Group.objects.get_or_create(name=name)[0] for name in groups_of(claims)])
        return user
