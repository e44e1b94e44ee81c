"""What `kubectl describe pod` shows beyond the timeline, read from the spec and status (pure).

`spec_facts(raw_pod)` reads, as plain JSON types (kept in `PodState.spec_facts`): every container's
requests and limits, probes, ports, volume mounts and the ConfigMaps/Secrets its environment refers to;
the Pod's volumes and what they reference, Pod IP, QoS class, service account, priority, node selector,
tolerations and affinity in short. `spec_document` is the document's `spec` part, with the Pod's effective
request and limit and the init containers that set them, by the one rule of `resources` (docs/kubernetes.md
§1 "Effective request").

Never stored (values may be secrets): env values and names, `command`/`args`, exec probes' commands,
probe HTTP headers and hosts, the query string of a probe path, annotations, ConfigMap or Secret
contents. Only names of the objects referenced are kept.
"""

from __future__ import annotations

from typing import Any

from .parse import as_dict, as_int, as_list, as_str
from .resources import dominating, effective_resources, format_quantity, parse_quantity

_MAX_TEXT = 253  # a Kubernetes name; anything longer is cut
_MAX_ITEMS = 64  # per list (volumes, tolerations, mounts, ...): enough for any real Pod
_MAX_QUANTITY = 64
PROBES = (("startupProbe", "startup"), ("livenessProbe", "liveness"), ("readinessProbe", "readiness"))
_PROBE_TIMINGS = (
    ("initialDelaySeconds", "initial_delay_seconds", 0),
    ("timeoutSeconds", "timeout_seconds", 1),
    ("periodSeconds", "period_seconds", 10),
    ("successThreshold", "success_threshold", 1),
    ("failureThreshold", "failure_threshold", 3),
)
# Volume sources whose reference is a named object: (source key, field with the name, kind named)
_NAMED_SOURCES = {
    "configMap": ("name", "ConfigMap"),
    "secret": ("secretName", "Secret"),
    "persistentVolumeClaim": ("claimName", "PersistentVolumeClaim"),
}
_PROJECTED = {"configMap": "ConfigMap", "secret": "Secret"}


def _text(value: object, limit: int = _MAX_TEXT) -> str:
    return as_str(value)[:limit]


def _quantities(raw: object) -> dict[str, str]:
    out = {}
    for name, value in list(as_dict(raw).items())[:_MAX_ITEMS]:
        if type(name) is not str:
            continue
        if type(value) in (int, float):
            value = str(value)
        if type(value) is str and len(value) <= _MAX_QUANTITY:
            out[name[:_MAX_TEXT]] = value
    return out


def _resources(raw: object) -> tuple[dict[str, str], dict[str, str]]:
    resources = as_dict(raw)
    return _quantities(resources.get("requests")), _quantities(resources.get("limits"))


# ------------------------------------------------------------------------------------------ probes


def _port(value: object) -> str:
    """A probe's port: a number or a named port, as text."""
    number = as_int(value)
    return str(number) if number is not None else _text(value, 63)


def _probe(kind: str, raw: Any) -> dict[str, Any]:
    """Type, port and path of a probe, and its timings (API defaults filled in). Never an exec command,
    HTTP headers or host, nor the query string of the path (it may carry a token)."""
    probe: dict[str, Any] = {"kind": kind, "type": "", "port": "", "path": "", "scheme": ""}
    http = raw.get("httpGet")
    if type(http) is dict:
        path = as_str(http.get("path")).split("?", 1)[0].split("#", 1)[0]
        probe.update(
            type="httpGet",
            port=_port(http.get("port")),
            path=path[:_MAX_TEXT],
            scheme=_text(http.get("scheme")),
        )
    elif type(raw.get("tcpSocket")) is dict:
        probe.update(type="tcpSocket", port=_port(raw["tcpSocket"].get("port")))
    elif type(raw.get("grpc")) is dict:
        probe.update(type="grpc", port=_port(raw["grpc"].get("port")), path=_text(raw["grpc"].get("service")))
    elif type(raw.get("exec")) is dict:
        probe["type"] = "exec"  # the command is never kept: it can hold a secret
    for key, name, default in _PROBE_TIMINGS:
        value = as_int(raw.get(key))
        probe[name] = default if value is None else value
    return probe


# ------------------------------------------------------------------------------------- containers


def _env_refs(raw: Any) -> list[dict[str, str]]:
    """The ConfigMaps and Secrets a container's environment reads (`envFrom`, `valueFrom.*KeyRef`), by
    object name only: never a variable's name or value."""
    refs: list[dict[str, str]] = []

    def add(kind: str, name: object) -> None:
        ref = {"kind": kind, "name": _text(name)}
        if ref["name"] and ref not in refs and len(refs) < _MAX_ITEMS:
            refs.append(ref)

    for source in as_list(raw.get("envFrom")):
        source = as_dict(source)
        add("ConfigMap", as_dict(source.get("configMapRef")).get("name"))
        add("Secret", as_dict(source.get("secretRef")).get("name"))
    for var in as_list(raw.get("env")):
        value_from = as_dict(as_dict(var).get("valueFrom"))
        add("ConfigMap", as_dict(value_from.get("configMapKeyRef")).get("name"))
        add("Secret", as_dict(value_from.get("secretKeyRef")).get("name"))
    return refs


def _container(raw: Any, kind: str) -> dict[str, Any]:
    requests, limits = _resources(raw.get("resources"))
    ports = []
    for port in as_list(raw.get("ports"))[:_MAX_ITEMS]:
        number = as_int(as_dict(port).get("containerPort"))
        if number is not None:
            ports.append(f"{number}/{_text(as_dict(port).get('protocol'), 8) or 'TCP'}")
    mounts = [
        {
            "volume": _text(as_dict(m).get("name")),
            "path": _text(as_dict(m).get("mountPath"), 1024),
            "read_only": as_dict(m).get("readOnly") is True,
        }
        for m in as_list(raw.get("volumeMounts"))[:_MAX_ITEMS]
    ]
    return {
        "name": _text(raw.get("name")),
        "kind": kind,
        "requests": requests,
        "limits": limits,
        "probes": [_probe(name, raw[key]) for key, name in PROBES if type(raw.get(key)) is dict],
        "ports": ports,
        "mounts": mounts,
        "config_refs": _env_refs(raw),
    }


# ---------------------------------------------------------------------------------------- volumes


def _volume(raw: Any, pod_name: str) -> dict[str, Any]:
    """A volume's name, its source type and the objects it references (names only)."""
    name = _text(raw.get("name"))
    refs: list[dict[str, str]] = []
    source_type = next((key for key in raw if key != "name" and type(raw[key]) is dict), "")
    source = as_dict(raw.get(source_type))
    if source_type in _NAMED_SOURCES:
        field, kind = _NAMED_SOURCES[source_type]
        if as_str(source.get(field)):
            refs.append({"kind": kind, "name": _text(source.get(field))})
    elif source_type == "projected":
        for item in as_list(source.get("sources"))[:_MAX_ITEMS]:
            for key, kind in _PROJECTED.items():
                ref_name = as_str(as_dict(as_dict(item).get(key)).get("name"))
                if ref_name:
                    refs.append({"kind": kind, "name": ref_name[:_MAX_TEXT]})
            if type(as_dict(item).get("serviceAccountToken")) is dict:
                refs.append({"kind": "ServiceAccountToken", "name": ""})
    elif source_type == "ephemeral":
        # the API names a generic ephemeral volume's claim `<pod>-<volume>`
        refs.append({"kind": "PersistentVolumeClaim", "name": f"{pod_name}-{name}"[:_MAX_TEXT]})
    return {"name": name, "type": _text(source_type, 63), "refs": refs}


# ------------------------------------------------------------------------------ scheduling, in short


def _toleration(raw: Any) -> str:
    """kubectl describe's form: `key=value:Effect`, `op=Exists`, `for 300s`."""
    key, value, effect = as_str(raw.get("key")), as_str(raw.get("value")), as_str(raw.get("effect"))
    text = key + (f"={value}" if value else "") + (f":{effect}" if effect else "")
    if raw.get("operator") == "Exists" and not value:
        text += " op=Exists" if key else "op=Exists"
    seconds = as_int(raw.get("tolerationSeconds"))
    if seconds is not None:
        text += f" for {seconds}s"
    return text[: _MAX_TEXT * 2]


def _expressions(raw: Any) -> str:
    """`matchLabels` and `matchExpressions` (or a node term's `matchFields`) as `k=v, k In [a, b]`."""
    parts = [f"{k}={v}" for k, v in as_dict(raw.get("matchLabels")).items() if type(v) is str]
    for key in ("matchExpressions", "matchFields"):
        for expr in as_list(raw.get(key)):
            expr = as_dict(expr)
            values = [v for v in as_list(expr.get("values")) if type(v) is str]
            shown = f" [{', '.join(values)}]" if values else ""
            parts.append(f"{as_str(expr.get('key'))} {as_str(expr.get('operator'))}{shown}")
    return ", ".join(parts) or "everything"


def _affinity(raw: Any) -> list[str]:
    """Each rule of `spec.affinity` in one line: `node, required: kubernetes.io/arch In [amd64]`."""
    lines: list[str] = []
    node = as_dict(raw.get("nodeAffinity"))
    required = as_dict(node.get("requiredDuringSchedulingIgnoredDuringExecution"))
    terms = [_expressions(t) for t in as_list(required.get("nodeSelectorTerms"))]
    if terms:
        lines.append("node, required: " + " or ".join(f"({t})" if len(terms) > 1 else t for t in terms))
    for pref in as_list(node.get("preferredDuringSchedulingIgnoredDuringExecution")):
        pref = as_dict(pref)
        lines.append(
            f"node, preferred (weight {as_int(pref.get('weight'))}): "
            f"{_expressions(as_dict(pref.get('preference')))}"
        )
    for key, label in (("podAffinity", "pod affinity"), ("podAntiAffinity", "pod anti-affinity")):
        rules = as_dict(raw.get(key))
        for term in as_list(rules.get("requiredDuringSchedulingIgnoredDuringExecution")):
            term = as_dict(term)
            lines.append(
                f"{label}, required: {_expressions(as_dict(term.get('labelSelector')))} "
                f"per {as_str(term.get('topologyKey'))}"
            )
        for pref in as_list(rules.get("preferredDuringSchedulingIgnoredDuringExecution")):
            pref = as_dict(pref)
            term = as_dict(pref.get("podAffinityTerm"))
            lines.append(
                f"{label}, preferred (weight {as_int(pref.get('weight'))}): "
                f"{_expressions(as_dict(term.get('labelSelector')))} per {as_str(term.get('topologyKey'))}"
            )
    return [line[:512] for line in lines[:_MAX_ITEMS]]


# --------------------------------------------------------------------------------------- the facts


def spec_facts(raw_pod: Any) -> dict[str, Any]:
    """The describe facts of a raw Pod object, as plain JSON types (see the module docstring)."""
    spec = as_dict(as_dict(raw_pod).get("spec"))
    status = as_dict(as_dict(raw_pod).get("status"))
    containers = []
    for key, default in (("initContainers", "init"), ("containers", "app")):
        for raw in as_list(spec.get(key))[:_MAX_ITEMS]:
            if type(raw) is dict and as_str(raw.get("name")):
                kind = "sidecar" if default == "init" and raw.get("restartPolicy") == "Always" else default
                containers.append(_container(raw, kind))
    pod_requests, pod_limits = _resources(spec.get("resources"))
    selector = {
        k[:_MAX_TEXT]: v[:_MAX_TEXT]
        for k, v in list(as_dict(spec.get("nodeSelector")).items())[:_MAX_ITEMS]
        if type(k) is str and type(v) is str
    }
    qos = as_str(status.get("qosClass"))
    pod_name = as_str(as_dict(as_dict(raw_pod).get("metadata")).get("name"))
    return {
        "pod_ip": _text(status.get("podIP"), 64),
        "host_ip": _text(status.get("hostIP"), 64),
        "qos_class": qos or qos_class(containers, pod_requests, pod_limits),
        "qos_class_reported": bool(qos),
        "service_account": _text(spec.get("serviceAccountName")),
        "priority_class_name": _text(spec.get("priorityClassName")),
        "priority": as_int(spec.get("priority")),
        "node_selector": selector,
        "tolerations": [_toleration(as_dict(t)) for t in as_list(spec.get("tolerations"))[:_MAX_ITEMS]],
        "affinity": _affinity(as_dict(spec.get("affinity"))),
        "volumes": [_volume(as_dict(v), pod_name) for v in as_list(spec.get("volumes"))[:_MAX_ITEMS]],
        "pod_requests": pod_requests,
        "pod_limits": pod_limits,
        "overhead": _quantities(spec.get("overhead")),
        "containers": containers,
    }


def qos_class(
    containers: list[dict[str, Any]], pod_requests: dict[str, str], pod_limits: dict[str, str]
) -> str:
    """Kubernetes' QoS class from requests and limits of cpu and memory, for an object whose status does
    not say it: BestEffort without any, Guaranteed when every container limits both and requests equal
    limits, Burstable otherwise (pod-level resources, when set, decide alone)."""
    parts = [(pod_requests, pod_limits)] if pod_requests or pod_limits else []
    parts = parts or [(c["requests"], c["limits"]) for c in containers]
    compute = ("cpu", "memory")
    if not any(r.get(n) or lim.get(n) for r, lim in parts for n in compute):
        return "BestEffort"
    for requests, limits in parts:
        for name in compute:
            limit = parse_quantity(limits.get(name, ""))
            if not limit or parse_quantity(requests.get(name, "") or limits[name]) != limit:
                return "Burstable"
    return "Guaranteed"


def spec_document(facts: dict[str, Any]) -> dict[str, Any]:
    """The document's `spec` part: the stored facts and the effective request and limit."""
    requests, unreadable_requests = effective_resources(facts, "requests")
    limits, unreadable_limits = effective_resources(facts, "limits")
    containers = [
        {
            "name": c.get("name", ""),
            "kind": c.get("kind", ""),
            "requests": dict(c.get("requests") or {}),
            "limits": dict(c.get("limits") or {}),
            "probes": [dict(p) for p in c.get("probes") or ()],
            "ports": list(c.get("ports") or ()),
            "mounts": [dict(m) for m in c.get("mounts") or ()],
            "config_refs": [dict(r) for r in c.get("config_refs") or ()],
        }
        for c in facts.get("containers") or ()
    ]
    return {
        "known": bool(facts),
        "pod_ip": facts.get("pod_ip", ""),
        "host_ip": facts.get("host_ip", ""),
        "qos_class": facts.get("qos_class", ""),
        "qos_class_reported": bool(facts.get("qos_class_reported")),
        "service_account": facts.get("service_account", ""),
        "priority_class_name": facts.get("priority_class_name", ""),
        "priority": facts.get("priority"),
        "node_selector": dict(facts.get("node_selector") or {}),
        "tolerations": list(facts.get("tolerations") or ()),
        "affinity": list(facts.get("affinity") or ()),
        "volumes": [
            {
                "name": v.get("name", ""),
                "type": v.get("type", ""),
                "refs": [dict(r) for r in v.get("refs") or ()],
            }
            for v in facts.get("volumes") or ()
        ],
        "effective_requests": requests,
        "effective_limits": limits,
        "effective_unreadable": sorted(set(unreadable_requests) | set(unreadable_limits)),
        "init_dominates": dominating(facts),
        "overhead": dict(facts.get("overhead") or {}),
        "pod_requests": dict(facts.get("pod_requests") or {}),
        "pod_limits": dict(facts.get("pod_limits") or {}),
        "containers": containers,
    }


__all__ = [
    "effective_resources",
    "format_quantity",
    "parse_quantity",
    "qos_class",
    "spec_document",
    "spec_facts",
]
