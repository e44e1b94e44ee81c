"""The Pod's effective request and the container that sets it (`pods.timeline.resources`): Kubernetes'
`PodRequests` / `PodLimits`, checked against values computed by hand (docs/kubernetes.md §1)."""

from __future__ import annotations

from fractions import Fraction

from pods.timeline.describe import spec_facts
from pods.timeline.resources import dominating, effective, effective_resources
from tests.builders import pod

Mi = 2**20
Gi = 2**30


def c(name: str, kind: str, requests: dict | None = None, limits: dict | None = None) -> dict:
    return {"name": name, "kind": kind, "requests": requests or {}, "limits": limits or {}}


def facts(*containers: dict, **extra) -> dict:
    return {"containers": list(containers), **extra}


def test_without_sidecars_it_is_the_larger_of_the_biggest_init_container_and_the_app_sum():
    f = facts(
        c("wait-for-db", "init", {"cpu": "100m", "memory": "64Mi"}),
        c("migrate", "init", {"cpu": "2", "memory": "1Gi"}),
        c("app", "app", {"cpu": "250m", "memory": "128Mi"}),
        c("worker", "app", {"cpu": "500m", "memory": "2Gi"}),
    )
    values, unreadable = effective(f)
    assert unreadable == []
    cpu, memory = values["cpu"], values["memory"]
    # cpu: max(100m, 2) = 2 > 250m + 500m = 750m: migrate dominates by 1250m
    assert (cpu.value, cpu.app, cpu.init_peak) == (Fraction(2), Fraction(3, 4), Fraction(2))
    assert cpu.set_by == "init" and cpu.dominating == ("migrate",) and cpu.margin == Fraction(5, 4)
    # memory: 128Mi + 2Gi = 2176Mi > 1Gi: the apps set it, nothing dominates
    assert memory.value == 2176 * Mi and memory.set_by == "app" and memory.dominating == ()
    assert memory.margin == 0
    assert dominating(f) == [
        {"resource": "cpu", "container": "migrate", "request": "2", "app": "750m", "margin": "1250m"}
    ]


def test_a_sidecar_before_a_big_init_container_runs_beside_it():
    f = facts(
        c("proxy", "sidecar", {"cpu": "500m", "memory": "256Mi"}),
        c("migrate", "init", {"cpu": "2", "memory": "1Gi"}),
        c("app", "app", {"cpu": "250m", "memory": "128Mi"}),
    )
    values, _ = effective(f)
    # migrate's step: 2 + 500m = 2500m; apps: 250m + 500m = 750m
    assert values["cpu"].value == Fraction(5, 2) and values["cpu"].margin == Fraction(7, 4)
    # memory: 1Gi + 256Mi = 1280Mi against 128Mi + 256Mi = 384Mi
    assert values["memory"].value == 1280 * Mi and values["memory"].dominating == ("migrate",)
    assert effective_resources(f, "requests") == ({"cpu": "2500m", "memory": "1280Mi"}, [])
    assert [(s.container, s.kind, s.value) for s in values["cpu"].steps] == [
        ("proxy", "sidecar", Fraction(1, 2)),
        ("migrate", "init", Fraction(5, 2)),
    ]


def test_a_sidecar_after_a_big_init_container_does_not_add_to_it():
    f = facts(
        c("migrate", "init", {"cpu": "2"}),
        c("proxy", "sidecar", {"cpu": "500m"}),
        c("app", "app", {"cpu": "250m"}),
    )
    cpu = effective(f)[0]["cpu"]
    # migrate ran alone: 2; the apps with the proxy: 750m
    assert cpu.value == 2 and cpu.init_peak == 2 and cpu.app == Fraction(3, 4)
    assert cpu.dominating == ("migrate",)


def test_sidecars_never_dominate_and_the_apps_hold_every_sidecar():
    f = facts(
        c("proxy", "sidecar", {"cpu": "1"}),
        c("log-agent", "sidecar", {"cpu": "1"}),
        c("app", "app", {"cpu": "100m"}),
    )
    cpu = effective(f)[0]["cpu"]
    # the sidecars' steps are 1 and 2; the app need is 2100m
    assert cpu.value == Fraction(21, 10) and cpu.set_by == "app" and cpu.dominating == ()


def test_equal_init_peak_and_app_need_is_no_domination():
    f = facts(c("migrate", "init", {"memory": "512Mi"}), c("app", "app", {"memory": "512Mi"}))
    memory = effective(f)[0]["memory"]
    assert memory.value == 512 * Mi and memory.set_by == "app" and memory.margin == 0


def test_two_init_containers_at_the_same_peak_both_dominate():
    f = facts(
        c("a", "init", {"memory": "1Gi"}),
        c("b", "init", {"memory": "1Gi"}),
        c("app", "app", {"memory": "1Mi"}),
    )
    assert effective(f)[0]["memory"].dominating == ("a", "b")


def test_missing_requests_count_zero_and_an_init_container_alone_sets_what_the_apps_never_name():
    f = facts(
        c("fetch", "init", {"ephemeral-storage": "2Gi"}),
        c("migrate", "init"),
        c("app", "app", {"cpu": "250m"}),
    )
    values, _ = effective(f)
    assert values["ephemeral-storage"].value == 2 * Gi and values["ephemeral-storage"].app == 0
    assert values["ephemeral-storage"].dominating == ("fetch",)
    assert values["cpu"].value == Fraction(1, 4) and values["cpu"].init_peak == 0
    # a Pod that names nothing has no effective request (BestEffort)
    assert effective(facts(c("a", "init"), c("app", "app"))) == ({}, [])


def test_extended_resources_and_hugepages_follow_the_same_rule():
    f = facts(
        c("warm", "init", {"nvidia.com/gpu": "1", "hugepages-2Mi": "1Gi"}),
        c("train", "app", {"nvidia.com/gpu": "2", "hugepages-2Mi": "256Mi"}),
    )
    values, _ = effective(f)
    assert values["nvidia.com/gpu"].value == 2 and values["nvidia.com/gpu"].set_by == "app"
    assert values["hugepages-2Mi"].value == Gi and values["hugepages-2Mi"].dominating == ("warm",)
    assert effective_resources(f, "requests")[0] == {"hugepages-2Mi": "1Gi", "nvidia.com/gpu": "2"}


def test_overhead_is_added_after_the_rule_and_does_not_change_the_margin():
    f = facts(
        c("migrate", "init", {"cpu": "1"}),
        c("app", "app", {"cpu": "250m", "memory": "128Mi"}),
        overhead={"cpu": "250m", "memory": "120Mi"},
    )
    values, _ = effective(f)
    assert values["cpu"].value == Fraction(5, 4) and values["cpu"].overhead == Fraction(1, 4)
    assert values["cpu"].margin == Fraction(3, 4)
    assert values["memory"].value == 248 * Mi


def test_pod_level_resources_decide_what_they_name_and_leave_no_container_dominating():
    f = facts(
        c("migrate", "init", {"cpu": "2", "memory": "1Gi", "ephemeral-storage": "1Gi"}),
        c("app", "app", {"cpu": "250m", "memory": "128Mi"}),
        pod_requests={"cpu": "4", "ephemeral-storage": "9Gi"},  # ephemeral-storage: not a pod-level resource
        overhead={"cpu": "100m"},
    )
    values, _ = effective(f)
    assert values["cpu"].value == Fraction(41, 10) and values["cpu"].set_by == "pod"
    assert values["cpu"].dominating == () and values["cpu"].margin == 0
    # memory is not named at pod level: the containers' rule still holds
    assert values["memory"].value == Gi and values["memory"].dominating == ("migrate",)
    assert values["ephemeral-storage"].value == Gi and values["ephemeral-storage"].set_by == "init"


def test_limits_follow_the_rule_and_overhead_only_adds_to_a_set_limit():
    f = facts(
        c("migrate", "init", limits={"memory": "1Gi"}),
        c("app", "app", limits={"memory": "256Mi"}),
        overhead={"cpu": "250m", "memory": "64Mi"},
    )
    limits, _ = effective(f, "limits")
    assert set(limits) == {"memory"}  # no cpu limit: the overhead does not make one
    assert limits["memory"].value == Gi + 64 * Mi


def test_an_unreadable_quantity_leaves_its_resource_out_unless_pod_level_decides_it():
    f = facts(c("a", "app", {"cpu": "lots", "memory": "1Gi"}), c("b", "app", {"cpu": "1"}))
    values, unreadable = effective(f)
    assert unreadable == ["cpu"] and set(values) == {"memory"}
    values, unreadable = effective({**f, "pod_requests": {"cpu": "2"}})
    assert unreadable == [] and values["cpu"].value == 2


def test_from_a_raw_pod_through_the_describe_facts():
    obj = pod(rv=1, init=["proxy", "migrate"], apps=["app"], sidecars=("proxy",))
    resources = {"proxy": ("500m", "256Mi"), "migrate": ("1", "2Gi"), "app": ("250m", "512Mi")}
    for container in obj["spec"]["initContainers"] + obj["spec"]["containers"]:
        cpu, memory = resources[container["name"]]
        container["resources"] = {"requests": {"cpu": cpu, "memory": memory}}
    assert dominating(spec_facts(obj)) == [
        {"resource": "cpu", "container": "migrate", "request": "1500m", "app": "750m", "margin": "750m"},
        {
            "resource": "memory",
            "container": "migrate",
            "request": "2304Mi",
            "app": "768Mi",
            "margin": "1536Mi",
        },
    ]
