"""Server-side ``Table`` output (``Accept: application/json;as=Table;v=v1;g=meta.k8s.io``).

:func:`pod_status_text` is kubectl 1.35's ``printPod`` (docs/kubernetes.md §3): READY, STATUS and
RESTARTS exactly as ``kubectl get pods`` prints them. Events get kubectl's event columns; every
other resource gets NAME/AGE.
"""

from __future__ import annotations

from .util import human_duration, parse_rfc3339


def _column(
    name: str, description: str, priority: int = 0, *, type: str = "string", format: str = ""
) -> dict:
    """One ``columnDefinitions`` entry of a Table."""
    return {"name": name, "type": type, "format": format, "description": description, "priority": priority}


_NAME = _column("Name", "Name must be unique within a namespace.", format="name")
_AGE = _column("Age", "CreationTimestamp of the object.")
POD_COLUMNS = [
    _NAME,
    _column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    _column("Status", "The aggregate status of the containers in this pod."),
    _column(
        "Restarts",
        "The number of times the containers in this pod have been restarted and when the last "
        "container in this pod has restarted.",
    ),
    _AGE,
    _column("IP", "podIP is the IP address allocated to the pod.", 1),
    _column("Node", "nodeName of the pod.", 1),
    _column("Nominated Node", "nominatedNodeName.", 1),
    _column("Readiness Gates", "readinessGates.", 1),
]
EVENT_COLUMNS = [
    _column(n, n, p, type=t)
    for n, t, p in [
        ("Last Seen", "string", 0),
        ("Type", "string", 0),
        ("Reason", "string", 0),
        ("Object", "string", 0),
        ("Subobject", "string", 1),
        ("Source", "string", 1),
        ("Message", "string", 0),
        ("First Seen", "string", 1),
        ("Count", "integer", 1),
        ("Name", "string", 1),
    ]
]
GENERIC_COLUMNS = [_NAME, _AGE]
NAMESPACE_COLUMNS = [_NAME, _column("Status", "phase"), _AGE]
PVC_COLUMNS = [
    _NAME,
    _column("Status", "phase"),
    _column("Volume", "volumeName"),
    _column("Capacity", "capacity"),
    _column("Access Modes", "accessModes"),
    _column("StorageClass", "storageClassName"),
    _column("VolumeAttributesClass", "volumeAttributesClassName"),
    _AGE,
    _column("VolumeMode", "volumeMode", 1),
]
_ACCESS = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"}


def pvc_cells(obj: dict, now: float) -> list:
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    return [
        obj["metadata"]["name"],
        st.get("phase", ""),
        spec.get("volumeName", ""),
        (st.get("capacity") or {}).get("storage", ""),
        ",".join(_ACCESS.get(m, m) for m in st.get("accessModes") or []),
        spec.get("storageClassName") or "<unset>",
        spec.get("volumeAttributesClassName") or "<unset>",
        _age(obj["metadata"].get("creationTimestamp"), now),
        spec.get("volumeMode", "Filesystem"),
    ]


def _ts(text: str | None) -> float | None:
    return parse_rfc3339(text) if text else None


def _age(text: str | None, now: float) -> str:
    ts = _ts(text)
    return "<unknown>" if ts is None else human_duration(now - ts)


def _terminated_reason(term: dict, prefix: str = "") -> str:
    if term.get("reason"):
        return prefix + term["reason"]
    if term.get("signal"):
        return f"{prefix}Signal:{term['signal']}"
    return f"{prefix}ExitCode:{term.get('exitCode', 0)}"


def _last_finished(cs: dict) -> float | None:
    term = (cs.get("lastState") or {}).get("terminated")
    return _ts(term.get("finishedAt")) if term else None


class _Tally:
    """Running READY/RESTARTS counters of printPod."""

    def __init__(self) -> None:
        self.ready = 0
        self.restarts = 0
        self.last: float | None = None
        self.sidecar_restarts = 0
        self.sidecar_last: float | None = None

    def count(self, cs: dict, sidecar: bool = False) -> None:
        rc = cs.get("restartCount", 0)
        fin = _last_finished(cs)
        self.restarts += rc
        if fin is not None and (self.last is None or fin > self.last):
            self.last = fin
        if sidecar:
            self.sidecar_restarts += rc
            if fin is not None and (self.sidecar_last is None or fin > self.sidecar_last):
                self.sidecar_last = fin


def _init_reason(statuses: list[dict], sidecars: set[str], n_init: int, tally: _Tally) -> str | None:
    """Walk init container statuses (rule 3); the ``Init:…`` reason if the Pod is initializing."""
    for i, cs in enumerate(statuses):
        is_sidecar = cs.get("name") in sidecars
        tally.count(cs, is_sidecar)
        state = cs.get("state") or {}
        term, wait = state.get("terminated"), state.get("waiting")
        if term and term.get("exitCode") == 0:
            continue
        if is_sidecar and cs.get("started"):
            tally.ready += 1 if cs.get("ready") else 0
            continue
        if term:
            return _terminated_reason(term, "Init:")
        if wait and wait.get("reason") and wait["reason"] != "PodInitializing":
            return "Init:" + wait["reason"]
        return f"Init:{i}/{n_init}"
    return None


def _app_reason(statuses: list[dict], reason: str, pod_ready: bool, tally: _Tally) -> str:
    """Walk app container statuses last to first (rules 4-5)."""
    tally.restarts, tally.last = tally.sidecar_restarts, tally.sidecar_last
    has_running = False
    error_reason = None
    for cs in reversed(statuses):
        tally.count(cs)
        state = cs.get("state") or {}
        term, wait = state.get("terminated"), state.get("waiting")
        if wait and wait.get("reason"):
            reason = wait["reason"]
        elif term:
            reason = _terminated_reason(term)
            if term.get("exitCode", 0) != 0:
                error_reason = reason
        elif cs.get("ready") and state.get("running") is not None:
            has_running = True
            tally.ready += 1
    if reason == "Completed":
        if has_running and pod_ready:
            return "Running"
        if error_reason:
            return error_reason
        if has_running:
            return "NotReady"
    return reason


def _condition_true(conds: list[dict], type_: str) -> bool:
    return any(c.get("type") == type_ and c.get("status") == "True" for c in conds)


def pod_status_text(pod: dict, now: float) -> tuple[str, str, str]:
    """(READY, STATUS, RESTARTS) as kubectl 1.35 prints them."""
    status = pod.get("status") or {}
    spec = pod.get("spec") or {}
    conds = status.get("conditions") or []
    reason = status.get("reason") or status.get("phase") or ""
    if any(c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated" for c in conds):
        reason = "SchedulingGated"
    init_specs = spec.get("initContainers") or []
    sidecars = {c["name"] for c in init_specs if c.get("restartPolicy") == "Always"}
    total = len(spec.get("containers") or []) + len(sidecars)
    tally = _Tally()
    init_reason = _init_reason(status.get("initContainerStatuses") or [], sidecars, len(init_specs), tally)
    if init_reason is not None:
        reason = init_reason
    if init_reason is None or _condition_true(conds, "Initialized"):
        apps = status.get("containerStatuses") or []
        reason = _app_reason(apps, reason, _condition_true(conds, "Ready"), tally)
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif status.get("phase") not in ("Succeeded", "Failed"):
            reason = "Terminating"
    restarts_text = str(tally.restarts)
    if tally.restarts and tally.last is not None:
        restarts_text = f"{tally.restarts} ({human_duration(now - tally.last)} ago)"
    return f"{tally.ready}/{total}", reason, restarts_text


def _partial(obj: dict) -> dict:
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}


def _row_object(obj: dict, include: str):
    if include == "None":
        return None
    if include == "Object":
        return obj
    return _partial(obj)


def pod_cells(pod: dict, now: float) -> list:
    ready, status, restarts = pod_status_text(pod, now)
    st = pod.get("status") or {}
    gates = pod["spec"].get("readinessGates")
    return [
        pod["metadata"]["name"],
        ready,
        status,
        restarts,
        _age(pod["metadata"].get("creationTimestamp"), now),
        st.get("podIP") or "<none>",
        pod["spec"].get("nodeName") or "<none>",
        st.get("nominatedNodeName") or "<none>",
        f"0/{len(gates)}" if gates else "<none>",
    ]


def event_cells(ev: dict, now: float) -> list:
    def since(text):
        return _age(text, now) if text else "<unknown>"

    first = since(ev.get("firstTimestamp")) if ev.get("firstTimestamp") else since(ev.get("eventTime"))
    last = since(ev.get("lastTimestamp")) if ev.get("lastTimestamp") else first
    count = ev.get("count") or 1
    if ev.get("series"):
        last = since(ev["series"].get("lastObservedTime"))
        count = ev["series"].get("count", 1)
    inv = ev.get("involvedObject") or ev.get("regarding") or {}
    kind = (inv.get("kind") or "").lower()
    target = f"{kind}/{inv['name']}" if inv.get("name") else kind
    src = ev.get("source") or ev.get("deprecatedSource") or {}
    component = src.get("component") or ev.get("reportingComponent") or ev.get("reportingController") or ""
    host = src.get("host") or ev.get("reportingInstance") or ""
    source = f"{component}, {host}" if host else component
    message = (ev.get("message") or ev.get("note") or "").strip()
    return [
        last,
        ev.get("type"),
        ev.get("reason"),
        target,
        inv.get("fieldPath", ""),
        source,
        message,
        first,
        count,
        ev["metadata"]["name"],
    ]


def generic_cells(obj: dict, now: float) -> list:
    return [obj["metadata"]["name"], _age(obj["metadata"].get("creationTimestamp"), now)]


def namespace_cells(obj: dict, now: float) -> list:
    return [
        obj["metadata"]["name"],
        (obj.get("status") or {}).get("phase", "Active"),
        _age(obj["metadata"].get("creationTimestamp"), now),
    ]


def printer_for(resource: str):
    """(columns, cells function) for a resource name."""
    if resource == "pods":
        return POD_COLUMNS, pod_cells
    if resource == "events":
        return EVENT_COLUMNS, event_cells
    if resource == "namespaces":
        return NAMESPACE_COLUMNS, namespace_cells
    if resource == "persistentvolumeclaims":
        return PVC_COLUMNS, pvc_cells
    return GENERIC_COLUMNS, generic_cells


def table(
    resource: str,
    objs: list[dict],
    now: float,
    *,
    rv: str,
    cont: str | None = None,
    include: str = "Metadata",
    headers: bool = True,
) -> dict:
    columns, cells = printer_for(resource)
    md: dict = {"resourceVersion": rv}
    if cont:
        md["continue"] = cont
    rows = []
    for o in objs:
        row = {"cells": cells(o, now)}
        ro = _row_object(o, include)
        if ro is not None:
            row["object"] = ro
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": md,
        "columnDefinitions": columns if headers else None,
        "rows": rows,
    }
