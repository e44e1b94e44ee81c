"""Celery tasks of the alerts (queue `default`).

- `evaluate()` (beat, every INITSCOPE_ALERT_EVALUATE_SECONDS): `alerts.evaluate.evaluate`.
- `send(notification_id)`: one outbox row (`alerts.outbox.send`); after a failure it queues itself again
  after the back-off (the row's `next_attempt_at` says when, so the sweep does too if this copy is lost).
- `sweep()` (beat, every INITSCOPE_ALERT_SWEEP_SECONDS): queue the pending rows that are due and not held.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from celery import shared_task

from alerts import outbox
from alerts.evaluate import evaluate as evaluate_rules

log = logging.getLogger(__name__)


@shared_task(name="alerts.tasks.evaluate", ignore_result=True)
def evaluate() -> dict[str, int]:
    result = evaluate_rules()
    if result.opened or result.resolved:
        log.info("alerts: %s", result)
    return {"opened": result.opened, "resolved": result.resolved, "notifications": result.notifications}


# acks_late: a copy redelivered after a crash finds the row sent (or held) and does nothing.
@shared_task(name="alerts.tasks.send", acks_late=True, ignore_result=True)
def send(notification_id: int) -> str:
    outcome = outbox.send(notification_id)
    if outcome.result == "retry":
        outbox.queue([notification_id], countdown=outcome.countdown)
    return outcome.result


@shared_task(name="alerts.tasks.sweep", ignore_result=True)
def sweep() -> int:
    ids = outbox.due(datetime.now(UTC))
    if ids:
        log.info("alerts: sweeping %d pending notification(s)", len(ids))
    return outbox.queue(ids)
