"""Conformance with the official ``kubernetes`` Python client (synchronous, thread-served sim)."""

from __future__ import annotations

import json

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException


def core(ks) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(config_file=ks.kubeconfig_path))


def test_list_all_namespaces_with_limit_and_continue(threaded):
    with threaded("healthy") as ks:
        ks.advance(20)
        api = core(ks)
        full = api.list_pod_for_all_namespaces()
        assert len(full.items) == 2
        page1 = api.list_pod_for_all_namespaces(limit=1)
        assert len(page1.items) == 1 and page1.metadata._continue
        assert page1.metadata.remaining_item_count == 1
        ks.advance(5)  # writes happen between pages; the next page still comes from the snapshot
        page2 = api.list_pod_for_all_namespaces(limit=1, _continue=page1.metadata._continue)
        assert page2.metadata.resource_version == page1.metadata.resource_version
        assert not page2.metadata._continue
        names = {p.metadata.name for p in page1.items + page2.items}
        assert names == {p.metadata.name for p in full.items}
        pod = page1.items[0]
        assert pod.spec.node_name and pod.status.qos_class == "BestEffort"
        assert pod.metadata.owner_references[0].kind == "ReplicaSet"
        assert pod.metadata.owner_references[0].controller is True
        assert any(v.name.startswith("kube-api-access-") for v in pod.spec.volumes)


def test_watch_from_resource_version_with_bookmarks(threaded):
    with threaded("crash-loop", bookmark_interval=0.3) as ks:
        ks.advance(5)
        api = core(ks)
        lst = api.list_pod_for_all_namespaces()
        rv = lst.metadata.resource_version
        ks.advance(30)
        w = watch.Watch()
        types = []
        for ev in w.stream(
            api.list_pod_for_all_namespaces,
            resource_version=rv,
            allow_watch_bookmarks=True,
            timeout_seconds=2,
        ):
            types.append(ev["type"])
            if ev["type"] == "BOOKMARK":
                w.stop()
        assert types[0] == "MODIFIED"  # only changes after rv, no synthetic ADDED
        assert "BOOKMARK" in types
        assert int(w.resource_version) >= int(rv)


def test_read_log_previous(threaded):
    with threaded("crash-loop") as ks:
        ks.advance(60)
        api = core(ks)
        pod = api.list_namespaced_pod("default").items[0]
        # kubernetes==37 returns str(bytes) for text responses; _preload_content=False gives the raw body
        prev = api.read_namespaced_pod_log(
            pod.metadata.name, "default", container="migrate", previous=True, _preload_content=False
        ).data.decode()
        assert 'relation "orders" does not exist' in prev
        with pytest.raises(ApiException) as exc:
            api.read_namespaced_pod_log(pod.metadata.name, "default", container="wait-for-db", previous=True)
        assert exc.value.status == 400
        msg = json.loads(exc.value.body)["message"]
        assert msg == f'previous terminated container "wait-for-db" in pod "{pod.metadata.name}" not found'
        tail = api.read_namespaced_pod_log(
            pod.metadata.name,
            "default",
            container="migrate",
            tail_lines=1,
            timestamps=True,
            _preload_content=False,
        ).data.decode()
        assert tail.count("\n") == 1 and tail[:4].isdigit()


def test_errors_are_status_exceptions(threaded):
    with threaded("healthy", forbidden={("watch", "pods")}) as ks:
        api = core(ks)
        with pytest.raises(ApiException) as exc:
            api.read_namespaced_pod("nope", "default")
        assert exc.value.status == 404 and '"reason":"NotFound"' in exc.value.body
        with pytest.raises(ApiException) as exc:
            list(watch.Watch().stream(api.list_pod_for_all_namespaces, timeout_seconds=1))
        assert exc.value.status == 403
        assert json.loads(exc.value.body)["message"] == (
            'pods is forbidden: User "system:serviceaccount:initscope:initscope" '
            'cannot watch resource "pods" '
            'in API group "" at the cluster scope'
        )
        cfg = client.Configuration()
        cfg.host = ks.url
        cfg.api_key = {"authorization": "wrong"}
        cfg.api_key_prefix = {"authorization": "Bearer"}
        with pytest.raises(ApiException) as exc:
            client.CoreV1Api(client.ApiClient(cfg)).list_namespace()
        assert exc.value.status == 401
        ks.call(ks.sim.store.compact)
        with pytest.raises(ApiException) as exc:
            list(
                watch.Watch().stream(
                    api.list_namespaced_event, "default", resource_version="1", timeout_seconds=1
                )
            )
        assert exc.value.status == 410
        with pytest.raises(ApiException) as exc:
            api.list_pod_for_all_namespaces(resource_version="1", resource_version_match="Exact")
        assert exc.value.status == 410


def test_owner_chain_and_workload_apis(threaded):
    with threaded("demo", manual=True) as ks:
        ks.advance(30)
        cfg = config.new_client_from_config(config_file=ks.kubeconfig_path)
        api, apps, batch = client.CoreV1Api(cfg), client.AppsV1Api(cfg), client.BatchV1Api(cfg)
        pods = api.list_namespaced_pod("shop", label_selector="app=web").items
        assert pods
        rs_ref = pods[0].metadata.owner_references[0]
        rs = apps.read_namespaced_replica_set(rs_ref.name, "shop")
        assert rs.metadata.labels["pod-template-hash"] == pods[0].metadata.labels["pod-template-hash"]
        dep = apps.read_namespaced_deployment(rs.metadata.owner_references[0].name, "shop")
        assert dep.metadata.name == "web"
        job_pods = api.list_namespaced_pod("batch", label_selector="batch.kubernetes.io/job-name").items
        job_pod = next(p for p in job_pods if p.metadata.name.startswith("report-"))
        job = batch.read_namespaced_job(job_pod.metadata.owner_references[0].name, "batch")
        assert job.metadata.owner_references[0].kind == "CronJob"
        assert batch.read_namespaced_cron_job("report", "batch").spec.schedule
        sts_pod = api.read_namespaced_pod("ledger-db-0", "payments")
        assert sts_pod.metadata.labels["apps.kubernetes.io/pod-index"] == "0"
        assert apps.read_namespaced_stateful_set("ledger-db", "payments").metadata.name == "ledger-db"
        assert {n.metadata.name for n in api.list_namespace().items} >= {"shop", "payments", "batch", "infra"}
        # Like a real server, kubelet events have eventTime null in the events.k8s.io view, which the
        # client's models reject (kubernetes-client/python#1616): read the raw JSON instead.
        raw = client.EventsV1Api(cfg).list_namespaced_event("shop", limit=5, _preload_content=False)
        evs = json.loads(raw.data)
        assert evs["kind"] == "EventList" and evs["items"][0]["regarding"]["kind"] == "Pod"
        assert any(e["eventTime"] is None and e["deprecatedCount"] >= 1 for e in evs["items"])
