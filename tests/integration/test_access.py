"""Access control (docs/operations.md "Access control"): two users, two namespaces of one cluster (alice:
shop only, with logs; bob: payments only, without logs), and each surface of issue 14 read by both.
A superuser reads everything (the same surfaces answer both namespaces), so each narrowing is a real one."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group

from access.grants import scope_for
from access.models import Grant
from alerts.models import Alert, Rule
from pods import selectors
from pods.ingest import cluster_get_or_create
from pods.ingest.log_tails import attempt_set_log_tail
from pods.models import Attempt
from tests.sockets import ingest_pods, live_pod

pytestmark = pytest.mark.django_db

SHOP, PAY = "uid-shop", "uid-pay"


def crashing(uid: str, *, name: str, namespace: str, rv: int = 1) -> dict:
    """A Pod whose init container `migrate` failed once (exit 1) and waits in back-off, for 2 minutes."""
    return live_pod(uid, name=name, namespace=namespace, rv=rv, crash=True, age=120)


@pytest.fixture
def teams(db, django_user_model):
    ingest_pods(
        "prod",
        crashing(SHOP, name="api-1", namespace="shop"),
        crashing(PAY, name="pay-1", namespace="payments"),
    )
    ingest_pods("other", crashing("uid-other", name="web-1", namespace="shop"))
    prod = cluster_get_or_create(name="prod")
    for uid in (SHOP, PAY):
        for a in Attempt.objects.filter(pod__uid=uid, container__name="migrate"):
            assert attempt_set_log_tail(
                cluster=prod,
                uid=uid,
                container="migrate",
                generation=a.generation,
                number=a.number,
                text="a secret log line",
            )
    alice = django_user_model.objects.create_user("alice", password="x")
    bob = django_user_model.objects.create_user("bob", password="x")
    root = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    Grant.objects.create(user=alice, cluster="prod", namespaces=["shop"], logs=True)
    Grant.objects.create(user=bob, cluster="prod", namespaces=["payments"], logs=False)
    return {"alice": alice, "bob": bob, "root": root}


def as_user(client, user):
    client.force_login(user)
    return client


def api_uids(client, **params) -> set[str]:
    answer = client.get("/api/v1/pods", params)
    assert answer.status_code == 200
    return {row["uid"] for row in answer.json()["results"]}


def test_the_pod_list_and_its_counts_show_only_the_namespaces_granted(teams, client):
    for user, name, hidden, namespaces in (
        ("alice", "api-1", "pay-1", ["shop"]),
        ("bob", "pay-1", "api-1", ["payments"]),
    ):
        page = as_user(client, teams[user]).get("/")
        assert page.status_code == 200
        assert [row["name"] for row in page.context["rows"]] == [name]
        assert sum(n for _, n in page.context["counts"]) == 1
        assert page.context["stuck_count"] == 1
        assert page.context["namespaces"] == namespaces
        assert page.context["clusters"] == ["prod"]
        assert hidden not in page.content.decode()
        fragment = client.get("/fragments/pods/")
        assert hidden not in fragment.content.decode() and name in fragment.content.decode()
        # The live page's rows by uid are narrowed the same way: a uid out of scope renders no row.
        rows = client.get("/fragments/pods/", {"part": "rows", "uid": [SHOP, PAY]}).content.decode()
        assert hidden not in rows and name in rows
    page = as_user(client, teams["root"]).get("/")
    assert {row["name"] for row in page.context["rows"]} == {"api-1", "pay-1", "web-1"}
    assert sum(n for _, n in page.context["counts"]) == 3


def test_status_counts_read_from_the_kept_counts_are_narrowed_too(teams):
    # PostgreSQL's kept counts (PodStatusCount) answer an unfiltered overview: narrowed like the rows.
    alice = selectors.status_counts(filters=selectors.PodFilters(scope=scope_for(teams["alice"])))
    root = selectors.status_counts(filters=selectors.PodFilters(scope=scope_for(teams["root"])))
    assert sum(alice.values()) == 1
    assert sum(root.values()) == 3
    assert selectors.status_counts(
        filters=selectors.PodFilters(cluster="prod", scope=scope_for(teams["bob"]))
    ) == {"Init:CrashLoopBackOff": 1}


def test_a_pod_out_of_scope_is_not_found_on_its_page(teams, client):
    as_user(client, teams["alice"])
    assert client.get(f"/pods/{SHOP}/").status_code == 200
    assert client.get(f"/pods/{PAY}/").status_code == 404
    assert client.get(f"/pods/{PAY}/fragment/").status_code == 404
    attempts = {"part": "attempts", "lane": "lane-c0"}  # a container's attempts, fetched when opened
    assert client.get(f"/pods/{SHOP}/fragment/", attempts).status_code == 200
    assert client.get(f"/pods/{PAY}/fragment/", attempts).status_code == 404
    client.logout()
    assert client.get(f"/pods/{SHOP}/fragment/", attempts)["Location"].startswith("/login/")
    as_user(client, teams["alice"])
    assert client.get(f"/pods/{PAY}/", {"cluster": "prod"}).status_code == 404
    as_user(client, teams["bob"])
    assert client.get(f"/pods/{PAY}/").status_code == 200
    assert client.get(f"/pods/{SHOP}/").status_code == 404


def test_search_finds_nothing_out_of_scope(teams, client):
    as_user(client, teams["alice"])
    assert [r["name"] for r in client.get("/", {"q": "pay"}).context["rows"]] == []
    assert api_uids(client, search="pay") == set()
    assert api_uids(client, search="api") == {SHOP}
    assert api_uids(client, namespace="payments") == set()
    as_user(client, teams["bob"])
    assert [r["name"] for r in client.get("/", {"q": "pay"}).context["rows"]] == ["pay-1"]
    assert api_uids(client, search="pay") == {PAY}


def test_the_api_list_and_detail_are_narrowed_and_404_out_of_scope(teams, client):
    as_user(client, teams["alice"])
    assert api_uids(client) == {SHOP}
    assert client.get(f"/api/v1/pods/{SHOP}").status_code == 200
    assert client.get(f"/api/v1/pods/{PAY}").status_code == 404
    as_user(client, teams["bob"])
    assert api_uids(client) == {PAY}
    assert client.get(f"/api/v1/pods/{SHOP}").status_code == 404
    as_user(client, teams["root"])
    assert api_uids(client) == {SHOP, PAY, "uid-other"}


def test_logs_need_the_logs_grant(teams, client):
    as_user(client, teams["alice"])
    assert client.get(f"/api/v1/pods/{SHOP}/logs", {"container": "migrate"}).status_code == 200
    tails = [
        a["log_tail"] for c in client.get(f"/api/v1/pods/{SHOP}").json()["containers"] for a in c["attempts"]
    ]
    assert "a secret log line" in tails
    assert 'id="logs"' in client.get(f"/pods/{SHOP}/").content.decode()
    assert client.get(f"/api/v1/pods/{PAY}/logs", {"container": "migrate"}).status_code == 404
    as_user(client, teams["bob"])
    # bob sees his Pod but not its logs: the logs endpoint refuses, the kept tails are blanked, no panel
    answer = client.get(f"/api/v1/pods/{PAY}/logs", {"container": "migrate"})
    assert answer.status_code == 403
    document = client.get(f"/api/v1/pods/{PAY}").json()
    assert {a["log_tail"] for c in document["containers"] for a in c["attempts"]} == {""}
    page = client.get(f"/pods/{PAY}/").content.decode()
    assert 'id="logs"' not in page and "a secret log line" not in page
    assert client.get(f"/api/v1/pods/{SHOP}/logs", {"container": "migrate"}).status_code == 404


def report_rows(client, path: str, **params) -> list[dict]:
    answer = client.get(path, params)
    assert answer.status_code == 200, answer.content
    return answer.json()["rows"]


def test_reports_and_their_csv_export_hold_only_the_namespaces_granted(teams, client):
    period = {"since": "-1h", "source": "raw"}
    as_user(client, teams["root"])
    everything = report_rows(client, "/api/v1/reports/init-containers", **period)
    assert {(r["cluster"], r["namespace"]) for r in everything} == {
        ("prod", "shop"),
        ("prod", "payments"),
        ("other", "shop"),
    }
    as_user(client, teams["alice"])
    for path in ("/api/v1/reports/init-containers", "/api/v1/reports/pod-startup"):
        assert {(r["cluster"], r["namespace"]) for r in report_rows(client, path, **period)} == {
            ("prod", "shop")
        }
    # nodes: a node's figures mix namespaces; raw rows are read through the scope
    nodes = report_rows(client, "/api/v1/reports/nodes", **period)
    assert sum(r["pods"] for r in nodes) == 1
    exported = client.get("/api/v1/reports/init-containers", {**period, "format": "csv"}).content.decode()
    namespaces = {row["namespace"] for row in csv.DictReader(io.StringIO(exported))}
    assert namespaces == {"shop"}
    page = client.get("/reports/", period)
    assert page.status_code == 200
    assert {r["row"]["namespace"] for r in page.context["rows"]} == {"shop"}
    assert page.context["namespaces"] == ["shop"]
    resources = report_rows(client, "/api/v1/reports/resources", **period)
    assert {r["namespace"] for r in resources} == {"shop"}
    as_user(client, teams["bob"])
    assert {r["namespace"] for r in report_rows(client, "/api/v1/reports/init-containers", **period)} == {
        "payments"
    }


def test_drill_down_trend_incident_and_compare_are_narrowed(teams, client):
    row = {"cluster": "prod", "namespace": "payments", "workload": "Deployment/api", "container": "migrate"}
    as_user(client, teams["bob"])
    pods = client.get(
        "/api/v1/reports/init-containers/pods", {**row, "since": "-1h", "order": "failed"}
    ).json()
    assert [p["uid"] for p in pods["pods"]] == [PAY]
    incident = client.get("/api/v1/reports/incident", {**row, "since": "-1h"}).json()
    assert incident["summary"]["pods"] == 1
    as_user(client, teams["alice"])
    pods = client.get(
        "/api/v1/reports/init-containers/pods", {**row, "since": "-1h", "order": "failed"}
    ).json()
    assert pods["pods"] == []
    trend = client.get("/api/v1/reports/init-containers/trend", {**row, "since": "-1h"}).json()
    assert sum(b["attempts"] for b in trend["buckets"]) == 0
    incident = client.get("/api/v1/reports/incident", {**row, "since": "-1h"}).json()
    assert incident["summary"]["pods"] == 0 and incident["pods"] == []
    page = client.get("/reports/incident/", {**row, "since": "-1h"})
    assert page.status_code == 200 and PAY not in page.content.decode()
    compare = client.get("/api/v1/reports/init-containers/compare", {"since": "-1h", "source": "raw"})
    assert compare.status_code == 200
    assert {r["namespace"] for r in compare.json()["rows"]} <= {"shop"}
    assert "payments" not in client.get("/reports/compare/", {"since": "-1h"}).content.decode()


def alert(namespace: str, cluster: str = "prod") -> Alert:
    rule, _ = Rule.objects.get_or_create(name="access-test", defaults={"kind": Rule.CRASH_LOOP})
    now = datetime.now(UTC)
    return Alert.objects.create(
        rule=rule,
        subject=f"pod:{cluster}/{uuid.uuid4()}",
        group_key=namespace,
        cluster=cluster,
        namespace=namespace,
        pod_name=f"in-{namespace}",
        pod_uid=f"uid-in-{namespace}",
        opened_at=now,
        last_seen_at=now,
    )


def test_alerts_page_and_api_show_only_alerts_in_scope(teams, client):
    alert("shop"), alert("payments"), alert("")  # the last: about the whole cluster
    as_user(client, teams["alice"])
    assert {a["namespace"] for a in client.get("/api/v1/alerts").json()["results"]} == {"shop"}
    page = client.get("/alerts/").content.decode()
    assert "in-shop" in page and "in-payments" not in page
    as_user(client, teams["bob"])
    assert {a["namespace"] for a in client.get("/api/v1/alerts").json()["results"]} == {"payments"}
    as_user(client, teams["root"])
    assert {a["namespace"] for a in client.get("/api/v1/alerts").json()["results"]} == {
        "shop",
        "payments",
        "",
    }


def test_the_clusters_page_lists_only_clusters_granted(teams, client):
    as_user(client, teams["alice"])
    page = client.get("/clusters/")
    assert [r["name"] for r in page.context["recordings"]] == ["prod"]
    assert page.context["recordings"][0]["pods"] == 1  # its Pods counted in alice's namespaces only
    assert all(r["name"] == "prod" for r in client.get("/api/v1/clusters").json()["results"])
    assert client.get("/", {"cluster": "other"}).context["rows"] == []
    as_user(client, teams["root"])
    assert {r["name"] for r in client.get("/clusters/").context["recordings"]} == {"prod", "other"}


def test_a_user_without_grants_sees_nothing_and_is_told_why(teams, client, django_user_model):
    carol = django_user_model.objects.create_user("carol", password="x")
    as_user(client, carol)
    page = client.get("/")
    assert page.context["rows"] == [] and "No access yet" in page.content.decode()
    assert api_uids(client) == set()
    assert client.get("/clusters/").context["recordings"] == []
    assert "No access yet" in client.get("/alerts/").content.decode()
    assert client.get(f"/pods/{SHOP}/").status_code == 404


def test_glob_patterns_and_group_grants(teams, client, django_user_model):
    ingest_pods(
        "prod",
        crashing("uid-a1", name="a1", namespace="team-a-web"),
        crashing("uid-a2", name="a2", namespace="team-a-db"),
        crashing("uid-b1", name="b1", namespace="team-b"),
        crashing("uid-x1", name="x1", namespace="team-ab"),
    )
    dave = django_user_model.objects.create_user("dave", password="x")
    team = Group.objects.create(name="team-a")
    dave.groups.add(team)
    Grant.objects.create(group=team, cluster="*", namespaces=["team-a-*"])
    as_user(client, dave)
    assert api_uids(client) == {"uid-a1", "uid-a2"}
    Grant.objects.create(user=dave, cluster="prod", namespaces=["team-?"])
    assert api_uids(client) == {"uid-a1", "uid-a2", "uid-b1"}  # `?`: one character (not team-ab)


def test_a_superuser_and_a_whole_cluster_grant_see_every_namespace(teams, client, django_user_model):
    erin = django_user_model.objects.create_user("erin", password="x")
    Grant.objects.create(user=erin, cluster="prod")
    as_user(client, erin)
    assert api_uids(client) == {SHOP, PAY}
    assert client.get(f"/api/v1/pods/{PAY}/logs", {"container": "migrate"}).status_code == 403
