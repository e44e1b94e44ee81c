"""Builders for API objects and the admission defaults the real API server applies.

``admit_pod`` takes a user/controller Pod manifest and returns what a 1.35 API server would
store: uid, name (``generateName`` + 5 chars), creationTimestamp, managedFields, defaulted spec
(restartPolicy, tolerations, ``kube-api-access-xxxxx`` projected volume and mounts …) and a
``Pending`` status with ``qosClass``.
"""

from __future__ import annotations

import orjson

from .util import Ids, default_pull_policy, rfc3339

SA_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"


def managed_fields(manager: str, ts: float, operation: str = "Update", api_version: str = "v1") -> list[dict]:
    return [
        {
            "manager": manager,
            "operation": operation,
            "apiVersion": api_version,
            "time": rfc3339(ts),
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {}}, "f:spec": {}},
        }
    ]


def new_meta(
    name: str,
    namespace: str | None,
    ids: Ids,
    now: float,
    labels: dict | None = None,
    owner: dict | None = None,
    manager: str = "kubectl-client-side-apply",
    api_version: str = "v1",
) -> dict:
    md: dict = {"name": name}
    if namespace is not None:
        md["namespace"] = namespace
    md["uid"] = ids.uid()
    md["creationTimestamp"] = rfc3339(now)
    if labels:
        md["labels"] = dict(labels)
    if owner:
        md["ownerReferences"] = [owner]
    md["managedFields"] = managed_fields(manager, now, api_version=api_version)
    return md


def owner_ref(obj: dict) -> dict:
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def namespace_obj(name: str, ids: Ids, now: float) -> dict:
    return {
        "kind": "Namespace",
        "apiVersion": "v1",
        "metadata": {
            "name": name,
            "uid": ids.uid(),
            "creationTimestamp": rfc3339(now),
            "labels": {"kubernetes.io/metadata.name": name},
            "managedFields": managed_fields("kubectl-create", now),
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def node_obj(name: str, cpu: str, memory: str, ids: Ids, now: float, index: int) -> dict:
    return {
        "kind": "Node",
        "apiVersion": "v1",
        "metadata": {
            "name": name,
            "uid": ids.uid(),
            "creationTimestamp": rfc3339(now),
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
            },
            "managedFields": managed_fields("kubelet", now),
        },
        "spec": {"podCIDR": f"10.244.{index}.0/24"},
        "status": {
            "capacity": {"cpu": cpu, "memory": memory, "pods": "110"},
            "allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "kubelet is posting ready status",
                    "lastHeartbeatTime": rfc3339(now),
                    "lastTransitionTime": rfc3339(now),
                }
            ],
            "addresses": [
                {"type": "InternalIP", "address": f"172.18.0.{index + 2}"},
                {"type": "Hostname", "address": name},
            ],
            "nodeInfo": {
                "kubeletVersion": "v1.35.0",
                "containerRuntimeVersion": "containerd://2.1.4",
                "operatingSystem": "linux",
                "architecture": "amd64",
                "kernelVersion": "6.8.0",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "kubeProxyVersion": "",
                "machineID": ids.hex(32),
                "systemUUID": ids.uid(),
                "bootID": ids.uid(),
            },
        },
    }


def parse_cpu(value: str | int | float | None) -> float:
    if value is None:
        return 0.0
    text = str(value)
    if text.endswith("m"):
        return float(text[:-1]) / 1000
    return float(text)


def qos_class(pod: dict) -> str:
    containers = list(pod["spec"].get("initContainers") or []) + list(pod["spec"].get("containers") or [])
    requests_any = limits_any = False
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        requests_any |= bool(req)
        limits_any |= bool(lim)
        for r in ("cpu", "memory"):
            if r not in lim or (r in req and req[r] != lim[r]):
                guaranteed = False
    if not requests_any and not limits_any:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def _default_container(c: dict, volume_name: str) -> dict:
    c = dict(c)
    c.setdefault("resources", {})
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    c.setdefault("imagePullPolicy", default_pull_policy(c["image"]))
    mounts = list(c.get("volumeMounts") or [])
    mounts.append({"name": volume_name, "readOnly": True, "mountPath": SA_MOUNT})
    c["volumeMounts"] = mounts
    return c


def admit_pod(manifest: dict, ids: Ids, now: float, manager: str = "kube-controller-manager") -> dict:
    """Return the stored form of a Pod manifest (see module docstring). ``manifest`` is not changed."""
    pod = orjson.loads(orjson.dumps(manifest))  # a deep copy of plain JSON, ~10x faster than deepcopy
    pod["kind"], pod["apiVersion"] = "Pod", "v1"
    md = pod.setdefault("metadata", {})
    if not md.get("name"):
        md["name"] = md["generateName"] + ids.suffix()
    md.setdefault("namespace", "default")
    md["uid"] = ids.uid()
    md["creationTimestamp"] = rfc3339(now)
    md["managedFields"] = managed_fields(manager, now)
    for k in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds"):
        md.pop(k, None)
    spec = pod.setdefault("spec", {})
    vol = "kube-api-access-" + ids.suffix()
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("serviceAccountName", "default")
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("priority", 0)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    tolerations = list(spec.get("tolerations") or [])
    for t in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        tolerations.append({"key": t, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300})
    spec["tolerations"] = tolerations
    if spec.get("initContainers"):
        spec["initContainers"] = [_default_container(c, vol) for c in spec["initContainers"]]
    spec["containers"] = [_default_container(c, vol) for c in spec.get("containers") or []]
    volumes = list(spec.get("volumes") or [])
    volumes.append(
        {
            "name": vol,
            "projected": {
                "defaultMode": 420,
                "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {
                        "configMap": {
                            "name": "kube-root-ca.crt",
                            "items": [{"key": "ca.crt", "path": "ca.crt"}],
                        }
                    },
                    {
                        "downwardAPI": {
                            "items": [
                                {
                                    "path": "namespace",
                                    "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                }
                            ]
                        }
                    },
                ],
            },
        }
    )
    spec["volumes"] = volumes
    pod["status"] = {"phase": "Pending", "qosClass": qos_class(pod)}
    return pod
