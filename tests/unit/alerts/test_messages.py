"""The receivers' messages from one document (alerts.messages, pure): Slack's escaping and its capped
list, Alertmanager's alerts with startsAt and (resolved) endsAt, the links to the waterfall."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from alerts.messages import AlertFacts, alertmanager_alerts, document, render, slack_escape, slack_text

START = datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC)
END = datetime(2026, 3, 1, 10, 7, 30, 250000, tzinfo=UTC)


def facts(n: int, *, status: str = "open", namespace: str = "shop", diagnosis: str = "exits 1") -> AlertFacts:
    return AlertFacts(
        id=f"alert-{n}",
        status=status,
        cluster="prod-eu",
        namespace=namespace,
        workload_kind="Deployment",
        workload="api",
        pod=f"api-7d9f-{n}",
        pod_uid=f"uid/{n}",
        container="migrate",
        cause="crash-loop",
        diagnosis=diagnosis,
        starts_at=START,
        ends_at=END if status == "resolved" else None,
    )


def doc(alerts, event: str = "firing") -> dict:
    return document(
        notification_id="n-1",
        event=event,
        rule_name="Init container crash loop",
        rule_kind="crash-loop",
        alerts=alerts,
        public_url="https://initscope.example.org/",
        now=END,
    )


def test_the_document_names_everything_and_links_each_waterfall():
    d = doc([facts(1), facts(2)])
    assert (
        d["title"]
        == "Init container crash loop: 2 Pods of Deployment/api in prod-eu/shop in a crash loop (crash-loop)"
    )
    assert d["url"] == (
        "https://initscope.example.org/reports/incident/?cluster=prod-eu&namespace=shop&workload=Deployment%2Fapi"
    )
    first = d["alerts"][0]
    assert first["url"] == "https://initscope.example.org/pods/uid%2F1/"
    assert (first["starts_at"], first["ends_at"]) == ("2026-03-01T10:00:00Z", None)
    assert first["pod"] == {"name": "api-7d9f-1", "uid": "uid/1"} and first["container"] == "migrate"
    kind, body = render("webhook", "http://hook/x", d, list_pods=10)
    assert kind == "http://hook/x" and json.loads(body) == d


def test_slack_escapes_cluster_strings_and_caps_the_list():
    hostile = "<https://evil.example|click> & <!channel>"
    d = doc([facts(n, namespace="ns<&>", diagnosis=hostile) for n in range(13)])
    text = slack_text(d, list_pods=10)
    assert "<!channel>" not in text and "<https://evil" not in text
    assert "&lt;https://evil.example|click&gt; &amp; &lt;!channel&gt;" in text
    assert "prod-eu/ns&lt;&amp;&gt;" in text
    assert text.count("\n• ") == 10 and text.endswith(
        "… and 3 more\n<https://initscope.example.org/reports/incident/?cluster=prod-eu&amp;namespace=ns%3C%26%3E"
        "&amp;workload=Deployment%2Fapi|Workload report> · <https://initscope.example.org/alerts/|All alerts>"
    )
    assert text.startswith(":rotating_light: *[FIRING] ")
    assert slack_escape("a&b<c>d") == "a&amp;b&lt;c&gt;d"


def test_alertmanager_gets_one_alert_per_pod_closed_by_ends_at():
    firing = alertmanager_alerts(doc([facts(1)]))
    resolved = alertmanager_alerts(doc([facts(1, status="resolved")], event="resolved"))
    assert firing[0]["startsAt"] == "2026-03-01T10:00:00Z"
    assert firing[0]["endsAt"] == "2026-03-01T11:07:30.250000Z"  # held an hour past the message, refreshed
    assert resolved[0]["endsAt"] == "2026-03-01T10:07:30.250000Z"  # its end: closed
    assert (
        firing[0]["labels"]
        == resolved[0]["labels"]
        == {
            "alertname": "Init container crash loop",
            "initscope_rule": "crash-loop",
            "alert_id": "alert-1",
            "cluster": "prod-eu",
            "namespace": "shop",
            "workload_kind": "Deployment",
            "workload": "api",
            "pod": "api-7d9f-1",
            "container": "migrate",
            "cause": "crash-loop",
        }
    )
    assert firing[0]["generatorURL"] == "https://initscope.example.org/pods/uid%2F1/"
    url, body = render("alertmanager", "http://am:9093/", doc([facts(1)]), list_pods=10)
    assert url == "http://am:9093/api/v2/alerts" and json.loads(body) == firing
