"""Built-in scenarios: one per situation of docs/kubernetes.md §1-§5, plus ``demo`` and ``churn``.

Each single-situation scenario runs in namespace ``default`` and is written in the same dict
format as scenario files (see kubesim/README.md), so they double as examples.
"""

from __future__ import annotations

from ..behavior import ContainerBehavior, PodBehavior
from ..core import Cluster
from .model import Scenario, scenario_from_dict

DB_WAIT = {"name": "wait-for-db", "image": "busybox:1.36", "behavior": {"duration": 2, "pull_time": 1.2}}
APP = {"name": "app", "image": "acme/web:1.4.2", "behavior": {"pull_time": 2.5}}


def _fetch_work(*, durations: list[float], exit_codes: list[int]) -> dict:
    """An init container whose rule restarts it on exit 42 whatever its restartPolicy (KEP-5307)."""
    return {
        "name": "fetch-work",
        "image": "acme/fetch:1.2",
        "restartPolicy": "Never",
        "restartPolicyRules": [{"action": "Restart", "exitCodes": {"operator": "In", "values": [42]}}],
        "behavior": {"durations": durations, "exit_codes": exit_codes},
    }


BUILTIN: dict[str, dict] = {
    "healthy": {
        "workloads": [
            {
                "kind": "Deployment",
                "name": "web",
                "replicas": 2,
                "initContainers": [
                    DB_WAIT,
                    {
                        "name": "migrate",
                        "image": "acme/migrate:2.0",
                        "behavior": {"duration": 3, "pull_time": 1.5},
                    },
                ],
                "containers": [{**APP, "behavior": {"pull_time": 2.5, "ready_delay": 2}}],
            }
        ]
    },
    "crash-loop": {
        "workloads": [
            {
                "kind": "Deployment",
                "name": "api",
                "initContainers": [
                    DB_WAIT,
                    {
                        "name": "migrate",
                        "image": "acme/migrate:2.0",
                        "behavior": {
                            "duration": 3,
                            "exit_code": 1,
                            "error_message": 'ERROR: relation "orders" does not exist',
                        },
                    },
                ],
                "containers": [APP],
            }
        ]
    },
    "image-pull": {
        "workloads": [
            {
                "kind": "Deployment",
                "name": "fetcher",
                "initContainers": [
                    {
                        "name": "fetch-assets",
                        "image": "registry.example.com/acme/assets:9.9",
                        "behavior": {"pull_failures": 3, "duration": 2},
                    }
                ],
                "containers": [APP],
            }
        ]
    },
    "oom": {
        "workloads": [
            {
                "kind": "Deployment",
                "name": "cache",
                "initContainers": [
                    {
                        "name": "warm-cache",
                        "image": "acme/warm:1.0",
                        "behavior": {"durations": [4, 4, 3], "exit_codes": [137, 137, 0], "oom": True},
                    }
                ],
                "containers": [APP],
            }
        ]
    },
    "config-error": {
        "workloads": [
            {
                "kind": "Deployment",
                "name": "settings",
                "initContainers": [
                    {
                        "name": "render-config",
                        "image": "acme/render:1.0",
                        "behavior": {
                            "missing_configmap": "app-settings",
                            "config_error_for": 60,
                            "duration": 1,
                        },
                    }
                ],
                "containers": [APP],
            }
        ]
    },
    "never-fails": {
        "workloads": [
            {
                "kind": "Pod",
                "name": "migrate-once",
                "restartPolicy": "Never",
                "initContainers": [
                    DB_WAIT,
                    {
                        "name": "migrate",
                        "image": "acme/migrate:2.0",
                        "behavior": {"duration": 3, "exit_code": 2},
                    },
                ],
                "containers": [{**APP, "behavior": {"duration": 5}}],
            }
        ]
    },
    "sidecar": {
        "workloads": [
            {
                "kind": "Deployment",
                "name": "mesh",
                "initContainers": [
                    {
                        "name": "proxy",
                        "image": "envoyproxy/envoy:v1.31.0",
                        "sidecar": True,
                        "behavior": {"startup_delay": 3},
                    },
                    {"name": "migrate", "image": "acme/migrate:2.0", "behavior": {"duration": 2}},
                ],
                "containers": [APP],
            }
        ]
    },
    "sidecar-crash": {
        "workloads": [
            {
                "kind": "Deployment",
                "name": "shipper",
                "initContainers": [
                    {
                        "name": "log-shipper",
                        "image": "fluent/fluent-bit:3.1",
                        "sidecar": True,
                        "behavior": {"durations": [15, 5], "exit_code": 1},
                    },
                    {"name": "migrate", "image": "acme/migrate:2.0", "behavior": {"duration": 2}},
                ],
                "containers": [APP],
            }
        ]
    },
    "sandbox-recreate": {
        "workloads": [
            {
                "kind": "Deployment",
                "name": "rebooted",
                "pod": {"sandbox_recreate_after": 30},
                "initContainers": [
                    DB_WAIT,
                    {"name": "migrate", "image": "acme/migrate:2.0", "behavior": {"duration": 2}},
                ],
                "containers": [APP],
            }
        ]
    },
    "deadline": {
        "workloads": [
            {
                "kind": "Pod",
                "name": "deadline",
                "activeDeadlineSeconds": 30,
                "restartPolicy": "Never",
                "initContainers": [
                    {"name": "wait-for-db", "image": "busybox:1.36", "behavior": {"duration": None}}
                ],
                "containers": [APP],
            }
        ]
    },
    "unschedulable": {
        "workloads": [
            {
                "kind": "Deployment",
                "name": "big",
                "pod": {"unschedulable_for": 45},
                "initContainers": [DB_WAIT],
                "containers": [APP],
            }
        ]
    },
    "mount": {
        "workloads": [
            {
                "kind": "Deployment",
                "name": "mounty",
                "pod": {
                    "mount_failure": {"volume": "config", "configmap": "app-config", "resolve_after": 150}
                },
                "initContainers": [DB_WAIT],
                "containers": [APP],
            }
        ]
    },
    "slow-init": {
        "workloads": [
            {
                "kind": "Deployment",
                "name": "slow",
                "initContainers": [
                    {"name": "wait-for-db", "image": "busybox:1.36", "behavior": {"duration": 420}}
                ],
                "containers": [APP],
            }
        ]
    },
    "delete-during-init": {
        "workloads": [
            {
                "kind": "Pod",
                "name": "doomed",
                "delete_after": 10,
                "initContainers": [
                    {"name": "wait-for-db", "image": "busybox:1.36", "behavior": {"duration": 120}}
                ],
                "containers": [APP],
            }
        ]
    },
    "statefulset-recreate": {
        "workloads": [
            {
                "kind": "StatefulSet",
                "name": "db",
                "replicas": 2,
                "recreate_every": 60,
                "initContainers": [
                    {"name": "init-perms", "image": "busybox:1.36", "behavior": {"duration": 1}}
                ],
                "containers": [
                    {"name": "postgres", "image": "postgres:16.4", "behavior": {"ready_delay": 3}}
                ],
            }
        ]
    },
    "quota-exceeded": {
        "controller_events": True,
        "workloads": [
            {
                "kind": "Deployment",
                "name": "web",
                "replicas": 2,
                "create_failure": {"kind": "quota", "resolve_after": None},
                "initContainers": [DB_WAIT],
                "containers": [{**APP, "resources": {"requests": {"cpu": "1"}}}],
            },
            {
                "kind": "StatefulSet",
                "name": "db",
                "create_failure": {"kind": "serviceaccount", "resolve_after": 120},
                "initContainers": [{"name": "init-perms", "image": "busybox:1.36"}],
                "containers": [{"name": "postgres", "image": "postgres:16.4"}],
            },
            {
                "kind": "Job",
                "name": "report",
                "create_failure": {"kind": "pod-security", "resolve_after": None},
                "containers": [{"name": "report", "image": "acme/report:1.1", "behavior": {"duration": 5}}],
            },
            {
                "kind": "Deployment",
                "name": "worker",
                "create_failure": {"kind": "webhook", "resolve_after": None},
                "containers": [APP],
            },
        ],
    },
    "node-not-ready": {
        "controller_events": True,
        "node_problems": [{"node": "kubesim-node-2", "problem": "not-ready", "after": 20}],
        "workloads": [
            {
                "kind": "Deployment",
                "name": "web",
                "replicas": 3,
                "initContainers": [
                    {"name": "wait-for-db", "image": "busybox:1.36", "behavior": {"duration": 60}}
                ],
                "containers": [APP],
            }
        ],
    },
    "disk-pressure": {
        "node_problems": [{"node": "kubesim-node-3", "problem": "disk-pressure", "after": 5}],
        "workloads": [
            {
                "kind": "Pod",
                "name": "log-agent",
                "start_after": 10,
                "pod": {"node_name": "kubesim-node-3"},
                "initContainers": [{"name": "setup", "image": "acme/log-setup:2.1"}],
                "containers": [{"name": "agent", "image": "fluent/fluent-bit:3.1"}],
            }
        ],
    },
    "pvc-pending": {
        "controller_events": True,
        "pvcs": [
            {"name": "data-db", "storageClassName": "fast-ssd", "resolve_after": None},
            {"name": "scratch", "storageClassName": "local-path", "binding": "WaitForFirstConsumer"},
        ],
        "workloads": [
            {
                "kind": "Deployment",
                "name": "db",
                "pod": {"pvc": "data-db"},
                "initContainers": [{"name": "init-perms", "image": "busybox:1.36"}],
                "containers": [{"name": "postgres", "image": "postgres:16.4"}],
            }
        ],
    },
    "sandbox-failure": {
        "workloads": [
            {
                "kind": "Deployment",
                "name": "netless",
                "pod": {"sandbox_failure": {"resolve_after": None}},
                "initContainers": [DB_WAIT],
                "containers": [APP],
            }
        ]
    },
    # Kubernetes 1.33-1.36 kubelet features (docs/kubernetes.md §1, §2, §4, §5)
    "restart-rules": {
        "workloads": [
            {
                # Pod restartPolicy Never, but fetch-work restarts on exit 42 (KEP-5307): 42, 42, then 0
                "kind": "Pod",
                "name": "retry-on-42",
                "restartPolicy": "Never",
                "initContainers": [_fetch_work(durations=[3, 3, 2], exit_codes=[42, 42, 0])],
                "containers": [
                    {
                        "name": "worker",
                        "image": "acme/worker:3.0",
                        "resources": {
                            "requests": {"cpu": "250m", "memory": "128Mi"},
                            "limits": {"memory": "256Mi"},
                        },
                        "lifecycle": {"stopSignal": "SIGUSR1"},
                        "behavior": {"duration": 40},
                    }
                ],
            },
            {
                # the same rule, but exit 3: no rule matches, the container's Never fails the Pod
                "kind": "Pod",
                "name": "fail-on-3",
                "restartPolicy": "Never",
                "initContainers": [_fetch_work(durations=[3, 3], exit_codes=[42, 3])],
                "containers": [{"name": "worker", "image": "acme/worker:3.0"}],
            },
        ]
    },
    "restart-all": {
        "workloads": [
            {
                # train exits 88 twice: every container restarts in place (KEP-5532), init included
                "kind": "Pod",
                "name": "trainer",
                "restartPolicy": "Never",
                "initContainers": [
                    {"name": "fetch-shard", "image": "acme/shard:1.0", "behavior": {"duration": 2}},
                    {"name": "proxy", "image": "envoyproxy/envoy:v1.31.0", "sidecar": True},
                ],
                "containers": [
                    {
                        "name": "train",
                        "image": "acme/train:5.1",
                        "restartPolicy": "Never",
                        "restartPolicyRules": [
                            {
                                "action": "RestartAllContainers",
                                "exitCodes": {"operator": "In", "values": [88]},
                            }
                        ],
                        "behavior": {"durations": [15, 15, None], "exit_codes": [88, 88, 0]},
                    },
                    {"name": "monitor", "image": "acme/monitor:1.0"},
                ],
            }
        ]
    },
    "fast-backoff": {
        # kubelet configuration: gate ReduceDefaultCrashLoopBackOffDecay (1 s, cap 60 s), capped again
        # by crashLoopBackOff.maxContainerRestartPeriod 30s: 1, 2, 4, 8, 16, 30, 30 … s
        "kubelet": {
            "featureGates": {"ReduceDefaultCrashLoopBackOffDecay": True},
            "crashLoopBackOff": {"maxContainerRestartPeriod": "30s"},
        },
        "workloads": [
            {
                "kind": "Deployment",
                "name": "api",
                "initContainers": [
                    {
                        "name": "migrate",
                        "image": "acme/migrate:2.0",
                        "behavior": {"duration": 2, "exit_code": 1},
                    }
                ],
                "containers": [APP],
            }
        ],
    },
    "parallel-pulls": {
        # kubelet maxParallelImagePulls 2 (serializeImagePulls false): 4 Pods on one node, big images
        "kubelet": {"serializeImagePulls": False, "maxParallelImagePulls": 2},
        "workloads": [
            {
                "kind": "Deployment",
                "name": "batch",
                "replicas": 4,
                "pod": {"node_name": "kubesim-node-1"},
                "initContainers": [
                    {"name": "fetch", "image": "acme/fetch:1.2", "behavior": {"pull_time": 6}}
                ],
                "containers": [{"name": "app", "image": "acme/batch:7.0", "behavior": {"pull_time": 4}}],
            }
        ],
    },
}


def demo() -> Scenario:
    """A lively cluster: several namespaces mixing healthy starts with every failure kind,
    periodic rolling restarts, CronJobs and a StatefulSet; failures are mostly transient."""
    mig = {"name": "migrate", "image": "acme/migrate:2.0"}
    data = {
        "namespaces": ["shop", "payments", "batch", "infra"],
        "workloads": [
            {
                "kind": "Deployment",
                "name": "web",
                "namespace": "shop",
                "replicas": 3,
                "rollout_every": 240,
                "initContainers": [DB_WAIT],
                "containers": [{**APP, "behavior": {"ready_delay": 2}}],
            },
            {
                "kind": "Deployment",
                "name": "api",
                "namespace": "shop",
                "replicas": 2,
                "rollout_every": 420,
                "initContainers": [
                    DB_WAIT,
                    {**mig, "behavior": {"durations": [3], "exit_codes": [1, 1, 1, 0]}},
                ],
                "containers": [APP],
            },
            {
                "kind": "Deployment",
                "name": "cache",
                "namespace": "shop",
                "rollout_every": 600,
                "initContainers": [
                    {
                        "name": "warm-cache",
                        "image": "acme/warm:1.0",
                        "behavior": {"durations": [5], "exit_codes": [137, 0], "oom": True},
                    }
                ],
                "containers": [{"name": "redis", "image": "redis:7.4"}],
            },
            {
                "kind": "StatefulSet",
                "name": "ledger-db",
                "namespace": "payments",
                "replicas": 2,
                "recreate_every": 500,
                "initContainers": [{"name": "init-perms", "image": "busybox:1.36"}],
                "containers": [
                    {"name": "postgres", "image": "postgres:16.4", "behavior": {"ready_delay": 3}}
                ],
            },
            {
                "kind": "Deployment",
                "name": "ledger",
                "namespace": "payments",
                "replicas": 2,
                "rollout_every": 540,
                "initContainers": [
                    {
                        "name": "proxy",
                        "image": "envoyproxy/envoy:v1.31.0",
                        "sidecar": True,
                        "behavior": {"startup_delay": 2},
                    },
                    {
                        "name": "render-config",
                        "image": "acme/render:1.0",
                        "behavior": {"missing_configmap": "ledger-settings", "config_error_for": 45},
                    },
                ],
                "containers": [{"name": "ledger", "image": "acme/ledger:3.2"}],
            },
            {
                "kind": "CronJob",
                "name": "report",
                "namespace": "batch",
                "schedule_every": 180,
                "initContainers": [
                    {"name": "fetch-data", "image": "acme/fetch:1.1", "behavior": {"duration": 6}}
                ],
                "containers": [{"name": "report", "image": "acme/report:1.1", "behavior": {"duration": 20}}],
            },
            {
                "kind": "Job",
                "name": "backfill",
                "namespace": "batch",
                "backoff_limit": 3,
                "ttl_after_finished": 900,
                "initContainers": [{**mig, "behavior": {"duration": 4, "exit_code": 3}}],
                "containers": [
                    {"name": "backfill", "image": "acme/backfill:1.0", "behavior": {"duration": 30}}
                ],
            },
            {
                "kind": "Job",
                "name": "deadline-check",
                "namespace": "batch",
                "activeDeadlineSeconds": 60,
                "backoff_limit": 0,
                "start_after": 20,
                "initContainers": [
                    {"name": "wait-for-lock", "image": "busybox:1.36", "behavior": {"duration": None}}
                ],
                "containers": [{"name": "check", "image": "busybox:1.36", "behavior": {"duration": 5}}],
            },
            {
                "kind": "Deployment",
                "name": "assets",
                "namespace": "infra",
                "rollout_every": 900,
                "initContainers": [
                    {
                        "name": "fetch-assets",
                        "image": "registry.example.com/acme/assets:9.9",
                        "behavior": {"pull_failures": 2, "pull_time": 4},
                    }
                ],
                "containers": [APP],
            },
            {
                "kind": "Deployment",
                "name": "shipper",
                "namespace": "infra",
                "initContainers": [
                    {
                        "name": "log-shipper",
                        "image": "fluent/fluent-bit:3.1",
                        "sidecar": True,
                        "behavior": {"durations": [90, 30, 600], "exit_code": 1},
                    }
                ],
                "containers": [APP],
            },
            {
                "kind": "Deployment",
                "name": "mounty",
                "namespace": "infra",
                "start_after": 30,
                "pod": {
                    "mount_failure": {"volume": "config", "configmap": "mounty-config", "resolve_after": 150}
                },
                "initContainers": [DB_WAIT],
                "containers": [APP],
            },
            {
                "kind": "Deployment",
                "name": "big",
                "namespace": "infra",
                "start_after": 10,
                "pod": {"unschedulable_for": 90},
                "initContainers": [DB_WAIT],
                "containers": [APP],
            },
            {
                "kind": "Deployment",
                "name": "rebooted",
                "namespace": "infra",
                "pod": {"sandbox_recreate_after": 120},
                "initContainers": [DB_WAIT, {**mig, "behavior": {"duration": 2}}],
                "containers": [APP],
            },
            {
                "kind": "Deployment",
                "name": "slow",
                "namespace": "infra",
                "rollout_every": 1200,
                "initContainers": [
                    {"name": "wait-for-db", "image": "busybox:1.36", "behavior": {"duration": 380}}
                ],
                "containers": [APP],
            },
            {
                # No Pod ever: the namespace's ResourceQuota refuses them (a workload row on the overview).
                "kind": "Deployment",
                "name": "search",
                "namespace": "shop",
                "replicas": 2,
                "create_failure": {"kind": "quota", "resolve_after": None},
                "initContainers": [DB_WAIT],
                "containers": [{**APP, "resources": {"requests": {"cpu": "1"}}}],
            },
        ],
    }
    return scenario_from_dict(data, "demo")


def churn(
    pods_per_second: float = 50.0,
    init_containers: int = 3,
    namespace: str = "churn",
    init_duration: float = 0.2,
    app_duration: float = 1.0,
) -> Scenario:
    """``pods_per_second`` Pods with ``init_containers`` short init containers each; every Pod
    runs to ``Succeeded`` and is deleted one second later, so the store stays bounded."""
    inits = [{"name": f"init-{i}", "image": "busybox:1.36"} for i in range(init_containers)]
    spec = {
        "restartPolicy": "Never",
        "terminationGracePeriodSeconds": 0,
        "initContainers": [dict(c, imagePullPolicy="IfNotPresent") for c in inits],
        "containers": [{"name": "app", "image": "busybox:1.36", "imagePullPolicy": "IfNotPresent"}],
    }
    if not inits:
        del spec["initContainers"]
    behaviors = {c["name"]: ContainerBehavior(durations=(init_duration,)) for c in inits}
    behaviors["app"] = ContainerBehavior(durations=(app_duration,))
    behavior = PodBehavior(containers=behaviors, delete_after_finish=1.0)
    tick = 0.1

    def driver(sim: Cluster) -> None:
        sim.ensure_namespace(namespace)
        for node in sim.nodes.values():
            node.images.add("busybox:1.36")
        start = sim.clock.now()
        made = [0]

        def generate(when: float) -> None:
            # create however many Pods are due by now, so a late tick does not lower the rate
            due = int(pods_per_second * (sim.clock.now() - start))
            for _ in range(due - made[0]):
                sim.create_pod(
                    {
                        "metadata": {
                            "generateName": "churn-",
                            "namespace": namespace,
                            "labels": {"app": "churn"},
                        },
                        "spec": spec,
                    },
                    behavior,
                )
            made[0] = max(made[0], due)
            sim.clock.call_at(when + tick, generate, when + tick)

        sim.clock.call_at(start + tick, generate, start + tick)

    return Scenario(name="churn", namespaces=[namespace], drivers=[driver])


def large(pods: int = 150_000, replicas: int = 100, namespaces: int = 10) -> Scenario:
    """``pods`` settled Pods (``kubesim.bulk``: stored Running and Ready, as they stand once started, with
    no kubelet, scheduler or Events behind them) in Deployments of ``replicas``, spread over
    ``namespaces`` namespaces ``large-N``: the ``healthy`` scenario's Pod (two init containers and an
    app, about 4.8 KB of JSON each) at a large cluster's scale, for list benchmarks."""
    template = BUILTIN["healthy"]["workloads"][0]
    names = [f"large-{i}" for i in range(max(1, namespaces))]
    workloads = []
    for i, start in enumerate(range(0, max(0, pods), max(1, replicas))):
        workloads.append(
            {
                **template,
                "name": f"web-{i:05d}",
                "namespace": names[i % len(names)],
                "replicas": min(replicas, pods - start),
                "settled": True,
            }
        )
    return scenario_from_dict({"namespaces": names, "workloads": workloads}, "large")
