"""Events about other kinds (workloads, Nodes, PVCs) and the sandbox that cannot be created
(docs/kubernetes.md §5 and §2 project notes)."""

from __future__ import annotations

from kubesim import KubeSim, ManualClock

from .helpers import START


def _sim(scenario: str, seconds: float) -> KubeSim:
    sim = KubeSim(scenario, clock=ManualClock(start=START))
    sim.boot()
    sim.advance(seconds)
    return sim


def _events(sim: KubeSim, kind: str | None = None, reason: str | None = None) -> list[dict]:
    return [
        ev
        for _k, ev in sim.store.items("events")
        if (kind is None or ev["involvedObject"]["kind"] == kind)
        and (reason is None or ev["reason"] == reason)
    ]


def test_failed_create_on_the_workload_with_back_off_and_growing_count():
    sim = _sim("quota-exceeded", 300)
    pods = {p["metadata"]["name"] for _k, p in sim.store.items("pods")}
    assert not any(n.startswith(("web-", "report-", "worker-")) for n in pods)  # never created
    rs_events = _events(sim, "ReplicaSet", "FailedCreate")
    web = [e for e in rs_events if e["involvedObject"]["name"].startswith("web-")]
    assert web and all(
        e["type"] == "Warning" and e["reportingComponent"] == "replicaset-controller" for e in web
    )
    assert web[0]["source"] == {"component": "replicaset-controller"}
    assert web[0]["message"].startswith('Error creating: pods "web-')
    assert web[0]["message"].endswith(
        "is forbidden: exceeded quota: compute, requested: cpu=1, used: cpu=8, limited: cpu=8"
    )
    combined = [e for e in web if e["message"].startswith("(combined from similar events): Error creating:")]
    assert len(combined) == 1 and combined[0]["count"] > 1
    first, last = combined[0]["count"], None
    sim.advance(3000)
    last = next(
        e
        for e in _events(sim, "ReplicaSet", "FailedCreate")
        if e["metadata"]["name"] == combined[0]["metadata"]["name"]
    )
    assert last["count"] > first  # the controller keeps retrying (back-off capped at 1000 s)
    rs = next(o for _k, o in sim.store.items("replicasets") if o["metadata"]["name"].startswith("web-"))
    assert rs["status"]["conditions"][0]["type"] == "ReplicaFailure"
    assert rs["status"]["conditions"][0]["reason"] == "FailedCreate"
    # the webhook denial repeats the same message: one Event, count+1
    worker = [e for e in rs_events if e["involvedObject"]["name"].startswith("worker-")]
    assert len(worker) == 1 and worker[0]["count"] > 5
    assert worker[0]["message"].startswith(
        'Error creating: admission webhook "validate.policy.example.com" denied'
    )
    # Job: Pod Security; StatefulSet: missing ServiceAccount, then created once it exists
    job = _events(sim, "Job", "FailedCreate")
    assert job and job[0]["reportingComponent"] == "job-controller"
    assert 'violates PodSecurity "restricted:latest"' in job[0]["message"]
    [sts] = _events(sim, "StatefulSet", "FailedCreate")
    assert sts["message"] == (
        'create Pod db-0 in StatefulSet db failed error: pods "db-0" is forbidden: error looking up service '
        'account default/deployer: serviceaccount "deployer" not found'
    )
    assert sts["count"] > 5 and "db-0" in pods
    [ok] = _events(sim, "StatefulSet", "SuccessfulCreate")
    assert ok["message"] == "create Pod db-0 in StatefulSet db successful"
    [scaled, _worker] = _events(sim, "Deployment", "ScalingReplicaSet")
    assert scaled["type"] == "Normal" and scaled["reportingComponent"] == "deployment-controller"
    assert scaled["message"] == f"Scaled up replica set {rs['metadata']['name']} from 0 to 2"


def test_controller_normal_events_are_off_in_existing_scenarios():
    sim = _sim("healthy", 30)
    assert {e["involvedObject"]["kind"] for e in _events(sim)} == {"Pod"}


def test_node_not_ready_events_and_stuck_pods():
    sim = _sim("node-not-ready", 90)
    [node_ev] = _events(sim, "Node")
    assert node_ev["reason"] == "NodeNotReady" and node_ev["type"] == "Normal"
    assert node_ev["message"] == "Node kubesim-node-2 status is now: NodeNotReady"
    assert node_ev["metadata"]["namespace"] == "default" and "namespace" not in node_ev["involvedObject"]
    node = sim.store.get("nodes", "", "kubesim-node-2")
    ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "Unknown" and ready["reason"] == "NodeStatusUnknown"
    stuck = [p for _k, p in sim.store.items("pods") if p["spec"]["nodeName"] == "kubesim-node-2"]
    assert len(stuck) == 1
    pod = stuck[0]
    # the wait-for-db init container would have finished at ~60 s: the Pod stays as last reported
    assert pod["status"]["phase"] == "Pending"
    assert "running" in pod["status"]["initContainerStatuses"][0]["state"]
    [pod_ev] = _events(sim, "Pod", "NodeNotReady")
    assert pod_ev["involvedObject"]["name"] == pod["metadata"]["name"]
    assert (pod_ev["type"], pod_ev["message"], pod_ev["reportingComponent"]) == (
        "Warning",
        "Node is not ready",
        "node-controller",
    )
    others = [p for _k, p in sim.store.items("pods") if p["spec"]["nodeName"] != "kubesim-node-2"]
    assert all(p["status"]["phase"] == "Running" for p in others)


def test_disk_pressure_events_and_pulls_failing():
    sim = _sim("disk-pressure", 120)
    reasons = {(e["reason"], e["type"]) for e in _events(sim, "Node")}
    assert reasons == {
        ("NodeHasDiskPressure", "Normal"),
        ("FreeDiskSpaceFailed", "Warning"),
        ("EvictionThresholdMet", "Warning"),
    }
    kubelet_ev = _events(sim, "Node", "NodeHasDiskPressure")[0]
    assert kubelet_ev["involvedObject"]["uid"] == "kubesim-node-3"  # the kubelet's node reference
    assert kubelet_ev["source"] == {"component": "kubelet", "host": "kubesim-node-3"}
    pod = sim.store.get("pods", "default", "log-agent")
    waiting = pod["status"]["initContainerStatuses"][0]["state"]["waiting"]
    assert waiting["reason"] in ("ErrImagePull", "ImagePullBackOff")
    assert "no space left on device" in waiting["message"]


def test_pvc_provisioning_failed_and_wait_for_first_consumer():
    sim = _sim("pvc-pending", 60)
    [failed] = _events(sim, "PersistentVolumeClaim", "ProvisioningFailed")
    assert failed["type"] == "Warning" and failed["reportingComponent"] == "persistentvolume-controller"
    assert failed["message"] == 'storageclass.storage.k8s.io "fast-ssd" not found' and failed["count"] >= 4
    [wait] = _events(sim, "PersistentVolumeClaim", "WaitForFirstConsumer")
    assert (
        wait["type"] == "Normal"
        and wait["message"] == "waiting for first consumer to be created before binding"
    )
    [pod] = [p for _k, p in sim.store.items("pods")]
    assert pod["status"]["phase"] == "Pending" and not pod["spec"].get("nodeName")
    [sched] = _events(sim, "Pod", "FailedScheduling")
    assert sched["message"] == (
        "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: "
        "0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )
    pvc = sim.store.get("persistentvolumeclaims", "default", "data-db")
    assert pvc["status"]["phase"] == "Pending"


def test_sandbox_that_cannot_be_created():
    sim = _sim("sandbox-failure", 60)
    [pod] = [p for _k, p in sim.store.items("pods")]
    cond = next(c for c in pod["status"]["conditions"] if c["type"] == "PodReadyToStartContainers")
    assert cond["status"] == "False"
    assert "podIP" not in pod["status"]
    assert pod["status"]["initContainerStatuses"][0]["state"] == {"waiting": {"reason": "PodInitializing"}}
    evs = _events(sim, "Pod", "FailedCreatePodSandBox")
    assert len(evs) >= 4 and all(e["type"] == "Warning" for e in evs)
    assert evs[0]["message"].startswith(
        "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "
    )


def test_pod_ready_to_start_containers_turns_true_with_the_sandbox():
    sim = KubeSim("healthy", clock=ManualClock(start=START))
    sim.boot()
    seen = []
    sim.store.subscribe(
        "pods",
        lambda ch: seen.append(
            next(
                (
                    c["status"]
                    for c in ch.obj["status"].get("conditions") or []
                    if c["type"] == "PodReadyToStartContainers"
                ),
                None,
            )
        ),
    )
    sim.advance(30)
    statuses = [s for s in seen if s is not None]
    assert statuses[0] == "False" and statuses[-1] == "True"
