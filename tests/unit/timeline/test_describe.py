"""The describe facts (`pods.timeline.describe`) from raw Pod JSON: resources and the Pod's effective
request (Kubernetes' rule), probes, volumes, scheduling constraints, and what is never kept."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from pods.timeline import apply_pod, timeline_document
from pods.timeline.codec import decode_state, encode_state
from pods.timeline.describe import (
    effective_resources,
    format_quantity,
    parse_quantity,
    spec_document,
    spec_facts,
)
from tests.builders import at, pod

SECRET = "s3cr3t-token-value"


def _with_resources(obj: dict, resources: dict[str, dict]) -> dict:
    for c in obj["spec"].get("initContainers", []) + obj["spec"]["containers"]:
        if c["name"] in resources:
            c["resources"] = resources[c["name"]]
    return obj


def _requests(**by_container: tuple[str, str]) -> dict[str, dict]:
    return {
        name: {"requests": {"cpu": cpu, "memory": memory}} for name, (cpu, memory) in by_container.items()
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("250m", Fraction(1, 4)),
        ("1.5", Fraction(3, 2)),
        ("2", Fraction(2)),
        ("128Mi", Fraction(128 * 2**20)),
        ("1G", Fraction(10**9)),
        ("1e3", Fraction(1000)),
        ("1E", Fraction(10**18)),
        ("500k", Fraction(500_000)),
        ("nonsense", None),
        ("", None),
    ],
)
def test_quantities_are_read_exactly(text, value):
    assert parse_quantity(text) == value


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        ("cpu", Fraction(5, 2), "2500m"),
        ("cpu", Fraction(2), "2"),
        ("cpu", Fraction(1, 3), "334m"),
        ("memory", Fraction(1280 * 2**20), "1280Mi"),
        ("memory", Fraction(2 * 2**30), "2Gi"),
        ("memory", Fraction(10**9), "1G"),
        ("memory", Fraction(1000), "1k"),
        ("memory", Fraction(1001), "1001"),
    ],
)
def test_quantities_are_written_as_kubectl_would(name, value, text):
    assert format_quantity(name, value) == text


def test_the_effective_request_is_the_larger_of_the_biggest_init_container_and_the_app_sum():
    obj = _with_resources(
        pod(rv=1, init=["db", "migrate"], apps=["app", "worker"]),
        _requests(db=("100m", "64Mi"), migrate=("2", "1Gi"), app=("250m", "128Mi"), worker=("500m", "2Gi")),
    )
    doc = spec_document(spec_facts(obj))
    # cpu: init max 2 > apps 750m; memory: apps 2Gi+128Mi > init max 1Gi
    assert doc["effective_requests"] == {"cpu": "2", "memory": "2176Mi"}
    assert doc["containers"][1]["requests"] == {"cpu": "2", "memory": "1Gi"}


def test_sidecars_count_with_the_apps_and_with_every_init_container_after_them():
    obj = _with_resources(
        pod(rv=1, init=["proxy", "migrate"], apps=["app"], sidecars=("proxy",)),
        _requests(proxy=("500m", "256Mi"), migrate=("2", "1Gi"), app=("250m", "128Mi")),
    )
    facts = spec_facts(obj)
    assert [c["kind"] for c in facts["containers"]] == ["sidecar", "init", "app"]
    # migrate runs beside the proxy: 2 + 500m; the apps with the proxy: 750m
    assert effective_resources(facts, "requests") == ({"cpu": "2500m", "memory": "1280Mi"}, [])


def test_overhead_is_added_and_pod_level_resources_decide():
    obj = _with_resources(pod(rv=1, init=[], apps=["app"]), _requests(app=("1", "1Gi")))
    obj["spec"]["overhead"] = {"cpu": "250m", "memory": "120Mi"}
    assert effective_resources(spec_facts(obj), "requests")[0] == {"cpu": "1250m", "memory": "1144Mi"}
    obj["spec"]["resources"] = {"requests": {"cpu": "4"}}
    # pod-level cpu replaces the containers' sum; the overhead is still added (PodRequests adds it last)
    assert effective_resources(spec_facts(obj), "requests")[0] == {"cpu": "4250m", "memory": "1144Mi"}


def test_an_unreadable_quantity_leaves_its_resource_out_rather_than_guessing():
    obj = _with_resources(
        pod(rv=1, init=[], apps=["a", "b"]),
        {"a": {"requests": {"cpu": "lots"}}, "b": {"requests": {"cpu": "1"}}},
    )
    assert effective_resources(spec_facts(obj), "requests") == ({}, ["cpu"])


def test_probes_keep_type_port_path_and_timings_but_never_commands_headers_or_query_strings():
    obj = pod(rv=1, init=[], apps=["app"])
    app = obj["spec"]["containers"][0]
    app["livenessProbe"] = {
        "httpGet": {
            "path": f"/healthz?token={SECRET}",
            "port": 8080,
            "host": f"{SECRET}.example",
            "httpHeaders": [{"name": "Authorization", "value": f"Bearer {SECRET}"}],
        },
        "periodSeconds": 5,
        "failureThreshold": 6,
    }
    app["readinessProbe"] = {"exec": {"command": ["sh", "-c", f"check --password {SECRET}"]}}
    app["startupProbe"] = {"tcpSocket": {"port": "http"}, "initialDelaySeconds": 3}
    facts = spec_facts(obj)
    assert SECRET not in json.dumps(facts)
    probes = {p["kind"]: p for p in facts["containers"][0]["probes"]}
    assert probes["liveness"] | {} == {
        "kind": "liveness", "type": "httpGet", "port": "8080", "path": "/healthz", "scheme": "",
        "initial_delay_seconds": 0, "timeout_seconds": 1, "period_seconds": 5, "success_threshold": 1,
        "failure_threshold": 6,
    }  # fmt: skip
    assert probes["readiness"]["type"] == "exec" and probes["readiness"]["path"] == ""
    assert (probes["startup"]["type"], probes["startup"]["port"]) == ("tcpSocket", "http")


def test_volumes_and_environment_name_the_objects_they_read_never_their_values():
    obj = pod(rv=1, init=[], apps=["app"])
    app = obj["spec"]["containers"][0]
    app["env"] = [
        {"name": "PASSWORD", "value": SECRET},
        {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "db-creds", "key": "token"}}},
        {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "mode"}}},
    ]
    app["envFrom"] = [{"secretRef": {"name": "all-secrets"}}, {"configMapRef": {"name": "settings"}}]
    app["command"], app["args"] = ["run"], ["--password", SECRET]
    obj["spec"]["volumes"] += [
        {"name": "config", "configMap": {"name": "app-config", "items": [{"key": SECRET, "path": "x"}]}},
        {"name": "tls", "secret": {"secretName": "app-tls"}},
        {"name": "data", "persistentVolumeClaim": {"claimName": "data-0"}},
        {"name": "scratch", "emptyDir": {}},
        {
            "name": "bundle",
            "projected": {"sources": [{"secret": {"name": "s1"}}, {"configMap": {"name": "c1"}}]},
        },
    ]
    facts = spec_facts(obj)
    assert SECRET not in json.dumps(facts)
    assert "PASSWORD" not in json.dumps(facts)
    assert facts["containers"][0]["config_refs"] == [
        {"kind": "Secret", "name": "all-secrets"},
        {"kind": "ConfigMap", "name": "settings"},
        {"kind": "Secret", "name": "db-creds"},
    ]
    volumes = {v["name"]: (v["type"], v["refs"]) for v in facts["volumes"]}
    assert volumes["config"] == ("configMap", [{"kind": "ConfigMap", "name": "app-config"}])
    assert volumes["tls"] == ("secret", [{"kind": "Secret", "name": "app-tls"}])
    assert volumes["data"] == ("persistentVolumeClaim", [{"kind": "PersistentVolumeClaim", "name": "data-0"}])
    assert volumes["scratch"] == ("emptyDir", [])
    assert volumes["bundle"][1] == [{"kind": "Secret", "name": "s1"}, {"kind": "ConfigMap", "name": "c1"}]


def test_scheduling_constraints_in_short():
    obj = pod(rv=1)
    obj["spec"]["nodeSelector"] = {"disktype": "ssd"}
    obj["spec"]["tolerations"].append(
        {"key": "gpu", "operator": "Equal", "value": "yes", "effect": "NoSchedule"}
    )
    obj["spec"]["tolerations"].append({"operator": "Exists"})
    obj["spec"]["affinity"] = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}
                        ]
                    }
                ]
            }
        },
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 100,
                    "podAffinityTerm": {
                        "labelSelector": {"matchLabels": {"app": "api"}},
                        "topologyKey": "kubernetes.io/hostname",
                    },
                }
            ]
        },
    }
    doc = spec_document(spec_facts(obj))
    assert doc["node_selector"] == {"disktype": "ssd"}
    assert doc["tolerations"] == [
        "node.kubernetes.io/not-ready:NoExecute op=Exists for 300s",
        "gpu=yes:NoSchedule",
        "op=Exists",
    ]
    assert doc["affinity"] == [
        "node, required: kubernetes.io/arch In [amd64]",
        "pod anti-affinity, preferred (weight 100): app=api per kubernetes.io/hostname",
    ]
    assert (doc["pod_ip"], doc["host_ip"], doc["qos_class"], doc["qos_class_reported"]) == (
        "10.244.1.9", "10.0.0.7", "BestEffort", True,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("resources", "qos"),
    [
        ({}, "BestEffort"),
        ({"requests": {"cpu": "100m"}}, "Burstable"),
        ({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}}, "Guaranteed"),
        (
            {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m", "memory": "1Gi"}},
            "Burstable",
        ),
    ],
)
def test_the_qos_class_is_computed_when_the_status_does_not_say(resources, qos):
    obj = _with_resources(pod(rv=1, init=[], apps=["app"]), {"app": resources})
    del obj["status"]["qosClass"]
    doc = spec_document(spec_facts(obj))
    assert (doc["qos_class"], doc["qos_class_reported"]) == (qos, False)


def test_the_facts_survive_the_stored_form_and_reach_the_document():
    obj = _with_resources(pod(rv=1, init=["migrate"], apps=["app"]), _requests(migrate=("1", "1Gi")))
    state, changed = apply_pod(None, obj)
    assert changed and state.spec_facts
    again = decode_state(encode_state(state))
    assert again.spec_facts == state.spec_facts
    doc = timeline_document(again, [], cluster="c", now=at(60), threshold=at(60) - at(0))
    assert doc["spec"]["effective_requests"] == {"cpu": "1", "memory": "1Gi"}
    assert doc["spec"]["known"] is True


def test_a_new_pod_ip_is_a_change_to_store():
    obj = pod(rv=1)
    state, _ = apply_pod(None, obj)
    moved = pod(rv=2)
    moved["status"]["podIP"] = "10.244.9.9"
    state, changed = apply_pod(state, moved)
    assert changed and state.spec_facts["pod_ip"] == "10.244.9.9"


def test_odd_input_is_tolerated():
    obj = pod(rv=1, init=[], apps=["app"])
    obj["spec"]["volumes"] = ["not a dict", {"name": 3}]
    obj["spec"]["tolerations"] = "nope"
    obj["spec"]["containers"][0]["resources"] = {"requests": ["x"], "limits": {"cpu": {"no": 1}}}
    obj["spec"]["containers"][0]["livenessProbe"] = {"httpGet": {"port": None, "path": 5}}
    facts = spec_facts(obj)
    assert facts["tolerations"] == []
    assert facts["containers"][0]["requests"] == {} and facts["containers"][0]["limits"] == {}
    spec_document(facts)
    assert spec_document({})["known"] is False


def test_the_facts_follow_every_object_when_only_the_status_or_the_spec_changes():
    """`spec_facts` is read again only when its inputs changed (fold._fold_spec_facts): a fold from the
    previous object's state ends with the facts of the newest object, whatever changed in between, and the
    record of what they were read from is never stored."""
    first = pod(rv=1)
    state, _ = apply_pod(None, first)
    assert state.spec_facts == spec_facts(first)

    status_only = pod(rv=2, phase="Running")  # the same spec: the facts stand
    state, _ = apply_pod(state, status_only)
    assert state.spec_facts == spec_facts(status_only)

    ip = pod(rv=3, phase="Running")
    ip["status"]["podIP"] = "10.1.2.3"  # outside the spec, yet a describe fact
    state, changed = apply_pod(state, ip)
    assert changed and state.spec_facts["pod_ip"] == "10.1.2.3"

    toleration = pod(rv=4, phase="Running")
    toleration["status"]["podIP"] = "10.1.2.3"
    toleration["spec"]["tolerations"] = [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}]
    state, changed = apply_pod(state, toleration)
    assert changed and state.spec_facts == spec_facts(toleration)

    stored = encode_state(state)
    assert b"_spec_key" not in stored and "_spec_key" not in state.to_dict()
    again = decode_state(stored)
    assert again == state  # what the facts were read from is not part of the state
    again, changed = apply_pod(again, toleration)  # read back (no record): read again, same facts
    assert not changed and again.spec_facts == spec_facts(toleration)


def test_an_object_that_is_not_plain_json_is_still_read():
    huge = pod(rv=1)
    huge["spec"]["priority"] = 2**70  # orjson cannot write it: no record, the facts are read every time
    state, _ = apply_pod(None, huge)
    assert state.spec_facts == spec_facts(huge)
    again = pod(rv=2)
    again["spec"]["priority"] = 2**70 + 1
    state, _ = apply_pod(state, again)
    assert state.spec_facts == spec_facts(again)
