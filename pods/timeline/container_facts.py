"""Per-container facts beyond attempts: the restart policy from the spec (KEP-5307) and, from the
newest container status, `stopSignal` (KEP-4960) and the in-place resize fields `resources` /
`allocatedResources` (GA in 1.35). docs/kubernetes.md §2 end notes. Never env values: only these
fields are read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .model import ContainerState, PodState, set_fields
from .parse import as_dict, as_list, as_str
from .policy import parse_rules

_SPEC_KEYS = ("initContainers", "containers")
_STATUS_KEYS = ("initContainerStatuses", "containerStatuses")
_MAX_QUANTITY = 64  # a resource quantity is short text (`250m`, `128Mi`); anything longer is not one


def _quantities(raw: object) -> dict[str, str]:
    """A resource list (`{cpu: 250m, memory: 128Mi}`) as text; odd entries are dropped."""
    out = {}
    for name, value in as_dict(raw).items():
        if type(name) is not str:
            continue
        if type(value) in (int, float) and type(value) is not bool:
            value = str(value)
        if type(value) is str and len(value) <= _MAX_QUANTITY:
            out[name] = value
    return out


def _resources(raw: object) -> dict[str, dict[str, str]]:
    """`{limits, requests}` of a container status, each present only when it holds something."""
    out = {}
    for key in ("limits", "requests"):
        values = _quantities(as_dict(raw).get(key))
        if values:
            out[key] = values
    return out


def _entries(
    state: PodState, parent: Any, keys: tuple[str, ...]
) -> Iterator[tuple[ContainerState, dict[str, Any]]]:
    """Each entry of the lists `keys` of `parent` (the spec or the status) with the known container it
    names; entries that are not objects or name no known container are skipped."""
    by_name = {c.name: c for c in state.containers}
    for key in keys:
        for raw in as_list(parent.get(key)):
            if type(raw) is not dict:
                continue
            name = raw.get("name")
            container = by_name.get(name) if type(name) is str else None
            if container is not None:
                yield container, raw


def fold_spec_policies(state: PodState, spec: Any) -> bool:
    """Each container's own `restartPolicy` and `restartPolicyRules` from the spec."""
    changed = False
    for container, raw in _entries(state, spec, _SPEC_KEYS):
        policy = as_str(raw.get("restartPolicy"))
        rules = parse_rules(raw.get("restartPolicyRules")) if "restartPolicyRules" in raw else []
        changed |= set_fields(container, restart_policy=policy, restart_rules=rules)
    return changed


def fold_status_facts(state: PodState, status: Any) -> bool:
    """`stopSignal`, `resources` and `allocatedResources` of each container status, as last reported: the
    kubelet reports `resources` only while a container runs, so a status without a field keeps its value."""
    changed = False
    for container, cs in _entries(state, status, _STATUS_KEYS):
        if "stopSignal" in cs:
            changed |= set_fields(container, stop_signal=as_str(cs.get("stopSignal")))
        if "resources" in cs:
            changed |= set_fields(container, resources=_resources(cs.get("resources")))
        if "allocatedResources" in cs:
            changed |= set_fields(container, allocated_resources=_quantities(cs.get("allocatedResources")))
    return changed


__all__ = ["fold_spec_policies", "fold_status_facts"]
