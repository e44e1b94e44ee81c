"""Regenerate the sample recordings: each one is a kubesim scenario played on a manual clock.

``python samples/make_samples.py`` plays every :data:`SAMPLES` entry with :func:`kubesim.recorder.record`
(fixed seed, clock starting at 2025-06-02T09:00:00Z, so the bytes are the same on every run), writes
the Pod and Event watch stream in the sample's format (the framings of ``samples/README.md``) and
``expected/<name>.json``. The expected facts come from kubesim's ground truth (every attempt that ran,
with its exit code, sandbox generation and container id), narrowed to what the recording shows (an
attempt whose container id never appears is "happened, details unknown"), kubesim's kubectl printer
for STATUS and RESTARTS, and a diagnosis written by hand per sample. ``--check`` compares instead of
writing.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from kubesim.events import to_events_v1  # noqa: E402
from kubesim.printers import pod_status_text  # noqa: E402
from kubesim.recorder import Item, Recording, record  # noqa: E402
from kubesim.util import rfc3339  # noqa: E402

START = datetime(2025, 6, 2, 9, 0, 0, tzinfo=UTC).timestamp()
STUCK_NOTE = (
    "diagnosis_code is evaluated at the time of the last record (evaluated_at), stuck threshold 5 minutes, "
    "per DESIGN.md 'Stuck and diagnosis'"
)
FORMAT_FILES = {"raw-watch": ".jsonl"}


def container(name: str, image: str, *, sidecar: bool = False, **behavior: Any) -> dict:
    """A container of a scenario workload: kubesim's ``behavior`` keys as keyword arguments."""
    c: dict = {"name": name, "image": image}
    if sidecar:
        c["sidecar"] = True
    if behavior:
        c["behavior"] = behavior
    return c


def workload(
    kind: str, name: str, namespace: str, *, init: list[dict], apps: list[dict], **options: Any
) -> dict:
    """A one-workload scenario's workload; ``options``: ``pod``, ``restartPolicy`` … (kubesim's keys)."""
    return {
        "kind": kind,
        "name": name,
        "namespace": namespace,
        **options,
        "initContainers": init,
        "containers": apps,
    }


WAIT_FOR_DB = container("wait-for-db", "busybox:1.36", duration=2, pull_time=0.8)
MIGRATE_MSG = 'ERROR: relation "orders_v2" does not exist (migration 0042_split_orders)'


@dataclass
class Sample:
    """One situation: a one-workload scenario, how long to record it, and the hand-written diagnosis
    of each Pod (in order of creation) at the end of the recording."""

    name: str
    fmt: str
    workload: dict
    seconds: float
    diagnoses: list[tuple[str | None, str | None]]
    gaps: list[tuple[float, float]] = field(default_factory=list)
    actions: list[tuple[float, Any]] = field(default_factory=list)
    notes: str = ""

    @property
    def namespace(self) -> str:
        return self.workload["namespace"]

    @property
    def path(self) -> Path:
        return ROOT / f"{self.name}{FORMAT_FILES.get(self.fmt, '.json')}"


def _delete_first_pod(sim) -> None:
    """A user's ``kubectl delete pod`` (grace 30 s) of the first Pod of the sample's namespace."""
    pods = [obj for _key, obj in sim.store.items("pods") if obj["metadata"]["namespace"] == "shop"]
    first = min(pods, key=lambda o: int(o["metadata"]["resourceVersion"]))
    sim.delete_pod("shop", first["metadata"]["name"], grace=30)


SAMPLES = [
    Sample(
        "01-healthy-deployment",
        "kubectl-watch",
        workload(
            "Deployment",
            "api",
            "shop",
            init=[
                WAIT_FOR_DB,
                container("migrate", "ghcr.io/acme/shop-migrate:2.3.1", duration=3, pull_time=1.2),
                container("warm-cache", "ghcr.io/acme/warm-cache:1.0", duration=4),
            ],
            apps=[container("api", "ghcr.io/acme/shop-api:2.3.1", pull_time=2.5, ready_delay=5)],
        ),
        40,
        [(None, None)],
    ),
    Sample(
        "02-init-crashloop",
        "kubectl-watch",
        workload(
            "Deployment",
            "orders",
            "shop",
            init=[
                WAIT_FOR_DB,
                container(
                    "migrate",
                    "ghcr.io/acme/orders-migrate:5.0.1",
                    duration=3,
                    exit_code=1,
                    termination_message=MIGRATE_MSG,
                ),
            ],
            apps=[container("orders", "ghcr.io/acme/orders:5.0.1")],
        ),
        110,
        [("crash-loop", "migrate")],
        notes="first restart immediate, then back-off 10s, 20s, 40s; after attempt 4 the back-off is 1m20s",
    ),
    Sample(
        "03-missed-transitions",
        "raw-watch",
        workload(
            "Deployment",
            "invoicer",
            "billing",
            init=[
                container("render-config", "ghcr.io/acme/config-render:0.9.2", duration=0.4),
                container(
                    "migrate", "ghcr.io/acme/invoicer-migrate:1.8.0", duration=3, exit_codes=[1, 1, 1, 1, 0]
                ),
            ],
            apps=[container("invoicer", "ghcr.io/acme/invoicer:1.8.0")],
        ),
        110,
        [(None, None)],
        gaps=[(14, 90)],
        notes=(
            "render-config runs 0.4s and is only ever reported waiting then terminated; the watch is lost "
            "from 14s to 90s (ERROR 410, then a fresh watch re-adds the Pod): migrate's restartCount jumps "
            "from 1 to 4, attempt 2 happened with details unknown, attempt 3 comes from lastState"
        ),
    ),
    Sample(
        "04-init-image-pull-backoff",
        "kubectl-watch",
        workload(
            "Deployment",
            "search",
            "shop",
            init=[
                WAIT_FOR_DB,
                container(
                    "fetch-index",
                    "registry.example.com/acme/search-index:v7-missing",
                    pull_failures=100,
                    pull_error="not found",
                ),
            ],
            apps=[container("search", "ghcr.io/acme/search:7.0.0")],
        ),
        330,
        [("image-pull", "fetch-index")],
        notes="pull back-off 10s, 20s, 40s, 80s, 160s: six pulls; no attempt, restartCount stays 0",
    ),
    Sample(
        "05-init-oomkilled",
        "kubectl-watch",
        workload(
            "Deployment",
            "recommender",
            "ml",
            init=[
                container("load-model", "ghcr.io/acme/model-loader:3.1", duration=4, exit_code=137, oom=True)
            ],
            apps=[container("recommender", "ghcr.io/acme/recommender:3.1")],
        ),
        38,
        [("oom-killed", "load-model")],
    ),
    Sample(
        "06-create-container-config-error",
        "kubectl-list",
        workload(
            "Deployment",
            "checkout",
            "shop",
            init=[
                container("render-config", "ghcr.io/acme/config-render:0.9.2", missing_configmap="app-config")
            ],
            apps=[container("checkout", "ghcr.io/acme/checkout:4.2.0")],
        ),
        150,
        [("config-error", "render-config")],
        notes="CreateContainerConfigError creates no container: no attempt, restartCount 0; `Failed` repeats",
    ),
    Sample(
        "07-job-init-failed-never",
        "kubectl-watch",
        workload(
            "Job",
            "reindex-catalog",
            "batch",
            backoff_limit=0,
            restartPolicy="Never",
            init=[container("fetch-inputs", "ghcr.io/acme/fetch:1.1", duration=3, exit_code=2)],
            apps=[container("reindex", "ghcr.io/acme/reindex:2.0", duration=30)],
        ),
        20,
        [("failed", "fetch-inputs")],
        notes="restartPolicy Never: the first init failure is final; the app never ran, so it has no attempt",
    ),
    Sample(
        "08-native-sidecar",
        "kubectl-watch",
        workload(
            "Deployment",
            "ledger",
            "payments",
            init=[
                container(
                    "proxy",
                    "envoyproxy/envoy:v1.31.0",
                    sidecar=True,
                    startup_delay=3,
                    durations=[60, 5],
                    exit_code=1,
                ),
                container("migrate", "ghcr.io/acme/ledger-migrate:3.2", duration=2),
            ],
            apps=[container("ledger", "ghcr.io/acme/ledger:3.2")],
        ),
        125,
        [("crash-loop", "proxy")],
        notes="the sidecar crash-loops after the Pod is Running: STATUS Init:CrashLoopBackOff, READY 1/2",
    ),
    Sample(
        "09-sandbox-recreated",
        "kubectl-watch",
        workload(
            "Deployment",
            "cart",
            "shop",
            pod={"sandbox_recreate_after": 30},
            init=[WAIT_FOR_DB, container("migrate", "ghcr.io/acme/cart-migrate:1.0", duration=2)],
            apps=[container("cart", "ghcr.io/acme/cart:1.0")],
        ),
        60,
        [(None, None)],
        notes=(
            "SandboxChanged: the app is killed (255 Unknown), init containers rerun from the first with "
            "restartCount 0 (a new generation), the app restarts with restartCount 1"
        ),
    ),
    Sample(
        "10-deleted-while-initializing",
        "kubectl-watch",
        workload(
            "Deployment",
            "catalog",
            "shop",
            init=[
                container("wait-for-db", "busybox:1.36", duration=120),
                container("migrate", "ghcr.io/acme/catalog-migrate:2.2"),
            ],
            apps=[container("catalog", "ghcr.io/acme/catalog:2.2")],
        ),
        20,
        [(None, None), (None, None)],
        actions=[(10, _delete_first_pod)],
        notes=(
            "deleted while wait-for-db runs: 143 from the deletion's SIGTERM is not an init failure; the "
            "ReplicaSet creates a replacement Pod at once"
        ),
    ),
    Sample(
        "11-unschedulable",
        "kubectl-watch-events-k8s-io",
        workload(
            "Deployment",
            "trainer",
            "ml",
            pod={"unschedulable_for": 420},
            init=[container("download-dataset", "ghcr.io/acme/dataset-fetch:2.0", duration=6)],
            apps=[container("trainer", "ghcr.io/acme/trainer:0.7")],
        ),
        440,
        [(None, None)],
        notes="PodScheduled False for 7 minutes (FailedScheduling with a series), then scheduled and Ready",
    ),
    Sample(
        "12-failed-mount",
        "kubectl-watch",
        workload(
            "Deployment",
            "mailer",
            "notify",
            pod={
                "mount_failure": {"volume": "smtp-config", "configmap": "smtp-config", "resolve_after": 150}
            },
            init=[container("render-templates", "ghcr.io/acme/templates:1.3", duration=2)],
            apps=[container("mailer", "ghcr.io/acme/mailer:1.3")],
        ),
        280,
        [(None, None)],
    ),
    Sample(
        "13-active-deadline-exceeded",
        "kubectl-watch",
        workload(
            "Job",
            "export-orders",
            "batch",
            backoff_limit=0,
            restartPolicy="Never",
            activeDeadlineSeconds=120,
            init=[container("wait-for-export-lock", "busybox:1.36", duration=None, sigterm_exit=None)],
            apps=[container("export", "ghcr.io/acme/export:1.0", duration=10)],
        ),
        165,
        [("deadline", None)],
        notes="DeadlineExceeded: wait-for-export-lock ignores SIGTERM, killed (137) when the grace ends",
    ),
    Sample(
        "14-slow-init",
        "kubectl-pretty",
        workload(
            "Deployment",
            "reports-api",
            "analytics",
            init=[
                container("wait-for-db", "busybox:1.36", duration=540),
                container("migrate", "ghcr.io/acme/reports-migrate:1.2", duration=3),
            ],
            apps=[container("reports-api", "ghcr.io/acme/reports-api:1.2")],
        ),
        560,
        [(None, None)],
        notes="wait-for-db runs 9 minutes (stuck as `slow` while it runs), then completes",
    ),
    Sample(
        "15-statefulset-recreated",
        "kubectl-watch",
        workload(
            "StatefulSet",
            "db",
            "data",
            recreate_every=60,
            init=[container("init-permissions", "busybox:1.36", duration=1)],
            apps=[container("postgres", "postgres:16.4", ready_delay=3, sigterm_exit=0)],
        ),
        90,
        [(None, None), (None, None)],
        notes="db-0 deleted (postgres exits 0: Succeeded, DELETED), recreated under the same name, new uid",
    ),
]


# ---------------------------------------------------------------------------------------------------------
# framings (samples/README.md "Formats")


def _kubectl(obj: dict) -> dict:
    """kubectl omits managedFields unless --show-managed-fields."""
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        obj = dict(obj, metadata={k: v for k, v in meta.items() if k != "managedFields"})
    return obj


def _go_json_indent(obj: Any) -> bytes:
    """Like Go's json.MarshalIndent(obj, "", "    ") on a map: sorted keys, 4-space indent."""
    return json.dumps(obj, indent=4, sort_keys=True, ensure_ascii=False).encode() + b"\n"


def _bookmark(rv: int) -> bytes:
    skeleton = {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": str(rv), "creationTimestamp": None},
        "spec": {"containers": None},
        "status": {},
    }
    return orjson.dumps({"type": "BOOKMARK", "object": skeleton}) + b"\n"


def render(items: list[Item], fmt: str) -> bytes:
    if fmt == "kubectl-list":
        final: dict[str, dict[str, dict]] = {"pods": {}, "events": {}}
        for item in items:
            if item.type != "ERROR":
                final[item.resource][item.object["metadata"]["uid"]] = _kubectl(item.object)
        listed = {
            "apiVersion": "v1",
            "items": [*final["pods"].values(), *final["events"].values()],
            "kind": "List",
            "metadata": {"resourceVersion": ""},
        }
        return _go_json_indent(listed)
    out: list[bytes] = []
    last_rv = 0
    for item in items:
        if fmt == "raw-watch":
            if item.type == "ERROR":
                out.append(_bookmark(last_rv))
            out.append(orjson.dumps({"type": item.type, "object": item.object}) + b"\n")
            last_rv = max(last_rv, item.rv)
            continue
        if item.type == "ERROR":
            continue  # kubectl does not print it
        obj = _kubectl(item.object)
        if item.resource == "events" and fmt == "kubectl-watch-events-k8s-io":
            obj = to_events_v1(obj)
        if fmt == "kubectl-pretty":
            if item.type != "DELETED":  # without --output-watch-events a deletion repeats the final state
                out.append(_go_json_indent(obj))
        else:
            out.append(orjson.dumps({"object": obj, "type": item.type}, option=orjson.OPT_SORT_KEYS) + b"\n")
    if fmt == "raw-watch":
        out.append(_bookmark(last_rv))
    return b"".join(out)


# ---------------------------------------------------------------------------------------------------------
# expected facts: kubesim's ground truth, as far as the recording shows it


def _statuses(pod: dict) -> list[dict]:
    status = pod.get("status") or {}
    return (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])


def _seen(items: list[Item], uid: str) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Per container: the container ids the recording shows running, and those it shows terminated."""
    running: dict[str, set[str]] = {}
    finished: dict[str, set[str]] = {}
    for item in items:
        if item.resource != "pods" or item.object.get("metadata", {}).get("uid") != uid:
            continue
        for cs in _statuses(item.object):
            if cs.get("containerID") and "running" in cs["state"]:
                running.setdefault(cs["name"], set()).add(cs["containerID"])
            for state in (cs["state"], cs.get("lastState") or {}):
                term = state.get("terminated") or {}
                if term.get("containerID"):
                    finished.setdefault(cs["name"], set()).add(term["containerID"])
    return running, finished


def _attempts(rec: Recording, items: list[Item], uid: str, last: dict, name: str) -> list[dict]:
    running, finished = _seen(items, uid)
    truth = [t for t in rec.truth if t.get("uid") == uid and t.get("container") == name]
    out = []
    for t in sorted(truth, key=lambda t: (t["generation"], t["number"])):
        cid = t["container_id"]
        if cid in finished.get(name, set()):
            out.append(
                {
                    "number": t["number"],
                    "generation": t["generation"],
                    "exit_code": t["exit_code"],
                    "reason": t["reason"],
                    "known": True,
                }
            )
        elif cid in running.get(name, set()):
            out.append({"number": t["number"], "generation": t["generation"], "known": True})
        else:
            out.append({"number": t["number"], "generation": t["generation"], "known": False})
    cs = next((s for s in _statuses(last) if s["name"] == name), None)
    if cs and "running" in cs["state"] and not any(t["container_id"] == cs.get("containerID") for t in truth):
        generation = max((t["generation"] for t in rec.truth if t.get("uid") == uid), default=0)
        run = rec.sim.kubelet.pods.get(uid)
        if run is not None:
            generation = run.sandboxes
        out.append({"number": cs["restartCount"], "generation": generation, "known": True})
    # an attempt the recording never shows is only known to have happened if a later one is seen
    while out and not out[-1]["known"]:
        out.pop()
    return [
        {
            "number": a["number"],
            "generation": a["generation"],
            "exit_code": a.get("exit_code"),
            "reason": a.get("reason", ""),
            "known": a["known"],
        }
        for a in out
    ]


def expected(sample: Sample, rec: Recording) -> dict:
    items = rec.items
    last: dict[str, Item] = {}
    for item in items:
        if item.resource == "pods" and item.type != "ERROR":
            last[item.object["metadata"]["uid"]] = item
    end = max(i.at for i in items)
    kinds = {"Deployment": "Deployment", "StatefulSet": "StatefulSet", "Job": "Job"}
    pods = []
    for (uid, item), (code, container) in zip(last.items(), sample.diagnoses, strict=True):
        obj = item.object
        _ready, status, restarts = pod_status_text(obj, end)
        spec = obj["spec"]
        controller = next(o for o in obj["metadata"]["ownerReferences"] if o.get("controller"))
        containers = [
            {
                "name": c["name"],
                "kind": ("sidecar" if c.get("restartPolicy") == "Always" else "init")
                if i < len(spec.get("initContainers") or [])
                else "app",
                "attempts": _attempts(rec, items, uid, obj, c["name"]),
            }
            for i, c in enumerate((spec.get("initContainers") or []) + spec["containers"])
        ]
        pods.append(
            {
                "uid": uid,
                "namespace": obj["metadata"]["namespace"],
                "name": obj["metadata"]["name"],
                "status": status,
                "restarts": int(restarts.split()[0]),
                "phase": obj["status"]["phase"],
                "deleted": item.type == "DELETED",
                "diagnosis_code": code,
                "diagnosis_container": container,
                "owner": {"kind": kinds[sample.workload["kind"]], "name": sample.workload["name"]},
                "controller": {"kind": controller["kind"], "name": controller["name"]},
                "containers": containers,
            }
        )
    facts: dict[str, Any] = {
        "sample": sample.path.name,
        "format": sample.fmt,
        "evaluated_at": rfc3339(end),
        "stuck_threshold_seconds": 300,
        "note": STUCK_NOTE,
    }
    if sample.notes:
        facts["notes"] = sample.notes
    facts["pods"] = pods
    return facts


def build(sample: Sample) -> tuple[bytes, bytes]:
    """The recording's bytes and its expected file's bytes."""
    rec = record(
        {"workloads": [sample.workload]},
        seconds=sample.seconds,
        start=START,
        seed=sum(sample.name.encode()),
        namespaces={sample.namespace},
        gaps=sample.gaps,
        actions=sample.actions,
        nodes=1,
    )
    facts = expected(sample, rec)
    return render(rec.items, sample.fmt), orjson.dumps(facts, option=orjson.OPT_INDENT_2) + b"\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for sample in SAMPLES:
        recording, facts = build(sample)
        target = ROOT / "expected" / f"{sample.name}.json"
        if check:
            if sample.path.read_bytes() != recording or target.read_bytes() != facts:
                stale.append(sample.name)
            continue
        sample.path.write_bytes(recording)
        target.write_bytes(facts)
        lines = recording.count(b"\n")
        print(f"{sample.path.name}: {lines} lines, {len(recording)} bytes")
    if stale:
        print("stale:", ", ".join(stale))
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
