"""Each receiver's message, from one receiver-independent document (pure: no Django, no I/O).

`document` is written into the outbox row when the evaluation opens or resolves alerts; `render` turns it
into what one receiver gets: the document itself as JSON (generic webhook), a Slack-compatible incoming
webhook's `text` (mrkdwn, cluster strings escaped), or Alertmanager's `POST /api/v2/alerts` list (one alert
per Pod or workload, `startsAt`, and `endsAt` once resolved). docs/signals.md "Alerts" shows each payload.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

VERSION = 1
WEBHOOK, SLACK, ALERTMANAGER = "webhook", "slack", "alertmanager"
ALERTMANAGER_PATH = "/api/v2/alerts"
# A firing alert tells Alertmanager it holds until `endsAt` = the message's time + ALERTMANAGER_HOLD, and
# is posted again every ALERTMANAGER_REFRESH while open (as Prometheus does): if Initscope stops, its
# alerts expire instead of firing forever; a resolved one is posted with its real end.
ALERTMANAGER_HOLD = timedelta(hours=1)
ALERTMANAGER_REFRESH = timedelta(minutes=20)

RULE_WORDS = {
    "pod-stuck": "stuck",
    "crash-loop": "in a crash loop",
    "failure-rate": "init failure rate over the threshold",
    "p95-up": "init p95 up against its 7-day baseline",
}


@dataclass(frozen=True, slots=True)
class AlertFacts:
    """One alert as a message names it."""

    id: str
    status: str
    cluster: str
    namespace: str
    workload_kind: str
    workload: str
    pod: str
    pod_uid: str
    container: str
    cause: str
    diagnosis: str
    starts_at: datetime
    ends_at: datetime | None


def time_text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")


def pod_url(public_url: str, uid: str) -> str:
    return f"{public_url.rstrip('/')}/pods/{quote(uid, safe='')}/"


def workload_url(public_url: str, cluster: str, namespace: str, kind: str, name: str) -> str:
    query = urlencode({"cluster": cluster, "namespace": namespace, "workload": f"{kind}/{name}"})
    return f"{public_url.rstrip('/')}/reports/incident/?{query}"


def document(
    *,
    notification_id: str,
    event: str,
    rule_name: str,
    rule_kind: str,
    alerts: Sequence[AlertFacts],
    public_url: str,
    now: datetime,
) -> dict[str, Any]:
    """The receiver-independent message about `alerts` (one group: same rule, workload, cause)."""
    first = alerts[0]
    per_pod = bool(first.pod_uid)
    count = len(alerts)
    where = f"{first.workload_kind}/{first.workload} in {first.cluster}/{first.namespace}"
    if per_pod:
        what = f"{count} Pod{'s' if count != 1 else ''} of {where}"
        cause = f" ({first.cause})" if first.cause else ""
        title = f"{rule_name}: {what} {RULE_WORDS.get(rule_kind, rule_kind)}{cause}"
    else:
        title = f"{rule_name}: {where} {RULE_WORDS.get(rule_kind, rule_kind)}"
    if event == "resolved":
        title += " — resolved"
    return {
        "version": VERSION,
        "id": notification_id,
        "status": event,
        "title": title,
        "rule": {"name": rule_name, "kind": rule_kind},
        "cluster": first.cluster,
        "namespace": first.namespace,
        "workload": {"kind": first.workload_kind, "name": first.workload},
        "cause": first.cause,
        "url": workload_url(public_url, first.cluster, first.namespace, first.workload_kind, first.workload),
        "alerts_url": f"{public_url.rstrip('/')}/alerts/",
        "sent_at": time_text(now),
        "alerts": [
            {
                "id": a.id,
                "status": a.status,
                "cluster": a.cluster,
                "namespace": a.namespace,
                "workload": {"kind": a.workload_kind, "name": a.workload},
                "pod": {"name": a.pod, "uid": a.pod_uid} if a.pod_uid else None,
                "container": a.container,
                "cause": a.cause,
                "diagnosis": a.diagnosis,
                "starts_at": time_text(a.starts_at),
                "ends_at": time_text(a.ends_at),
                "url": pod_url(public_url, a.pod_uid)
                if a.pod_uid
                else workload_url(public_url, a.cluster, a.namespace, a.workload_kind, a.workload),
            }
            for a in alerts
        ],
    }


def slack_escape(text: str) -> str:
    """Slack's mrkdwn control characters as it asks: `&`, `<`, `>` (a cluster string cannot make a link
    or a mention)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_text(doc: dict[str, Any], list_pods: int) -> str:
    """The message of a Slack-compatible incoming webhook: the title, then one line per alert (at most
    `list_pods`, then "and N more"), each linking to its waterfall (or workload)."""
    icon = ":white_check_mark:" if doc["status"] == "resolved" else ":rotating_light:"
    status = "RESOLVED" if doc["status"] == "resolved" else "FIRING"
    lines = [f"{icon} *[{status}] {slack_escape(doc['title'])}*"]
    alerts = doc["alerts"]
    for alert in alerts[:list_pods]:
        name = (
            alert["pod"]["name"]
            if alert["pod"]
            else f"{alert['workload']['kind']}/{alert['workload']['name']}"
        )
        container = f" `{slack_escape(alert['container'])}`" if alert["container"] else ""
        link = f"<{slack_escape(alert['url'])}|{slack_escape(name)}>"
        lines.append(f"• {link}{container}: {slack_escape(alert['diagnosis'])}")
    if len(alerts) > list_pods:
        lines.append(f"… and {len(alerts) - list_pods} more")
    lines.append(
        f"<{slack_escape(doc['url'])}|Workload report> · <{slack_escape(doc['alerts_url'])}|All alerts>"
    )
    return "\n".join(lines)


def alertmanager_alerts(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Alertmanager's `POST /api/v2/alerts` body: one alert per Pod (or workload), identified by its labels
    (the stable `alert_id` among them); `endsAt`: a resolved one's end (which closes it), a firing one's
    hold (`ALERTMANAGER_HOLD` after the message)."""
    out = []
    for alert in doc["alerts"]:
        labels = {
            "alertname": doc["rule"]["name"],
            "initscope_rule": doc["rule"]["kind"],
            "alert_id": alert["id"],
            "cluster": alert["cluster"],
            "namespace": alert["namespace"],
            "workload_kind": alert["workload"]["kind"],
            "workload": alert["workload"]["name"],
            "pod": alert["pod"]["name"] if alert["pod"] else "",
            "container": alert["container"],
            "cause": alert["cause"],
        }
        item: dict[str, Any] = {
            "labels": {k: v for k, v in labels.items() if v},
            "annotations": {"summary": doc["title"], "description": alert["diagnosis"]},
            "startsAt": alert["starts_at"],
            "generatorURL": alert["url"],
        }
        if alert["ends_at"]:
            item["endsAt"] = alert["ends_at"]
        elif doc.get("sent_at"):
            item["endsAt"] = time_text(datetime.fromisoformat(doc["sent_at"]) + ALERTMANAGER_HOLD)
        out.append(item)
    return out


def alertmanager_url(url: str) -> str:
    base = url.rstrip("/")
    return base if base.endswith(ALERTMANAGER_PATH) else base + ALERTMANAGER_PATH


def render(kind: str, url: str, doc: dict[str, Any], *, list_pods: int) -> tuple[str, bytes]:
    """(the URL to POST to, the JSON body) of `doc` for a receiver of `kind`."""
    if kind == SLACK:
        body: Any = {"text": slack_text(doc, list_pods)}
    elif kind == ALERTMANAGER:
        body, url = alertmanager_alerts(doc), alertmanager_url(url)
    else:
        body = doc
    return url, json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


__all__ = ["AlertFacts", "alertmanager_alerts", "document", "render", "slack_escape", "slack_text"]
