"""The one set of builders of Pod and Event objects for every test: API-exact (docs/kubernetes.md §2, §5),
field by field as a 1.3x API server sends them, compact, so that each test reads as the sequence of
objects a watcher saw; and a few whole sequences that several tests replay."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

BASE = datetime(2025, 6, 1, 10, 0, 0, tzinfo=UTC)
UID = "6f0c2a1e-3b7d-4c55-9a40-1d2e3f4a5b6c"
NS = "shop"
NAME = "api-7d9f8c6b5-x2x9q"
NODE = "node-a"


def at(seconds: float) -> datetime:
    return BASE + timedelta(seconds=seconds)


def ts(seconds: float) -> str:
    return at(seconds).strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(seconds: float) -> datetime:
    """The moment `seconds` before now, to the second: a base for `rebased`."""
    return datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=seconds)


_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def rebased(obj, base: datetime):
    """A copy of `obj` (a Pod, an Event or a list of them) with every time moved as if BASE were `base`:
    for the tests whose code under test compares times with the wall clock (stuck, slow, live)."""
    shift = base.replace(microsecond=0) - BASE
    if isinstance(obj, dict):
        return {key: rebased(value, base) for key, value in obj.items()}
    if isinstance(obj, list):
        return [rebased(value, base) for value in obj]
    if isinstance(obj, str) and _TIMESTAMP.fullmatch(obj):
        moved = datetime.strptime(obj[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC) + shift
        return moved.strftime("%Y-%m-%dT%H:%M:%S") + obj[19:]
    return obj


def cid(name: str, n: int, generation: int = 0) -> str:
    return f"containerd://{name}-{generation}-{n:04d}" + "ab" * 24


def spec_container(
    name: str, image: str | None = None, *, sidecar: bool = False, startup_probe: bool = False
) -> dict:
    c: dict = {
        "name": name,
        "image": image or f"acme/{name}:1.4",
        "imagePullPolicy": "IfNotPresent",
        "env": [{"name": "DB_PASSWORD", "value": "hunter2"}],
        "resources": {},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "volumeMounts": [
            {
                "name": "kube-api-access-abcde",
                "readOnly": True,
                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
            }
        ],
    }
    if sidecar:
        c["restartPolicy"] = "Always"
    if startup_probe:
        c["startupProbe"] = {"exec": {"command": ["true"]}, "periodSeconds": 1}
    return c


def waiting(
    name: str,
    reason: str = "PodInitializing",
    message: str | None = None,
    *,
    rc: int = 0,
    last: dict | None = None,
    image: str | None = None,
    container_id: str | None = None,
) -> dict:
    w: dict = {"reason": reason}
    if message is not None:
        w["message"] = message
    s = {
        "name": name,
        "image": image or f"acme/{name}:1.4",
        "imageID": "",
        "ready": False,
        "restartCount": rc,
        "started": False,
        "state": {"waiting": w},
        "lastState": last or {},
    }
    if last and "terminated" in last:
        s["containerID"] = container_id or last["terminated"].get("containerID", "")
        s["imageID"] = f"docker.io/acme/{name}@sha256:9c1"
    return s


def _started(name: str, *, container_id: str, ready: bool, rc: int, state: dict, last: dict | None) -> dict:
    """The status of a container that has a container (running or terminated)."""
    return {
        "name": name,
        "image": f"acme/{name}:1.4",
        "imageID": f"docker.io/acme/{name}@sha256:9c1",
        "containerID": container_id,
        "ready": ready,
        "restartCount": rc,
        "state": state,
        "lastState": last or {},
    }


def running(
    name: str,
    started: float,
    *,
    rc: int = 0,
    gen: int = 0,
    ready: bool = False,
    started_flag: bool | None = True,
    last: dict | None = None,
) -> dict:
    state = {"running": {"startedAt": ts(started)}}
    s = _started(name, container_id=cid(name, rc, gen), ready=ready, rc=rc, state=state, last=last)
    if started_flag is not None:
        s["started"] = started_flag
    return s


def term(
    exit_code: int,
    started: float,
    finished: float,
    *,
    name: str,
    n: int,
    gen: int = 0,
    reason: str | None = None,
    message: str | None = None,
) -> dict:
    t: dict = {
        "exitCode": exit_code,
        "reason": reason or ("Completed" if exit_code == 0 else "Error"),
        "startedAt": ts(started),
        "finishedAt": ts(finished),
        "containerID": cid(name, n, gen),
    }
    if message is not None:
        t["message"] = message
    return t


def terminated(
    name: str,
    exit_code: int,
    started: float,
    finished: float,
    *,
    rc: int = 0,
    gen: int = 0,
    reason: str | None = None,
    message: str | None = None,
    last: dict | None = None,
) -> dict:
    t = term(exit_code, started, finished, name=name, n=rc, gen=gen, reason=reason, message=message)
    state = {"terminated": t}
    s = _started(name, container_id=t["containerID"], ready=exit_code == 0, rc=rc, state=state, last=last)
    s["started"] = False
    return s


def last(exit_code: int, started: float, finished: float, **term_options) -> dict:
    """A lastState: the terminated state that `term` builds, with the same arguments."""
    return {"terminated": term(exit_code, started, finished, **term_options)}


def cond(
    kind: str, status: bool | str, when: float, reason: str | None = None, message: str | None = None
) -> dict:
    c = {
        "type": kind,
        "status": status if isinstance(status, str) else ("True" if status else "False"),
        "lastProbeTime": None,
        "lastTransitionTime": ts(when),
    }
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


def pod(
    *,
    rv: int | str,
    init: list[str] = ("db", "migrate"),
    apps: list[str] = ("app",),
    sidecars: tuple[str, ...] = (),
    startup_probes: tuple[str, ...] = (),
    phase: str = "Pending",
    conditions: list[dict] | None = None,
    init_statuses: list[dict] | None = None,
    statuses: list[dict] | None = None,
    restart_policy: str = "Always",
    node: str | None = NODE,
    deletion: float | None = None,
    grace: int = 30,
    reason: str | None = None,
    message: str | None = None,
    deadline: int | None = None,
    uid: str = UID,
    start_time: float | None = 1,
    images: dict[str, str] | None = None,
    name: str = NAME,
    namespace: str = NS,
) -> dict:
    """A Pod of a Deployment `api` (ReplicaSet `api-7d9f8c6b5`), as the API server serialises it."""
    images = images or {}
    init_specs = [
        spec_container(n, images.get(n), sidecar=n in sidecars, startup_probe=n in startup_probes)
        for n in init
    ]
    spec: dict = {
        "containers": [spec_container(n, images.get(n)) for n in apps],
        "dnsPolicy": "ClusterFirst",
        "enableServiceLinks": True,
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": 0,
        "restartPolicy": restart_policy,
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "serviceAccountName": "default",
        "terminationGracePeriodSeconds": 30,
        "tolerations": [
            {
                "effect": "NoExecute",
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "tolerationSeconds": 300,
            }
        ],
        "volumes": [{"name": "kube-api-access-abcde", "projected": {"defaultMode": 420, "sources": []}}],
    }
    if init_specs:
        spec["initContainers"] = init_specs
    if node:
        spec["nodeName"] = node
    if deadline is not None:
        spec["activeDeadlineSeconds"] = deadline
    status: dict = {"phase": phase, "qosClass": "BestEffort"}
    if conditions is not None:
        status["conditions"] = conditions
    if node:
        status["hostIP"] = "10.0.0.7"
        status["podIP"] = "10.244.1.9"
    if start_time is not None and node:
        status["startTime"] = ts(start_time)
    if init_statuses is not None:
        status["initContainerStatuses"] = init_statuses
    if statuses is not None:
        status["containerStatuses"] = statuses
    if reason:
        status["reason"] = reason
    if message:
        status["message"] = message
    meta: dict = {
        "name": name,
        "generateName": "api-7d9f8c6b5-",
        "namespace": namespace,
        "uid": uid,
        "resourceVersion": str(rv),
        "creationTimestamp": ts(0),
        "labels": {"app": "api", "pod-template-hash": "7d9f8c6b5"},
        "ownerReferences": [
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": "api-7d9f8c6b5",
                "uid": "rs-uid",
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ],
        "managedFields": [{"manager": "kubelet", "operation": "Update", "fieldsV1": {}}],
    }
    if deletion is not None:
        # `deletion` is when the deletion was requested: the API sets deletionTimestamp to that plus the
        # grace period (the deadline; the kubelet's final update has grace 0), docs/kubernetes.md §6.
        meta["deletionTimestamp"] = ts(deletion + grace)
        meta["deletionGracePeriodSeconds"] = grace
    return {"kind": "Pod", "apiVersion": "v1", "metadata": meta, "spec": spec, "status": status}


def pending_conditions(scheduled: float = 1, ready_to_start: bool | None = True) -> list[dict]:
    out = []
    if ready_to_start is not None:
        out.append(cond("PodReadyToStartContainers", ready_to_start, scheduled + 1))
    out += [
        cond(
            "Initialized",
            False,
            scheduled,
            "ContainersNotInitialized",
            "containers with incomplete status: [db migrate]",
        ),
        cond("Ready", False, scheduled, "ContainersNotReady", "containers with unready status: [app]"),
        cond(
            "ContainersReady", False, scheduled, "ContainersNotReady", "containers with unready status: [app]"
        ),
        cond("PodScheduled", True, scheduled),
    ]
    return out


def initialized_conditions(scheduled: float, initialized: float, ready: float | None = None) -> list[dict]:
    return [
        cond("PodReadyToStartContainers", True, scheduled + 1),
        cond("Initialized", True, initialized),
        cond(
            "Ready",
            ready is not None,
            ready if ready is not None else initialized,
            None if ready is not None else "ContainersNotReady",
        ),
        cond(
            "ContainersReady",
            ready is not None,
            ready if ready is not None else initialized,
            None if ready is not None else "ContainersNotReady",
        ),
        cond("PodScheduled", True, scheduled),
    ]


def watch(kind: str, obj: dict) -> dict:
    return {"type": kind, "object": obj}


# Events are numbered across the whole run; the numbers are written at a fixed width, so an Event's
# length never depends on how many came before (a Hypothesis strategy that draws an Event must draw the
# same bytes whenever it replays the same choices: a truncated line's draw depends on the length).
_EVENT_N = [0]


def event(
    reason: str,
    message: str,
    *,
    when: float,
    container: str | None = None,
    init: bool = True,
    etype: str = "Normal",
    count: int = 1,
    uid: str | None = None,
    last_when: float | None = None,
    pod_uid: str = UID,
    pod_name: str = NAME,
    namespace: str = NS,
) -> dict:
    """A core/v1 Event from the kubelet."""
    _EVENT_N[0] += 1
    involved = {
        "kind": "Pod",
        "namespace": namespace,
        "name": pod_name,
        "uid": pod_uid,
        "apiVersion": "v1",
        "resourceVersion": "100",
    }
    if container:
        involved["fieldPath"] = f"spec.{'initContainers' if init else 'containers'}{{{container}}}"
    return {
        "kind": "Event",
        "apiVersion": "v1",
        "metadata": {
            "name": f"{pod_name}.18{_EVENT_N[0]:06x}",
            "namespace": namespace,
            "uid": uid or f"ev-{reason}-{container}-{_EVENT_N[0]:08d}",
            "resourceVersion": str(1_000_000 + _EVENT_N[0]),
            "creationTimestamp": ts(when),
        },
        "involvedObject": involved,
        "reason": reason,
        "message": message,
        "source": {"component": "kubelet", "host": NODE},
        "firstTimestamp": ts(when),
        "lastTimestamp": ts(last_when if last_when is not None else when),
        "count": count,
        "type": etype,
        "eventTime": None,
        "reportingComponent": "kubelet",
        "reportingInstance": NODE,
    }


def events_k8s_io(
    reason: str,
    note: str,
    *,
    when: float,
    uid: str,
    series_count: int | None = None,
    container: str | None = None,
    etype: str = "Warning",
    last_when: float | None = None,
) -> dict:
    """An events.k8s.io/v1 Event (as the scheduler writes them)."""
    regarding = {"kind": "Pod", "namespace": NS, "name": NAME, "uid": UID, "apiVersion": "v1"}
    if container:
        regarding["fieldPath"] = f"spec.initContainers{{{container}}}"
    obj = {
        "kind": "Event",
        "apiVersion": "events.k8s.io/v1",
        "metadata": {
            "name": f"{NAME}.17f",
            "namespace": NS,
            "uid": uid,
            "resourceVersion": "555",
            "creationTimestamp": ts(when),
        },
        "eventTime": at(when).strftime("%Y-%m-%dT%H:%M:%S.123456Z"),
        "reportingController": "default-scheduler",
        "reportingInstance": "default-scheduler-cp-1",
        "action": "Scheduling",
        "reason": reason,
        "regarding": regarding,
        "note": note,
        "type": etype,
    }
    if series_count is not None:
        obj["series"] = {
            "count": series_count,
            "lastObservedTime": at(last_when or when).strftime("%Y-%m-%dT%H:%M:%S.654321Z"),
        }
    return obj


# ----------------------------------------------------------------------------------- whole sequences


def healthy_sequence():
    """Three init containers (db, cache, migrate), one app container, every transition seen."""
    init = ["db", "cache", "migrate"]
    pc = pending_conditions()
    w = [waiting(n) for n in init]
    return [
        watch("ADDED", pod(rv=100, init=init, node=None, start_time=None)),
        watch("MODIFIED", pod(rv=101, init=init, conditions=pc, init_statuses=w, statuses=[waiting("app")])),
        watch(
            "MODIFIED",
            pod(
                rv=102,
                init=init,
                conditions=pc,
                init_statuses=[running("db", 3)] + w[1:],
                statuses=[waiting("app")],
            ),
        ),
        watch(
            "MODIFIED",
            pod(
                rv=103,
                init=init,
                conditions=pc,
                init_statuses=[terminated("db", 0, 3, 10), running("cache", 11), w[2]],
                statuses=[waiting("app")],
            ),
        ),
        watch(
            "MODIFIED",
            pod(
                rv=104,
                init=init,
                conditions=pc,
                init_statuses=[
                    terminated("db", 0, 3, 10),
                    terminated("cache", 0, 11, 12),
                    running("migrate", 13),
                ],
                statuses=[waiting("app")],
            ),
        ),
        watch(
            "MODIFIED",
            pod(
                rv=105,
                init=init,
                conditions=initialized_conditions(1, 40),
                init_statuses=[
                    terminated("db", 0, 3, 10),
                    terminated("cache", 0, 11, 12),
                    terminated("migrate", 0, 13, 40),
                ],
                statuses=[waiting("app")],
            ),
        ),
        watch(
            "MODIFIED",
            pod(
                rv=106,
                init=init,
                phase="Running",
                conditions=initialized_conditions(1, 40, 45),
                init_statuses=[
                    terminated("db", 0, 3, 10),
                    terminated("cache", 0, 11, 12),
                    terminated("migrate", 0, 13, 40),
                ],
                statuses=[running("app", 41, ready=True)],
            ),
        ),
    ]


MIGRATE_ERROR = 'relation "users" does not exist'


def _db_done(rv: int, migrate: dict, **identity) -> dict:
    """A Pending Pod whose `db` succeeded (3-10 s), `migrate` as given, the app waiting."""
    return pod(
        rv=rv,
        conditions=pending_conditions(),
        init_statuses=[terminated("db", 0, 3, 10), migrate],
        statuses=[waiting("app")],
        **identity,
    )


def migrating(*, rv: int = 200, **identity) -> dict:
    """`db` done, `migrate` running since 20 s: Init:1/2, healthy; `identity`: uid, name, namespace."""
    return _db_done(rv, running("migrate", 20), **identity)


def crash_loop_sequence(*, message: str = MIGRATE_ERROR, **identity):
    """`migrating`, then `migrate` fails four times (20, 50, 80, 110 s, 2 s each) into CrashLoopBackOff,
    every failure ending with `message`; `identity`: pod()'s uid, name, namespace."""

    def backing_off(n):  # waiting in back-off after attempt n failed
        return waiting(
            "migrate",
            "CrashLoopBackOff",
            f"back-off {[10, 20, 40, 80][min(n, 3)]}s restarting failed container=migrate pod=x",
            rc=n,
            last=last(1, 20 + 30 * n, 22 + 30 * n, name="migrate", n=n, message=message),
        )

    objs = [
        migrating(**identity),
        _db_done(201, terminated("migrate", 1, 20, 22, message=message), **identity),
    ]
    rv = 202
    for n in range(0, 3):
        objs.append(_db_done(rv, backing_off(n), **identity))
        restarted = running(
            "migrate", 50 + 30 * n, rc=n + 1, last=last(1, 20 + 30 * n, 22 + 30 * n, name="migrate", n=n)
        )
        objs.append(_db_done(rv + 1, restarted, **identity))
        rv += 2
    objs.append(_db_done(rv, backing_off(3), **identity))
    return objs


def sidecar_job_completed():
    """A Job whose native sidecar `proxy` was restarted once (kubectl example 11: Completed)."""
    proxy = terminated("proxy", 143, 30, 61, rc=1, last=last(137, 2, 29, name="proxy", n=0))
    conds = [
        cond("Initialized", True, 3, "PodCompleted"),
        cond("Ready", False, 61, "PodCompleted"),
        cond("ContainersReady", False, 61, "PodCompleted"),
        cond("PodScheduled", True, 1),
    ]
    return pod(
        rv=11,
        init=["proxy"],
        sidecars=("proxy",),
        phase="Succeeded",
        restart_policy="Never",
        conditions=conds,
        init_statuses=[proxy],
        statuses=[terminated("app", 0, 3, 60)],
    )


def sidecar_crash_loop_after_init():
    """A native sidecar crash-looping after init finished (kubectl example 12)."""
    proxy = waiting(
        "proxy",
        "CrashLoopBackOff",
        "back-off 40s restarting failed container=proxy",
        rc=3,
        last=last(1, 100, 110, name="proxy", n=3),
    )
    return pod(
        rv=12,
        init=["proxy", "migrate"],
        sidecars=("proxy",),
        phase="Running",
        conditions=initialized_conditions(1, 20),
        init_statuses=[proxy, terminated("migrate", 0, 5, 20)],
        statuses=[running("app", 21, ready=True)],
    )


def db_done() -> dict:
    """`db` terminated with 0 at 3-10 s."""
    return terminated("db", 0, 3, 10)


def running_pod(rv: int = 1) -> dict:
    """`db` and `migrate` (11-12 s) done, `app` running since 13 s and Ready at 20 s."""
    return pod(
        rv=rv,
        phase="Running",
        conditions=initialized_conditions(1, 12, 20),
        init_statuses=[db_done(), terminated("migrate", 0, 11, 12)],
        statuses=[running("app", 13, ready=True)],
    )


def start_error(n: int, finished: float) -> dict:
    """containerd's StartError termination: startedAt is the Unix epoch (kubernetes#120331)."""
    return {
        "terminated": {
            "exitCode": 128,
            "reason": "StartError",
            "message": 'failed to create containerd task: exec: "/migrate": no such file or directory',
            "startedAt": "1970-01-01T00:00:00Z",
            "finishedAt": ts(finished),
            "containerID": cid("migrate", n),
        }
    }


def start_error_pod(rv: int, rc: int, finished: float, message: str = "back-off 10s") -> dict:
    """`db` done, `migrate` in CrashLoopBackOff after `rc` StartErrors, the last ending at `finished`."""
    return pod(
        rv=rv,
        conditions=pending_conditions(),
        init_statuses=[
            db_done(),
            waiting("migrate", "CrashLoopBackOff", message, rc=rc, last=start_error(rc, finished)),
        ],
    )


def crash_looping_pod(rv: int, rc: int, uid: str = UID, name: str = NAME) -> dict:
    """`migrate` (the only init container shown) in CrashLoopBackOff at restart count `rc`, its last run
    exit 1 at 10–12 s; `app` waiting in PodInitializing."""
    return pod(
        rv=rv,
        uid=uid,
        name=name,
        conditions=pending_conditions(),
        init_statuses=[
            waiting(
                "migrate",
                "CrashLoopBackOff",
                "back-off 10s",
                rc=rc,
                last=last(1, 10, 12, name="migrate", n=rc),
            )
        ],
        statuses=[waiting("app", "PodInitializing")],
    )


def migrate_crash_looping(rv: int, rc: int, finished: float) -> dict:
    """`db` done, `migrate` in CrashLoopBackOff at restart count `rc`, its last run ending at `finished`."""
    return pod(
        rv=rv,
        conditions=pending_conditions(),
        init_statuses=[
            db_done(),
            waiting(
                "migrate",
                "CrashLoopBackOff",
                "back-off 5m0s restarting failed container=migrate",
                rc=rc,
                last=last(1, finished - 1, finished, name="migrate", n=rc),
            ),
        ],
    )
