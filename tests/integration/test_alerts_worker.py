"""Alerts end to end: a real Celery worker (with beat) watches kubesim, evaluates the rules and sends the
notifications to receivers started here on 127.0.0.1 — the default generic webhook (HMAC-signed, failing
twice first), a Slack-compatible one and an Alertmanager — and a `kill -9` of the worker between commit
and send loses nothing: the next worker's sweep sends the outbox row (alerts/, docs/signals.md "Alerts")."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import Counter

import pytest

from alerts.models import Alert, Notification, Receiver, Rule
from pods.models import Pod
from tests.services import wait_until, watching
from tests.webhooks import WebhookReceiver
from tests.webhooks import webhook_receivers as webhook_receivers  # a fixture

pytestmark = [pytest.mark.integration, pytest.mark.redis]
SECRET = "hmac-key-for-tests"
APP = {"name": "app", "image": "acme/web:1.4.2", "behavior": {"pull_time": 1, "ready_delay": 1}}
CRASHING = {
    "kind": "Deployment",
    "name": "web",
    "replicas": 3,
    "initContainers": [
        {"name": "migrate", "image": "acme/migrate:2.0", "behavior": {"duration": 2, "exit_code": 1}}
    ],
    "containers": [APP],
}
PULLING = {  # its image cannot be pulled three times, then it starts: the alert opens, then resolves
    "kind": "Deployment",
    "name": "api",
    "initContainers": [
        {"name": "setup", "image": "acme/setup:1.0", "behavior": {"pull_failures": 3, "duration": 2}}
    ],
    "containers": [APP],
}


def alert_env(sim, hook: WebhookReceiver) -> dict[str, str]:
    return sim.env | {
        "INITSCOPE_ALERT_WEBHOOK_URL": f"{hook.url}/hook",
        "INITSCOPE_ALERT_WEBHOOK_SECRET": SECRET,
        "INITSCOPE_PUBLIC_URL": "https://initscope.example.org",
        "INITSCOPE_ALERT_EVALUATE_SECONDS": "1",
        "INITSCOPE_ALERT_SWEEP_SECONDS": "1",
        "INITSCOPE_ALERT_CLAIM_SECONDS": "4",
    }


def rules() -> tuple[Rule, Rule]:
    Rule.objects.all().delete()
    crash = Rule.objects.create(name="Init container crash loop", kind=Rule.CRASH_LOOP, attempts=3)
    pulls = Rule.objects.create(name="Image cannot be pulled", kind=Rule.POD_STUCK, cause="image-pull")
    return crash, pulls


def deliveries(receiver: WebhookReceiver) -> Counter:
    """(alert id, status) → how many delivered requests carried it (generic webhook bodies)."""
    return Counter((a["id"], a["status"]) for r in receiver.received() for a in r.body["alerts"])


def test_alerts_from_kubesim_reach_every_receiver_once_and_resolve(
    kubesim_cluster, celery_worker, webhook_receivers
):
    hook, slack, manager = webhook_receivers(), webhook_receivers(), webhook_receivers()
    crash, pulls = rules()
    Receiver.objects.create(name="slack", kind=Receiver.SLACK, url=f"{slack.url}/services/T0/B0/x")
    Receiver.objects.create(name="am", kind=Receiver.ALERTMANAGER, url=manager.url)
    hook.fail_next(2)  # the default webhook answers 500 twice, then recovers
    sim = kubesim_cluster({"workloads": [CRASHING, PULLING]}, start=time.time() - 900)
    celery_worker(env=alert_env(sim, hook), beat=True, pool="threads")
    watching(sim.name)
    sim.drive(40)
    web = set(Pod.objects.filter(owner_name="web").values_list("uid", flat=True))
    assert len(web) == 3

    def crash_delivered() -> bool:
        return {
            a["pod"]["uid"]
            for r in hook.received()
            for a in r.body["alerts"]
            if r.body["rule"]["name"] == crash.name
        } == web

    assert wait_until(crash_delivered, timeout=60), hook.received()
    sim.drive(120)  # the api Pod's pulls succeed: its alert resolves

    def resolved() -> bool:
        pulled = [a for r in manager.received() for a in r.body if a["labels"]["cause"] == "image-pull"]
        return any(r.body["status"] == "resolved" for r in hook.received()) and len(pulled) == 2

    assert wait_until(resolved, timeout=60), (hook.received(), manager.received())
    assert hook.failed == 2
    counts = deliveries(hook)
    assert set(counts.values()) == {1}, counts  # retried, yet delivered once per alert id
    alerts = {str(a.uid): a for a in Alert.objects.all()}
    assert {i for i, _ in counts} == set(alerts)
    (pull,) = [a for a in alerts.values() if a.rule_id == pulls.id]
    assert pull.status == "resolved" and pull.container == "setup" and pull.workload == "api"
    assert Alert.objects.filter(rule=crash, status="open").count() == 3  # one per Pod, never repeated
    for request in hook.received():
        signed = hmac.new(SECRET.encode(), request.raw, hashlib.sha256).hexdigest()
        assert request.headers["x-initscope-signature"] == f"sha256={signed}"
        for alert in request.body["alerts"]:
            assert alert["cluster"] == sim.name and alert["namespace"] and alert["workload"]["name"]
            assert alert["pod"]["name"] and alert["container"] and alert["diagnosis"]
            assert alert["url"] == f"https://initscope.example.org/pods/{alert['pod']['uid']}/"
    am_firing, am_resolved = [
        a for r in manager.received() for a in r.body if a["labels"]["cause"] == "image-pull"
    ]
    assert am_firing["labels"] == am_resolved["labels"] and am_firing["labels"]["alert_id"] == str(pull.uid)
    assert am_resolved["endsAt"] == pull.resolved_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert am_firing["endsAt"] > am_resolved["endsAt"]  # held until refreshed, or closed by the resolve
    assert am_resolved["labels"]["cause"] == "image-pull" and {r.path for r in manager.received()} == {
        "/api/v2/alerts"
    }
    texts = "\n".join(r.body["text"] for r in slack.received())
    assert "[FIRING]" in texts and "[RESOLVED]" in texts and "Deployment/web" in texts
    assert Notification.objects.exclude(status="sent").count() == 0


def test_a_worker_killed_between_commit_and_send_loses_no_notification(
    kubesim_cluster, celery_worker, webhook_receivers
):
    hook = webhook_receivers()
    crash, _ = rules()
    hook.hold_next()  # the first notification's POST never completes: its sender dies meanwhile
    sim = kubesim_cluster({"workloads": [CRASHING]}, start=time.time() - 900)
    env = alert_env(sim, hook)
    first = celery_worker(env=env, beat=True, name="w1", pool="threads")
    watching(sim.name)
    sim.drive(80)  # every Pod past 3 attempts
    assert wait_until(lambda: hook.held == 1, timeout=60), first.log()[-3000:]
    first.kill()
    hook.release()
    pending = list(Notification.objects.all())
    assert pending and all(n.status == "pending" and n.sent_at is None for n in pending)
    assert hook.received() == []
    celery_worker(env=env, beat=True, name="w2", pool="threads")

    def all_sent() -> bool:
        return len(deliveries(hook)) == 3 and not Notification.objects.exclude(status="sent").exists()

    assert wait_until(all_sent, timeout=60), deliveries(hook)
    counts = deliveries(hook)
    assert set(counts.values()) == {1}
    assert {i for i, _ in counts} == {
        str(u) for u in Alert.objects.filter(rule=crash).values_list("uid", flat=True)
    }
    assert len(counts) == 3
