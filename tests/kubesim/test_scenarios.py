"""Kubelet semantics per scenario (docs/kubernetes.md §1-§5), on a ManualClock, without HTTP."""

from __future__ import annotations

import re

from kubesim import KubeSim, ManualClock
from kubesim.printers import pod_status_text

from .helpers import START, current, run


async def test_healthy_startup_sequence(make_sim):
    sim, rec = await run(make_sim, "healthy", 30)
    texts = rec.texts()
    assert texts[:2] == ["Pending", "Init:0/2"]
    assert texts[-3:] == ["Init:1/2", "PodInitializing", "Running"]
    pod = current(sim)
    st = pod["status"]
    assert st["phase"] == "Running" and st["qosClass"] == "BestEffort"
    conds = {c["type"]: c for c in st["conditions"]}
    assert [c["type"] for c in st["conditions"]] == [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ]
    assert all(c["status"] == "True" and c["lastProbeTime"] is None for c in conds.values())
    inits = st["initContainerStatuses"]
    assert all(
        c["ready"] and not c["started"] and c["state"]["terminated"]["reason"] == "Completed" for c in inits
    )
    app = st["containerStatuses"][0]
    assert app["started"] and app["ready"] and app["containerID"].startswith("containerd://")
    assert re.fullmatch(r"containerd://[0-9a-f]{64}", app["containerID"])
    assert re.fullmatch(r"acme/web@sha256:[0-9a-f]{64}", app["imageID"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", app["state"]["running"]["startedAt"])
    # first kubelet report: every container waiting PodInitializing, Initialized False with the list
    first = next(p for p in rec.pods() if p["status"].get("initContainerStatuses"))
    assert {
        c["state"]["waiting"]["reason"]
        for c in first["status"]["initContainerStatuses"] + first["status"]["containerStatuses"]
    } == {"PodInitializing"}
    init_cond = next(c for c in first["status"]["conditions"] if c["type"] == "Initialized")
    assert init_cond["reason"] == "ContainersNotInitialized"
    assert init_cond["message"] == "containers with incomplete status: [wait-for-db migrate]"
    assert [e["message"] for e in rec.events("Created")][:1] == ["Container created"]
    assert rec.events("Started")[0]["message"] == "Container started"
    pulled = rec.events("Pulled")[0]["message"]
    assert re.fullmatch(
        r'Successfully pulled image "busybox:1.36" in [\d.]+m?s \([\d.]+m?s including waiting\)\. '
        r"Image size: \d+ bytes\.",
        pulled,
    )
    owner = pod["metadata"]["ownerReferences"][0]
    assert owner["kind"] == "ReplicaSet" and owner["controller"] is True
    assert pod["metadata"]["name"].startswith(owner["name"] + "-")
    assert pod["metadata"]["labels"]["pod-template-hash"] in owner["name"]


async def test_crash_loop_back_off(make_sim):
    sim, rec = await run(make_sim, "crash-loop", 200)
    migrate = rec.statuses("migrate")
    waits = [
        c["state"]["waiting"]["message"]
        for c in migrate
        if c["state"].get("waiting", {}).get("reason") == "CrashLoopBackOff"
    ]
    delays = []
    for m in waits:
        d = re.match(
            r"back-off (\S+) restarting failed container=migrate pod=api-\S+_default\([0-9a-f-]{36}\)$", m
        )
        assert d, m
        if not delays or delays[-1] != d.group(1):
            delays.append(d.group(1))
    assert delays[:3] == ["10s", "20s", "40s"]
    # first restart immediate: restartCount 1 is running before any CrashLoopBackOff was shown
    first_back = next(i for i, c in enumerate(migrate) if "waiting" in c["state"] and c["restartCount"] > 0)
    assert migrate[first_back]["restartCount"] == 1
    pod = current(sim)
    cs = pod["status"]["initContainerStatuses"][1]
    assert cs["restartCount"] >= 4 and cs["lastState"]["terminated"]["exitCode"] == 1
    assert cs["lastState"]["terminated"]["reason"] == "Error"
    assert pod["status"]["phase"] == "Pending"
    ready, status, restarts = pod_status_text(pod, sim.clock.now())
    assert status in ("Init:CrashLoopBackOff", "Init:1/2", "Init:Error") and restarts.startswith(
        f"{cs['restartCount']} ("
    )
    backoff = rec.events("BackOff")
    assert backoff[0]["type"] == "Warning" and backoff[0]["count"] >= 3
    assert (
        backoff[0]["message"] == f"Back-off restarting failed container migrate in pod "
        f"{pod['metadata']['name']}_default({pod['metadata']['uid']})"
    )
    assert backoff[0]["involvedObject"]["fieldPath"] == "spec.initContainers{migrate}"


async def test_back_off_caps_at_five_minutes(make_sim):
    sim, rec = await run(make_sim, "crash-loop", 1500)
    msgs = {
        c["state"]["waiting"]["message"].split()[1]
        for c in rec.statuses("migrate")
        if c["state"].get("waiting", {}).get("reason") == "CrashLoopBackOff"
    }
    assert {"10s", "20s", "40s", "1m20s", "2m40s", "5m0s"} <= msgs


async def test_never_policy_fails_the_pod(make_sim):
    sim, rec = await run(make_sim, "never-fails", 30)
    pod = current(sim)
    st = pod["status"]
    assert st["phase"] == "Failed"
    assert pod_status_text(pod, sim.clock.now()) == ("0/1", "Init:Error", "0")
    migrate = st["initContainerStatuses"][1]
    assert migrate["restartCount"] == 0 and migrate["state"]["terminated"]["exitCode"] == 2
    assert st["containerStatuses"][0]["state"] == {"waiting": {"reason": "PodInitializing"}}
    ready = next(c for c in st["conditions"] if c["type"] == "Ready")
    assert ready["reason"] == "PodFailed"


async def test_oom_killed(make_sim):
    sim, rec = await run(make_sim, "oom", 8)
    terms = [c["state"]["terminated"] for c in rec.statuses("warm-cache") if "terminated" in c["state"]]
    assert terms[0]["exitCode"] == 137 and terms[0]["reason"] == "OOMKilled"
    sim.advance(40)
    cs = current(sim)["status"]["initContainerStatuses"][0]
    assert (
        cs["lastState"]["terminated"]["reason"] == "OOMKilled" and cs["state"]["terminated"]["exitCode"] == 0
    )


async def test_config_error_then_recovery(make_sim):
    sim, rec = await run(make_sim, "config-error", 20)
    cs = current(sim)["status"]["initContainerStatuses"][0]
    assert cs["state"]["waiting"] == {
        "reason": "CreateContainerConfigError",
        "message": 'configmap "app-settings" not found',
    }
    assert cs["restartCount"] == 0 and "containerID" not in cs and cs["imageID"] == ""
    failed = rec.events("Failed")
    assert (
        failed[0]["message"] == 'Error: configmap "app-settings" not found' and failed[0]["type"] == "Warning"
    )
    assert failed[0]["count"] >= 2
    assert not sim.truth.attempts()
    sim.advance(60)
    assert current(sim)["status"]["phase"] == "Running"
    assert current(sim)["status"]["initContainerStatuses"][0]["restartCount"] == 0


async def test_image_pull_back_off(make_sim):
    sim, rec = await run(make_sim, "image-pull", 20)
    reasons = [c["state"].get("waiting", {}).get("reason") for c in rec.statuses("fetch-assets")]
    assert "ErrImagePull" in reasons and "ImagePullBackOff" in reasons
    cs = current(sim)["status"]["initContainerStatuses"][0]
    msg = cs["state"]["waiting"]["message"]
    assert msg.startswith('Back-off pulling image "registry.example.com/acme/assets:9.9": ErrImagePull: ')
    failed = [e["message"] for e in rec.events("Failed")]
    assert "Error: ErrImagePull" in failed and "Error: ImagePullBackOff" in failed
    assert any(m.startswith('Failed to pull image "registry.example.com/acme/assets:9.9": ') for m in failed)
    backoff = rec.events("BackOff")[0]
    assert (
        backoff["type"] == "Normal"
        and backoff["message"] == 'Back-off pulling image "registry.example.com/acme/assets:9.9"'
    )
    assert cs["restartCount"] == 0
    sim.advance(120)
    assert current(sim)["status"]["phase"] == "Running"
    assert any(e["message"].startswith("Successfully pulled image") for e in rec.events("Pulled"))


async def test_pulls_are_serialized_per_node(make_sim):
    sim, rec = await run(make_sim, "healthy", 30, nodes=1)
    totals = []
    for e in rec.events("Pulled"):
        m = re.match(
            r'Successfully pulled image "acme/web:1.4.2" in ([\d.]+)s \(([\d.]+)s including waiting\)',
            e["message"],
        )
        if m:
            totals.append(float(m.group(2)) - float(m.group(1)))
    assert len(totals) == 2 and max(totals) >= 0.5  # the second pull waited for the first
    sim.advance(30)
    sim.controllers.rollout("default", "web")
    sim.advance(30)
    already = [e for e in rec.events("Pulled") if "already present on machine" in e["message"]]
    assert already[0]["message"].endswith("already present on machine and can be accessed by the pod")


async def test_native_sidecar(make_sim):
    sim, rec = await run(make_sim, "sidecar", 4)
    proxy = rec.statuses("proxy")
    running = [c for c in proxy if "running" in c["state"]]
    assert running and not running[0]["started"] and not running[0]["ready"]
    assert pod_status_text(current(sim), sim.clock.now())[1] == "Init:0/2"
    sim.advance(30)
    pod = current(sim)
    proxy = pod["status"]["initContainerStatuses"][0]
    assert proxy["started"] and proxy["ready"] and "running" in proxy["state"]
    assert pod_status_text(pod, sim.clock.now()) == ("2/2", "Running", "0")
    migrate_start = pod["status"]["initContainerStatuses"][1]["state"]["terminated"]["startedAt"]
    assert migrate_start >= proxy["state"]["running"]["startedAt"]


async def test_sidecar_crash_after_init(make_sim):
    sim, rec = await run(make_sim, "sidecar-crash", 40)
    texts = rec.texts()
    assert "Init:CrashLoopBackOff" in texts
    pod = current(sim)
    assert pod["status"]["phase"] == "Running"
    crash = next(p for p in rec.pods() if pod_status_text(p, 0)[1] == "Init:CrashLoopBackOff")
    assert crash["status"]["phase"] == "Running"
    assert pod_status_text(crash, 0)[0] == "1/2"


async def test_sandbox_recreation_reruns_init(make_sim):
    sim, rec = await run(make_sim, "sandbox-recreate", 60)
    assert (
        rec.events("SandboxChanged")[0]["message"] == "Pod sandbox changed, it will be killed and re-created."
    )
    pod = current(sim)
    st = pod["status"]
    assert all(c["restartCount"] == 0 for c in st["initContainerStatuses"])
    app = st["containerStatuses"][0]
    assert app["restartCount"] == 1 and app["lastState"]["terminated"]["exitCode"] == 255
    not_ready = [
        p
        for p in rec.pods()
        if any(
            c["type"] == "PodReadyToStartContainers" and c["status"] == "False"
            for c in p["status"].get("conditions") or []
        )
    ]
    assert not_ready and not_ready[-1]["status"]["phase"] == "Pending"
    attempts = [(a["container"], a["number"]) for a in sim.truth.attempts()]
    assert attempts.count(("wait-for-db", 0)) == 2 and attempts.count(("migrate", 0)) == 2


async def test_active_deadline(make_sim):
    sim, rec = await run(make_sim, "deadline", 40)
    pod = current(sim)
    assert pod["status"]["phase"] == "Failed" and pod["status"]["reason"] == "DeadlineExceeded"
    assert pod["status"]["message"] == "Pod was active on the node longer than the specified deadline"
    ev = rec.events("DeadlineExceeded")[0]
    assert ev["type"] == "Normal" and "fieldPath" not in ev["involvedObject"]


async def test_unschedulable_then_scheduled(make_sim):
    sim, rec = await run(make_sim, "unschedulable", 20)
    pod = current(sim)
    cond = pod["status"]["conditions"][0]
    assert cond["type"] == "PodScheduled" and cond["status"] == "False" and cond["reason"] == "Unschedulable"
    assert cond["message"].startswith("0/3 nodes are available: 3 Insufficient cpu. preemption: ")
    assert "nodeName" not in pod["spec"]
    ev = rec.events("FailedScheduling")[0]
    assert ev["type"] == "Warning" and ev["series"]["count"] >= 2
    sim.advance(60)
    pod = current(sim)
    assert pod["spec"]["nodeName"] and pod["status"]["phase"] == "Running"


async def test_mount_failure_keeps_pod_initializing(make_sim):
    sim, rec = await run(make_sim, "mount", 100)
    pod = current(sim)
    assert pod_status_text(pod, sim.clock.now())[1] == "Init:0/1"
    ready_to_start = next(c for c in pod["status"]["conditions"] if c["type"] == "PodReadyToStartContainers")
    assert ready_to_start["status"] == "False"
    ev = rec.events("FailedMount")[0]
    assert ev["message"] == 'MountVolume.SetUp failed for volume "config" : configmap "app-config" not found'
    assert ev["count"] > 3 and ev["type"] == "Warning"
    sim.advance(300)
    assert current(sim)["status"]["phase"] == "Running"


async def test_statefulset_pod_recreated_with_new_uid(make_sim):
    sim, rec = await run(make_sim, "statefulset-recreate", 100)
    uids = {p["metadata"]["uid"] for p in rec.pods("db-0")}
    assert len(uids) >= 2
    deleted = [o for _, t, o in rec.changes if t == "DELETED"]
    assert deleted and deleted[0]["metadata"]["name"] == "db-0"
    pod = sim.store.get("pods", "default", "db-0")
    assert pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == "db-0"
    assert pod["metadata"]["ownerReferences"][0]["kind"] == "StatefulSet"


async def test_short_containers_can_skip_running_in_status(make_sim):
    scenario = {
        "workloads": [
            {
                "kind": "Pod",
                "name": "quick",
                "restartPolicy": "Never",
                "initContainers": [
                    {
                        "name": f"i{n}",
                        "image": "busybox:1.36",
                        "behavior": {"duration": 0.2, "pull_time": 0.1},
                    }
                    for n in range(4)
                ],
                "containers": [{"name": "app", "image": "busybox:1.36", "behavior": {"duration": 1}}],
            }
        ]
    }
    sim, rec = await run(make_sim, scenario, 20)
    seen_running = {
        c for c in ("i0", "i1", "i2", "i3") if any("running" in s["state"] for s in rec.statuses(c))
    }
    assert seen_running != {"i0", "i1", "i2", "i3"}
    assert current(sim)["status"]["phase"] == "Succeeded"
    assert pod_status_text(current(sim), sim.clock.now())[1] == "Completed"
    reports = [t for t, _, _ in rec.changes]
    assert len(reports) < 12  # batched, not one write per transition


async def test_same_seed_same_run(make_sim):
    a = KubeSim("crash-loop", clock=ManualClock(start=START), seed=7)
    b = KubeSim("crash-loop", clock=ManualClock(start=START), seed=7)
    for sim in (a, b):
        sim._setup_cluster()
        sim.events.start()
        sim.scenario.setup(sim)
        sim.advance(120)
    assert a.truth.attempts() == b.truth.attempts()
    assert a.store.rv == b.store.rv


async def test_job_and_cronjob_owner_chain(make_sim):
    sim, rec = await run(make_sim, "demo", 60)
    job_pod = current(sim, "report-")
    job_ref = job_pod["metadata"]["ownerReferences"][0]
    assert (
        job_ref["kind"] == "Job"
        and job_pod["metadata"]["labels"]["batch.kubernetes.io/job-name"] == job_ref["name"]
    )
    job = sim.store.get("jobs", "batch", job_ref["name"])
    assert job["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    assert re.fullmatch(r"report-\d{8}", job_ref["name"])
    assert job_pod["metadata"]["labels"]["batch.kubernetes.io/controller-uid"] == job["metadata"]["uid"]


async def test_churn_keeps_store_bounded(make_sim):
    sim, rec = await run(
        make_sim, "churn", 30, scenario_options={"pods_per_second": 20, "init_containers": 2}
    )
    assert len(sim.store.objects["pods"]) < 150
    assert len(sim.truth.deletions()) > 400
    assert {a["kind"] for a in sim.truth.attempts()} == {"init", "app"}


async def test_large_stores_settled_pods_in_bulk(make_sim):
    """`large`: Deployments whose Pods are stored as the kubelet reports them once started, each with its
    own identity; nothing runs them afterwards, and a deleted one is replaced through the normal path."""
    sim = await make_sim("large", scenario_options={"pods": 250, "replicas": 100}, nodes=4)
    pods = list(sim.store.objects["pods"].values())
    assert len(pods) == 250
    assert (
        sorted(len(rs["metadata"]["name"]) > 0 for rs in sim.store.objects["replicasets"].values())
        == [True] * 3
    )
    owners = {p["metadata"]["ownerReferences"][0]["uid"] for p in pods}
    assert owners == {rs["metadata"]["uid"] for rs in sim.store.objects["replicasets"].values()}
    assert {pod_status_text(p, sim.clock.now()) for p in pods} == {("1/1", "Running", "0")}
    for key in ("uid", "name"):
        assert len({p["metadata"][key] for p in pods}) == 250
    assert len({p["status"]["podIP"] for p in pods}) == 250
    ids = [
        s["containerID"]
        for p in pods
        for s in p["status"]["initContainerStatuses"] + p["status"]["containerStatuses"]
    ]
    assert len(set(ids)) == len(ids) == 750
    first = pods[0]["status"]["initContainerStatuses"][0]
    assert first["state"]["terminated"]["containerID"] == first["containerID"], (
        "its state names its own container"
    )
    assert {p["spec"]["nodeName"] for p in pods} <= set(sim.nodes)
    assert all(p["status"]["hostIP"] == sim.nodes[p["spec"]["nodeName"]].ip for p in pods)
    rv = sim.store.rv
    sim.advance(120)
    assert sim.store.rv == rv, "neither scheduler nor kubelet touches a settled Pod"
    gone = pods[0]["metadata"]
    sim.delete_pod(gone["namespace"], gone["name"], 0)
    sim.advance(60)
    replaced = [
        p
        for p in sim.store.objects["pods"].values()
        if p["metadata"]["ownerReferences"][0]["uid"] == gone["ownerReferences"][0]["uid"]
    ]
    assert len(replaced) == 100 and gone["uid"] not in {p["metadata"]["uid"] for p in replaced}
    assert all(pod_status_text(p, sim.clock.now())[1] == "Running" for p in replaced)
