"""The scope of a user, from their grants and their groups' (superusers: everything), computed once per
request or socket."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from access.models import Grant
from access.scope import EVERYTHING, NOTHING, Scope, reach_of


def scope_for(user: Any) -> Scope:
    """What `user` may read: everything for an active superuser, nothing for anyone not signed in or
    inactive, else the union of their grants and their groups' grants."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    if user.is_superuser:
        return EVERYTHING
    rows = list(
        Grant.objects.filter(Q(user=user) | Q(group__in=user.groups.all())).values_list(
            "cluster", "namespaces", "logs"
        )
    )
    return Scope(
        read=reach_of((cluster, namespaces or None) for cluster, namespaces, _ in rows),
        logs=reach_of((cluster, namespaces or None) for cluster, namespaces, logs in rows if logs),
    )


_CACHE = "_initscope_access_scope"


def scope_of(request: Any) -> Scope:
    """The scope of the request's user (a Django or a DRF request: DRF authenticates tokens itself),
    computed once per request."""
    user = getattr(request, "user", None)
    cached = getattr(request, _CACHE, None)
    if cached is not None and cached[0] is user:
        return cached[1]
    scope = scope_for(user)
    setattr(request, _CACHE, (user, scope))
    return scope
