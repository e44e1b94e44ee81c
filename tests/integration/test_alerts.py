"""Alerts in-process: the engine's verdicts on ingested Pods open one alert per rule × Pod, grouped into one
message per receiver; repeats, resolves, rules switched off, no receiver; the outbox's retries against a
local receiver that fails and recovers; workload rules over the init-containers report; the page and the
API (alerts/, docs/signals.md "Alerts")."""

from __future__ import annotations

import hashlib
import hmac
import importlib
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from alerts import outbox
from alerts.conditions import Finding
from alerts.evaluate import Evaluation, apply, evaluate
from alerts.models import Alert, Notification, Receiver, Rule
from pods.ingest import WatchItem, ingest_batch
from pods.models import Cluster
from pods.reports import rollup_build
from tests.builders import (
    ago,
    crash_loop_sequence,
    initialized_conditions,
    pod,
    rebased,
    running,
    terminated,
)
from tests.webhooks import webhook_receivers as webhook_receivers  # a fixture

pytestmark = [pytest.mark.django_db]
_names = itertools.count()
SECRET = "hmac-key-for-tests"


def uid(n: int) -> str:
    return f"6f0c2a1e-3b7d-4c55-9a40-{n:012d}"


def ingest(cluster: Cluster, objs: list[dict], kind: str = "MODIFIED") -> None:
    for obj in objs:
        ingest_batch(cluster=cluster, items=[WatchItem("pod", obj, kind)])


def crash_looping(cluster: Cluster, n: int, *, base: datetime) -> None:
    """Pod `n` of Deployment `api`: `migrate` failed four times, in CrashLoopBackOff."""
    ingest(cluster, rebased(crash_loop_sequence(uid=uid(n), name=f"api-7d9f8c6b5-p{n}"), base))


def ready(cluster: Cluster, n: int, *, base: datetime, migrate_seconds: int = 27) -> None:
    """Pod `n` of Deployment `api` Ready after `migrate` ran `migrate_seconds` once."""
    end = 13 + migrate_seconds
    obj = pod(
        rv=900,
        uid=uid(n),
        name=f"api-7d9f8c6b5-p{n}",
        phase="Running",
        conditions=initialized_conditions(1, end, end + 5),
        init_statuses=[terminated("db", 0, 3, 10), terminated("migrate", 0, 13, end)],
        statuses=[running("app", end + 1, ready=True)],
    )
    ingest(cluster, [rebased(obj, base)])


@pytest.fixture
def watched():
    return Cluster.objects.create(name=f"prod-{next(_names)}", watched=True)


@pytest.fixture
def only(db):
    """No rule but those a test makes (the default rules stay out of its way)."""
    Rule.objects.all().delete()


@pytest.fixture
def webhook(settings, webhook_receivers):
    receiver = webhook_receivers()
    settings.INITSCOPE_ALERT_WEBHOOK_URL = f"{receiver.url}/hook"
    settings.INITSCOPE_ALERT_WEBHOOK_SECRET = SECRET
    settings.INITSCOPE_PUBLIC_URL = "https://initscope.example.org/"
    return receiver


def send_all() -> list[str]:
    return [outbox.send(n).result for n in Notification.objects.order_by("id").values_list("id", flat=True)]


def test_the_default_rules_are_made_by_the_migration():
    """The migration's own step, run as `migrate` runs it (with the models as of that migration): a
    transactional test that ran earlier in this process flushed the rows `migrate` made."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations import RunPython

    migration = importlib.import_module("alerts.migrations.0001_initial")
    steps = [op.code for op in migration.Migration.operations if isinstance(op, RunPython)]
    assert steps == [migration.default_rules]
    Rule.objects.all().delete()
    migration.default_rules(MigrationLoader(connection).project_state(("alerts", "0001_initial")).apps, None)
    kinds = dict(Rule.objects.values_list("name", "kind"))
    assert kinds["Init container crash loop"] == "crash-loop"
    assert kinds["Image cannot be pulled"] == "pod-stuck"
    assert {"failure-rate", "p95-up"} <= set(kinds.values())
    assert Rule.objects.filter(enabled=False).count() == 0


def test_a_rollout_in_a_crash_loop_is_one_alert_per_pod_in_one_message(only, watched, webhook):
    rule = Rule.objects.create(name="crash", kind=Rule.CRASH_LOOP, attempts=4)
    for n in range(3):
        crash_looping(watched, n, base=ago(300))
    result = evaluate()
    assert (result.opened, result.notifications) == (3, 1)
    assert evaluate().opened == 0  # deduplicated: one open alert per rule × Pod
    assert Alert.objects.filter(rule=rule, status="open").count() == 3
    assert send_all() == ["sent"]
    (got,) = webhook.received()
    body = got.body
    expected = hmac.new(SECRET.encode(), got.raw, hashlib.sha256).hexdigest()
    assert got.headers["x-initscope-signature"] == f"sha256={expected}"
    assert got.headers["idempotency-key"] == body["id"]
    assert body["status"] == "firing" and body["rule"] == {"name": "crash", "kind": "crash-loop"}
    assert [a["pod"]["name"] for a in body["alerts"]] == [f"api-7d9f8c6b5-p{n}" for n in range(3)]
    first = body["alerts"][0]
    assert first["cluster"] == watched.name and first["namespace"] == "shop"
    assert first["container"] == "migrate" and first["cause"] == "crash-loop"
    assert first["diagnosis"].startswith("init container `migrate` exits 1 (Error), 4 attempts")
    assert first["url"] == f"https://initscope.example.org/pods/{uid(0)}/"
    assert {a["id"] for a in body["alerts"]} == {str(a.uid) for a in Alert.objects.filter(rule=rule)}

    # one Pod gets past it: its alert (only) is resolved, in a message of its own
    ready(watched, 1, base=ago(300))
    result = evaluate()
    assert (result.opened, result.resolved, result.kept) == (0, 1, 2)
    assert send_all() == ["skipped", "sent"]  # the first is sent already
    resolved = webhook.received()[1].body
    assert resolved["status"] == "resolved" and len(resolved["alerts"]) == 1
    assert resolved["alerts"][0]["pod"]["uid"] == uid(1) and resolved["alerts"][0]["ends_at"]


def test_a_recording_never_alerts_and_without_a_receiver_alerts_still_open(only, watched, settings):
    settings.INITSCOPE_ALERT_WEBHOOK_URL = ""
    Rule.objects.create(name="crash", kind=Rule.CRASH_LOOP, attempts=2)
    recorded = Cluster.objects.create(name="recorded", watched=False)
    crash_looping(recorded, 7, base=ago(300))
    crash_looping(watched, 8, base=ago(300))
    assert evaluate().opened == 1
    assert Alert.objects.get().pod_uid == uid(8)
    assert Notification.objects.count() == 0


def test_stuck_longer_than_t_per_cause_and_a_rule_switched_off_resolves(only, watched, webhook):
    too_soon = Rule.objects.create(name="crash 1h", kind=Rule.POD_STUCK, cause="crash-loop", for_seconds=3600)
    other = Rule.objects.create(name="pulls", kind=Rule.POD_STUCK, cause="image-pull", for_seconds=0)
    rule = Rule.objects.create(name="crash 1m", kind=Rule.POD_STUCK, cause="crash-loop", for_seconds=60)
    crash_looping(watched, 1, base=ago(300))
    assert evaluate().opened == 1
    assert Alert.objects.get().rule == rule
    assert not Alert.objects.filter(rule__in=[too_soon, other]).exists()
    rule.enabled = False
    rule.save()
    assert evaluate().resolved == 1
    assert list(Notification.objects.order_by("id").values_list("event", flat=True)) == ["firing", "resolved"]


def _finding(n: int) -> Finding:
    return Finding(
        subject=f"pod:prod/{uid(n)}",
        group_key="prod/web/Deployment/web/image-pull/app",
        cluster="prod",
        namespace="web",
        workload_kind="Deployment",
        workload="web",
        cause="image-pull",
        summary='image "acme/web:<bad>" cannot be pulled: not found',
        since=datetime.now(UTC) - timedelta(minutes=5),
        pod_uid=uid(n),
        pod_name=f"web-5d8c-{n:03d}",
        container="app",
    )


def test_two_hundred_pods_stuck_on_one_cause_send_one_message_per_receiver(only, webhook, webhook_receivers):
    slack = webhook_receivers()
    Receiver.objects.create(name="slack", kind=Receiver.SLACK, url=f"{slack.url}/services/T/B/X")
    rule = Rule.objects.create(name="pulls", kind=Rule.POD_STUCK, cause="image-pull")
    findings = {f.subject: f for f in map(_finding, range(200))}
    apply(rule, findings, datetime.now(UTC), result := Evaluation())
    assert (result.opened, result.notifications) == (200, 2)
    assert send_all() == ["sent", "sent"]
    (hook,), (message,) = webhook.received(), slack.received()
    assert len(hook.body["alerts"]) == 200
    text = message.body["text"]
    assert "200 Pods of Deployment/web in prod/web" in text
    assert text.count("\n• ") == 10 and text.count("web-5d8c-") == 10
    assert "… and 190 more" in text
    assert "acme/web:&lt;bad&gt;" in text and "<bad>" not in text  # a cluster string cannot make a link


def test_the_outbox_retries_with_back_off_and_delivers_once(only, watched, webhook):
    Rule.objects.create(name="crash", kind=Rule.CRASH_LOOP, attempts=2)
    crash_looping(watched, 3, base=ago(300))
    evaluate()
    (notification,) = Notification.objects.all()
    webhook.fail_next(2, status=500)
    first = outbox.send(notification.id)
    assert (first.result, first.countdown) == ("retry", 5.0)
    now = datetime.now(UTC)
    assert outbox.due(now) == []  # not yet due
    assert outbox.due(now + timedelta(seconds=11)) == [notification.id]  # due, and past the grace
    assert outbox.send(notification.id).result == "retry"
    notification.refresh_from_db()
    assert (notification.attempts, notification.status, notification.last_error[:8]) == (
        2,
        "pending",
        "HTTP 500",
    )
    assert notification.next_attempt_at - now > timedelta(seconds=9)
    assert outbox.send(notification.id).result == "sent"
    assert outbox.send(notification.id).result == "skipped"
    assert webhook.failed == 2 and len(webhook.received()) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 3)


def test_alertmanager_receivers_get_open_alerts_again_before_they_expire(
    only, watched, webhook, webhook_receivers
):
    manager = webhook_receivers()
    Receiver.objects.create(name="am", kind=Receiver.ALERTMANAGER, url=manager.url)
    Rule.objects.create(name="crash", kind=Rule.CRASH_LOOP, attempts=2)
    crash_looping(watched, 6, base=ago(300))
    now = datetime.now(UTC)
    assert evaluate(now).notifications == 2  # the webhook and Alertmanager
    assert evaluate(now + timedelta(minutes=19)).notifications == 0
    assert evaluate(now + timedelta(minutes=21)).notifications == 1  # Alertmanager only
    assert send_all() == ["sent"] * 3
    first, again = (r.body[0] for r in manager.received())
    assert first["labels"] == again["labels"] and again["startsAt"] == first["startsAt"]
    assert again["endsAt"] > first["endsAt"]
    assert len(webhook.received()) == 1


def test_a_receiver_that_refuses_the_message_fails_it_for_good(only, watched, webhook):
    Rule.objects.create(name="crash", kind=Rule.CRASH_LOOP, attempts=2)
    crash_looping(watched, 4, base=ago(300))
    evaluate()
    webhook.fail_next(1, status=400)
    (notification,) = Notification.objects.all()
    assert outbox.send(notification.id).result == "failed"
    notification.refresh_from_db()
    assert notification.status == "failed" and outbox.due(datetime.now(UTC) + timedelta(hours=1)) == []


def test_workload_rules_read_the_reports(only, watched, webhook):
    rate = Rule.objects.create(
        name="rate", kind=Rule.FAILURE_RATE, threshold_percent=20, window_seconds=3600, min_attempts=10
    )
    slower = Rule.objects.create(
        name="p95", kind=Rule.P95_REGRESSION, threshold_percent=50, window_seconds=3600, min_attempts=3
    )
    for n in range(3):  # 7-day baseline: `migrate` takes 2 s (its failed attempts, 4 per Pod)
        crash_looping(watched, 10 + n, base=ago(3 * 86400 + 600 * n))
    rollup_build.run_marks()  # beat's rollups: the baseline's source
    evaluate()
    assert not Alert.objects.exists()
    for n in range(3):  # the last hour: 27 s, no failure
        ready(watched, 20 + n, base=ago(600 + 60 * n))
    evaluate()
    (alert,) = Alert.objects.all()
    assert (alert.rule, alert.subject, alert.container) == (
        slower,
        f"workload:{watched.name}/shop/Deployment/api",
        "migrate",
    )
    assert "p95 27.0s in the last 1h" in alert.summary and "from 2.0s" in alert.summary
    for n in range(3):  # failures in the last hour: 12 failed of 15
        crash_looping(watched, 30 + n, base=ago(1200))
    evaluate()
    (failing,) = Alert.objects.filter(rule=rate)
    assert "failed 12 of 15 attempts (80.0%)" in failing.summary
    assert failing.pod_uid == "" and Notification.objects.filter(rule=rate).count() == 1


def test_the_alerts_page_and_api(only, watched, logged_in_client, client, settings):
    settings.INITSCOPE_ALERT_WEBHOOK_URL = ""
    Rule.objects.create(name="crash", kind=Rule.CRASH_LOOP, attempts=2)
    crash_looping(watched, 5, base=ago(300))
    evaluate()
    page = logged_in_client.get("/alerts/").content.decode()
    assert f'href="/pods/{uid(5)}/"' in page and "api-7d9f8c6b5-p5" in page
    assert 'href="/alerts/" aria-current="page"' in page
    data = logged_in_client.get("/api/v1/alerts").json()
    (entry,) = data["results"]
    assert entry["pod"] == {"name": "api-7d9f8c6b5-p5", "uid": uid(5)} and entry["status"] == "open"
    assert entry["url"].endswith(f"/pods/{uid(5)}/") and entry["rule"]["kind"] == "crash-loop"
    assert logged_in_client.get("/api/v1/alerts?status=resolved").json() == {"results": []}
    assert logged_in_client.get("/api/v1/alerts?status=nope").status_code == 400
    client.logout()
    assert client.get("/api/v1/alerts").status_code == 401
    assert client.get("/alerts/").status_code == 302


def test_rules_and_receivers_are_edited_in_the_admin(only, watched, client, django_user_model, settings):
    settings.INITSCOPE_ALERT_WEBHOOK_URL = "http://127.0.0.1:9/hook"
    admin = django_user_model.objects.create_superuser("admin", "admin@example.org", "correct-horse-battery")
    client.force_login(admin)
    form = {"name": "pulls", "kind": "pod-stuck", "enabled": "on", "cause": "image-pull", "for_seconds": "90",
            "attempts": "3", "threshold_percent": "0", "window_seconds": "3600", "min_attempts": "10",
            "cluster": "", "namespace": ""}  # fmt: skip
    assert client.post("/admin/alerts/rule/add/", form).status_code == 302
    assert Rule.objects.get(name="pulls").for_seconds == 90
    receiver = {
        "name": "am",
        "kind": "alertmanager",
        "url": "http://alertmanager:9093",
        "secret": "",
        "enabled": "on",
    }
    assert client.post("/admin/alerts/receiver/add/", receiver).status_code == 302
    refused = client.post(
        "/admin/alerts/receiver/add/", receiver | {"name": "bad", "url": "file:///etc/passwd"}
    )
    assert refused.status_code == 200 and "Enter an http:// or https:// URL" in refused.content.decode()
    Rule.objects.create(name="crash", kind=Rule.CRASH_LOOP, attempts=2)
    crash_looping(watched, 9, base=ago(300))
    evaluate()
    for page in ("rule", "receiver", "alert", "notification"):
        assert client.get(f"/admin/alerts/{page}/").status_code == 200
    notification = Notification.objects.first()
    assert client.get(f"/admin/alerts/notification/{notification.id}/change/").status_code == 200
