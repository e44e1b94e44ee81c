"""The outbox: each `Notification` row is sent at least once, whatever dies when.

The evaluation writes the rows in its transaction and `queue`s them after commit (Celery task
`alerts.tasks.send`). `send` claims a row (`claimed_until`, INITSCOPE_ALERT_CLAIM_SECONDS ahead, so two
copies never post at once), posts it, and marks it sent; a failure (connection error, timeout, 5xx, 408,
429) schedules the next attempt with exponential back-off (`next_attempt_at`), up to `MAX_ATTEMPTS`; any
other answer (a 4xx: the receiver refuses the message itself) fails it for good. `sweep` (beat) queues
every pending row that is due and not held: a row whose task was lost (the broker down at commit, a worker
killed between commit and send, or while posting) is sent by the next sweep. A receiver sees the same
notification id (`X-Initscope-Notification`, `Idempotency-Key`, the body's `id`) and alert ids on every
copy, so it can drop a repeat.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import urllib3
from django.conf import settings
from django.db.models import Q

from alerts import messages
from alerts.models import Notification

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 20  # 5 s, 10 s, 20 s ... then every 5 min: about 70 minutes in all
RETRY_BASE_SECONDS = 5
RETRY_MAX_SECONDS = 300
SWEEP_GRACE = timedelta(seconds=5)  # a row just due is its own task's first (on commit, or after back-off)
SWEEP_LIMIT = 500
RETRIED_STATUSES = frozenset({408, 429})
SIGNATURE_HEADER = "X-Initscope-Signature"
_http = urllib3.PoolManager(retries=False)


@dataclass(frozen=True, slots=True)
class Outcome:
    result: str  # sent | retry | failed | skipped
    countdown: float = 0.0


def backoff(attempts: int) -> float:
    """Seconds before the next attempt after `attempts` failed ones."""
    return float(min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS))


def target(notification: Notification) -> tuple[str, str, str] | None:
    """(kind, url, HMAC key) of the notification's receiver, or None when it no longer has one."""
    receiver = notification.receiver
    if receiver is None:
        url = settings.INITSCOPE_ALERT_WEBHOOK_URL
        return (messages.WEBHOOK, url, settings.INITSCOPE_ALERT_WEBHOOK_SECRET) if url else None
    if not receiver.enabled:
        return None
    return receiver.kind, receiver.url, receiver.secret if receiver.kind == messages.WEBHOOK else ""


def signature(secret: str, body: bytes) -> str:
    """The signature header's value: `sha256=` and the hex HMAC-SHA256 of the body under `secret`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def claim(notification_id: int, now: datetime) -> bool:
    """Hold a pending row for one sender (True), unless it is sent, failed or held by another."""
    held = now + timedelta(seconds=settings.INITSCOPE_ALERT_CLAIM_SECONDS)
    return bool(
        Notification.objects.filter(id=notification_id, status=Notification.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=held)
    )


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[bool, bool, str]:
    """POST `body`: (delivered, worth retrying, what went wrong)."""
    timeout = min(10.0, settings.INITSCOPE_ALERT_CLAIM_SECONDS / 2)
    try:
        response = _http.request("POST", url, body=body, headers=headers, timeout=timeout, redirect=False)
    except urllib3.exceptions.HTTPError as exc:
        return False, True, f"{type(exc).__name__}: {exc}"[:500]
    status = response.status
    if 200 <= status < 300:
        return True, False, ""
    text = response.data[:300].decode(errors="replace")
    return False, status >= 500 or status in RETRIED_STATUSES, f"HTTP {status}: {text}"


def send(notification_id: int, now: datetime | None = None) -> Outcome:
    """Send one outbox row if it is still pending and nobody holds it."""
    now = now or datetime.now(UTC)
    if not claim(notification_id, now):
        return Outcome("skipped")
    notification = Notification.objects.select_related("receiver").get(id=notification_id)
    found = target(notification)
    attempts = notification.attempts + 1
    if found is None:
        delivered, retry, error = False, False, "no receiver: disabled, removed or unset"
    else:
        kind, url, secret = found
        url, body = messages.render(
            kind, url, notification.document, list_pods=settings.INITSCOPE_ALERT_LIST_PODS
        )
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "initscope-alerts/1",
            "X-Initscope-Notification": str(notification.uid),
            "Idempotency-Key": str(notification.uid),
        }
        if secret:
            headers[SIGNATURE_HEADER] = signature(secret, body)
        delivered, retry, error = post(url, body, headers)
    done = datetime.now(UTC)
    rows = Notification.objects.filter(id=notification_id, status=Notification.PENDING)
    if delivered:
        rows.update(
            status=Notification.SENT, sent_at=done, attempts=attempts, claimed_until=None, last_error=""
        )
        return Outcome("sent")
    if retry and attempts < MAX_ATTEMPTS:
        countdown = backoff(attempts)
        rows.update(
            attempts=attempts,
            last_error=error,
            claimed_until=None,
            next_attempt_at=done + timedelta(seconds=countdown),
        )
        log.warning(
            "alert notification %s not delivered (%s); retrying in %ss", notification.uid, error, countdown
        )
        return Outcome("retry", countdown)
    rows.update(status=Notification.FAILED, attempts=attempts, last_error=error, claimed_until=None)
    log.error("alert notification %s failed for good: %s", notification.uid, error)
    return Outcome("failed")


def due(now: datetime) -> list[int]:
    """Pending rows that are due, not held, and past the grace of their on-commit task."""
    return list(
        Notification.objects.filter(status=Notification.PENDING, next_attempt_at__lte=now - SWEEP_GRACE)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:SWEEP_LIMIT]
    )


def queue(ids: Iterable[int], countdown: float = 0.0) -> int:
    """Queue `alerts.tasks.send` for each row (after commit); a broker error is logged: the sweep sends it."""
    from alerts.tasks import send as send_task  # the tasks import this module

    queued = 0
    for notification_id in ids:
        try:
            send_task.apply_async((notification_id,), countdown=countdown or None)
            queued += 1
        except Exception:  # noqa: BLE001 - the broker may be down: the sweep will send it
            log.exception("could not queue alert notification %s; the sweep will", notification_id)
    return queued


__all__ = ["Outcome", "backoff", "claim", "due", "queue", "send", "signature", "target"]
