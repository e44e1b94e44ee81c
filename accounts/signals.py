"""What writes to the audit log without being asked: sign-ins, their failures and sign-outs (Django's
auth signals), and any change of a model labelled `access.Grant` (saved or deleted, from the admin, a
command or the shell) when such a model is installed; accounts does not import it. The user who changed a
grant is the one of the request in progress (accounts.middleware), none from a command."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save

from accounts import audit
from accounts.middleware import current_request
from accounts.models import AuditEvent

GRANT_MODEL = ("access", "Grant")


def connect() -> None:
    user_logged_in.connect(_signed_in, dispatch_uid="accounts.audit.sign-in")
    user_login_failed.connect(_sign_in_failed, dispatch_uid="accounts.audit.sign-in-failed")
    user_logged_out.connect(_signed_out, dispatch_uid="accounts.audit.sign-out")
    try:
        grant = apps.get_model(*GRANT_MODEL)
    except LookupError:
        return
    post_save.connect(_grant_saved, sender=grant, dispatch_uid="accounts.audit.grant-saved")
    post_delete.connect(_grant_deleted, sender=grant, dispatch_uid="accounts.audit.grant-deleted")


def _signed_in(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    backend = getattr(user, "backend", "") or ""
    audit.record(user, AuditEvent.SIGN_IN, "", {"backend": backend}, request=request)


def _sign_in_failed(sender: Any, credentials: dict | None = None, request: Any = None, **kwargs: Any) -> None:
    # Django has already masked the password in `credentials`; only the name is kept.
    name = str((credentials or {}).get("username") or "")
    audit.record(name, AuditEvent.SIGN_IN_FAILED, name, {}, request=request)


def _signed_out(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    audit.record(user, AuditEvent.SIGN_OUT, "", {}, request=request)


def _grant_saved(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    _grant_changed(AuditEvent.GRANT_SAVED, instance, {"created": created})


def _grant_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    _grant_changed(AuditEvent.GRANT_DELETED, instance, {})


def _grant_changed(action: str, instance: Any, detail: dict[str, Any]) -> None:
    request = current_request()
    actor = getattr(request, "user", None)
    detail = {**detail, "id": instance.pk, "via": "web" if request is not None else "command"}
    audit.record(actor, action, str(instance), detail, request=request)
