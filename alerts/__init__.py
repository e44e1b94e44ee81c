"""Alert notifications (docs/signals.md "Alerts"): rules stored in the database, evaluated by beat over the
engine's verdicts and the reports, alerts deduplicated per rule × Pod (or × workload), grouped into
notifications written to an outbox in the same transaction and sent by Celery tasks after commit.

- `models`: `Rule`, `Receiver`, `Alert`, `Notification` (the outbox).
- `conditions`: what holds now for each rule (reads `pods.selectors` and `pods.reports`).
- `evaluate`: opens, keeps and resolves alerts; writes the grouped notifications.
- `messages`: each receiver's payload (pure): generic JSON, Slack, Alertmanager.
- `outbox`: claims, sends (HMAC signature), retries with back-off, the sweep.
- `tasks`: the Celery tasks; `views`, `api`: the alerts page and `GET /api/v1/alerts`.
"""
