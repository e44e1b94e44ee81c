"""The B1 input: a stream of Pod watch events played by kubesim's virtual kubelet on a manual clock.

A busy cluster: Deployment-style Pods arrive at a steady rate across 17 namespaces, each with one to
four init containers of which some crash-loop (``CrashLoopBackOff`` with back-off, ``lastState``,
``restartCount``) before succeeding; the app becomes Ready; some Pods are deleted gracefully later
(``deletionTimestamp``, 143, terminal phase, ``DELETED``). Everything a real kubelet and API server
would write is there (admission defaults, ``managedFields``, conditions, status reports at most once a
second), because kubesim writes it. Thousands of Pods are in flight at once, so a batch touches many
Pods, as a busy cluster's watch does. Same arguments, same bytes.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import orjson

from kubesim.behavior import ContainerBehavior, PodBehavior
from kubesim.core import Cluster
from kubesim.recorder import stream
from kubesim.scenarios import Scenario

T0 = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC).timestamp()
IMAGES = ["acme/wait-for:1.2", "acme/migrate:4.1", "acme/warm-cache:2.0", "acme/config-render:0.9"]
INIT_NAMES = ["wait-for-db", "migrate", "warm-cache", "render-config"]
CRASH_MESSAGE = 'relation "schema_migrations" does not exist'


def _pod(rng: random.Random, n: int) -> tuple[dict, PodBehavior, bool]:
    """The manifest and behaviour of the ``n``-th Pod, and whether it is deleted later."""
    inits = rng.randint(1, 4)
    behaviors = {}
    for name in INIT_NAMES[:inits]:
        failures = rng.choice([0, 0, 0, 0, 1, 2, 4])
        behaviors[name] = ContainerBehavior(
            durations=(float(rng.randint(1, 30)),),
            exit_codes=(*([1] * failures), 0),
            termination_message=CRASH_MESSAGE,
            pull_time=0.5,
        )
    delete = rng.random() < 0.3
    behaviors["app"] = ContainerBehavior(
        durations=(None,), ready_delay=float(rng.randint(2, 10)), pull_time=1.0
    )
    workload = f"svc-{n % 230}"
    rs = f"{workload}-{rng.getrandbits(32):08x}"
    resources = {"requests": {"cpu": "100m", "memory": "128Mi"}}
    manifest = {
        "metadata": {
            "generateName": rs + "-",
            "namespace": f"team-{n % 17}",
            "labels": {"app": workload, "pod-template-hash": rs.rsplit("-", 1)[1]},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": rs,
                    "uid": f"00000000-0000-4000-8000-{n:012d}",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "initContainers": [
                {"name": name, "image": IMAGES[i], "resources": resources}
                for i, name in enumerate(INIT_NAMES[:inits])
            ],
            "containers": [
                {
                    "name": "app",
                    "image": "acme/app:7.3",
                    "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                    "resources": resources,
                    "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 1},
                }
            ],
        },
    }
    return manifest, PodBehavior(containers=behaviors), delete


def b1_scenario(seed: int, pods_per_second: float) -> Scenario:
    """Pods arriving at ``pods_per_second``; 30 % are deleted 60-600 s after creation."""
    rng = random.Random(seed)

    def driver(sim: Cluster) -> None:
        made = [0]
        for i in range(17):
            sim.ensure_namespace(f"team-{i}")

        def arrive() -> None:
            due = int(pods_per_second * (sim.clock.now() - T0)) + 1
            while made[0] < due:
                manifest, behavior, delete = _pod(rng, made[0])
                pod = sim.create_pod(manifest, behavior)
                if delete:
                    md = pod["metadata"]
                    sim.clock.call_later(
                        rng.randint(60, 600), _delete, sim, md["namespace"], md["name"], md["uid"]
                    )
                made[0] += 1
            sim.clock.call_later(0.5, arrive)

        sim.clock.call_later(0.5, arrive)

    return Scenario(name="b1", drivers=[driver])


def _delete(sim: Cluster, ns: str, name: str, uid: str) -> None:
    if (obj := sim.store.get("pods", ns, name)) is not None and obj["metadata"]["uid"] == uid:
        sim.delete_pod(ns, name, uid=uid)


def generate(path: str, *, events: int, seed: int = 7, pods_per_second: float = 40.0) -> int:
    """Write ``events`` Pod watch events as JSON lines (``{"type", "object"}``) to ``path``; returns
    the count written."""
    written = 0
    scenario = b1_scenario(seed, pods_per_second)
    with open(path, "wb") as out:
        for item in stream(scenario, start=T0, seed=seed, nodes=40, node_cpu=1000.0, record_events=False):
            if item.resource != "pods":
                continue
            out.write(orjson.dumps({"type": item.type, "object": item.object}) + b"\n")
            written += 1
            if written >= events:
                break
    return written
