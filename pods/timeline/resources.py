"""Resource quantities and the Pod's effective request and limit, with the container that sets them (pure).

The one home of Kubernetes' rule (`PodRequests` / `PodLimits` in `k8s.io/component-helpers`;
docs/kubernetes.md §1 "Effective request"), per resource, over the describe facts of a Pod
(`describe.spec_facts`):

- *app need*: the sum of the app containers' values plus every sidecar's (sidecars run beside the apps);
- *init peak*: for each init container in list order, its own value plus the sidecars listed before it
  (they keep running beside it); a sidecar's own step is the sum of the sidecars up to and including it;
  the peak is the largest step;
- effective = max(app need, init peak); pod-level `spec.resources` (cpu, memory, `hugepages-*`), when set,
  replaces that for the resources it names; then `spec.overhead` is added (to a limit only when one is set).

A regular init container *dominates* a resource when its step is the init peak and the peak is larger than
the app need: the Pod keeps that much reserved on its node for its whole life although its apps never need
it (`margin` = peak − app need). A sidecar's step never dominates: the app need already holds every
sidecar. Pod-level resources, when they decide a resource, leave no container dominating it.

Quantities are exact (`Fraction`): `parse_quantity` reads `250m`, `1.5`, `128Mi`, `1e3`; `format_quantity`
writes them the way kubectl does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

ZERO = Fraction(0)
REQUESTS, LIMITS = "requests", "limits"
# What pod-level `spec.resources` may name (`IsSupportedPodLevelResource`); anything else it names is ignored.
POD_LEVEL_RESOURCES = ("cpu", "memory")
HUGEPAGES_PREFIX = "hugepages-"

# ------------------------------------------------------------------------------------------ quantities

_QUANTITY = re.compile(
    r"([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d{1,3}))?"
)
_SUFFIXES: dict[str, Fraction] = {
    "": Fraction(1), "n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000),
    "k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9), "T": Fraction(10**12),
    "P": Fraction(10**15), "E": Fraction(10**18), "Ki": Fraction(2**10), "Mi": Fraction(2**20),
    "Gi": Fraction(2**30), "Ti": Fraction(2**40), "Pi": Fraction(2**50), "Ei": Fraction(2**60),
}  # fmt: skip


def parse_quantity(text: str) -> Fraction | None:
    """A resource quantity (`250m`, `1.5`, `128Mi`, `1e3`) as an exact number; None when it is not one."""
    match = _QUANTITY.fullmatch(text.strip()) if text else None
    if match is None:
        return None
    number = Fraction(match[1])
    if match[3] is not None:
        return number * Fraction(10) ** int(match[3])
    return number * _SUFFIXES[match[2] or ""]


def format_quantity(name: str, value: Fraction) -> str:
    """A quantity as kubectl would write it: cpu in whole cores or millicores (rounded up), anything
    else in the largest binary (then decimal) suffix that divides it exactly."""
    if name == "cpu":
        millis = math.ceil(value * 1000)
        return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"
    whole = math.ceil(value)
    if whole:
        for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki", "E", "P", "T", "G", "M", "k"):
            size = _SUFFIXES[suffix]
            if whole % size == 0 and whole >= size:
                return f"{int(whole / size)}{suffix}"
    return str(whole)


def is_pod_level_resource(name: str) -> bool:
    """Whether pod-level `spec.resources` can set this resource (cpu, memory, `hugepages-<size>`)."""
    return name in POD_LEVEL_RESOURCES or name.startswith(HUGEPAGES_PREFIX)


# ------------------------------------------------------------------------------------ the effective rule


@dataclass(frozen=True, slots=True)
class InitStep:
    """One entry of `spec.initContainers` while it starts: what the Pod needs of one resource then."""

    container: str
    kind: str  # "init" | "sidecar"
    own: Fraction  # the container's own value (0 when it sets none)
    value: Fraction  # own + the sidecars listed before it (a sidecar: the sidecars up to itself)


@dataclass(frozen=True, slots=True)
class Effective:
    """The Pod's effective request (or limit) of one resource, and what makes it."""

    resource: str
    value: Fraction  # what the scheduler fits on a node (overhead included)
    app: Fraction  # app containers + every sidecar
    init_peak: Fraction  # the largest init step (0 without init containers that name the resource)
    overhead: Fraction  # `spec.overhead` added to `value`
    pod_level: bool  # `spec.resources` decided `value` (before overhead)
    steps: tuple[InitStep, ...]

    @property
    def init_dominates(self) -> bool:
        """The init phase needs more than the apps ever will, and the containers decide (not pod-level)."""
        return not self.pod_level and self.init_peak > self.app

    @property
    def dominating(self) -> tuple[str, ...]:
        """The regular init containers whose step is the dominating peak (several only on a tie)."""
        if not self.init_dominates:
            return ()
        return tuple(s.container for s in self.steps if s.kind == "init" and s.value == self.init_peak)

    @property
    def margin(self) -> Fraction:
        """How much more the Pod reserves than its apps need, because of its init phase."""
        return self.init_peak - self.app if self.init_dominates else ZERO

    @property
    def set_by(self) -> str:
        """`pod` (pod-level resources), `init` (an init container dominates) or `app` (the app need)."""
        if self.pod_level:
            return "pod"
        return "init" if self.init_dominates else "app"


def _read(values: Mapping[str, Any], unreadable: set[str]) -> dict[str, Fraction]:
    out = {}
    for name, text in values.items():
        value = parse_quantity(text) if type(text) is str else None
        if value is None:
            unreadable.add(name)
        else:
            out[name] = value
    return out


def _add(total: dict[str, Fraction], values: Mapping[str, Fraction]) -> None:
    for name, value in values.items():
        total[name] = total.get(name, ZERO) + value


def effective(facts: Mapping[str, Any], key: str = REQUESTS) -> tuple[dict[str, Effective], list[str]]:
    """The Pod's effective `key` ("requests" or "limits") per resource, from its describe facts: the rule of
    the module docstring. Returns (resource -> Effective, the resources left out because a container's
    quantity could not be read: guessing would be worse than saying nothing). A container that does not
    name a resource counts 0 for it (a limit: it adds nothing, as in Kubernetes)."""
    unreadable: set[str] = set()
    app: dict[str, Fraction] = {}
    sidecars: dict[str, Fraction] = {}
    steps: dict[str, list[InitStep]] = {}
    for container in facts.get("containers") or ():
        values = _read(container.get(key) or {}, unreadable)
        kind, name = container.get("kind"), str(container.get("name", ""))
        if kind == "app":
            _add(app, values)
            continue
        if kind == "sidecar":
            _add(app, values)
            _add(sidecars, values)
            running = dict(sidecars)
        else:
            kind = "init"
            running = dict(values)
            _add(running, sidecars)
        for resource in set(running) | set(steps):
            own = values.get(resource, ZERO)
            steps.setdefault(resource, []).append(InitStep(name, kind, own, running.get(resource, ZERO)))
    overhead = _read(facts.get("overhead") or {}, unreadable)
    pod_level = {
        name: value
        for name, value in _read(facts.get("pod_" + key) or {}, unreadable).items()
        if is_pod_level_resource(name)
    }
    unreadable -= set(pod_level)
    out: dict[str, Effective] = {}
    for resource in sorted(set(app) | set(steps) | set(pod_level) | set(overhead)):
        if resource in unreadable:
            continue
        resource_steps = tuple(steps.get(resource, ()))
        init_peak = max((s.value for s in resource_steps), default=ZERO)
        need = app.get(resource, ZERO)
        value = pod_level.get(resource, max(need, init_peak))
        if resource not in (set(app) | set(steps) | set(pod_level)):
            value = ZERO  # named only by the overhead
        added = overhead.get(resource, ZERO)
        if key == LIMITS and not value:
            added = ZERO  # overhead goes to a set, non-zero limit only: no limit stays no limit
        if not value + added and key == LIMITS:
            continue
        out[resource] = Effective(
            resource=resource,
            value=value + added,
            app=need,
            init_peak=init_peak,
            overhead=added,
            pod_level=resource in pod_level,
            steps=resource_steps,
        )
    return out, sorted(unreadable)


def effective_resources(facts: Mapping[str, Any], key: str) -> tuple[dict[str, str], list[str]]:
    """`effective` as kubectl writes quantities: (resource -> quantity, resources left out)."""
    values, unreadable = effective(facts, key)
    return {name: format_quantity(name, e.value) for name, e in values.items()}, unreadable


def dominating(facts: Mapping[str, Any]) -> list[dict[str, str]]:
    """Per resource whose effective request an init container sets, in resource order: `resource`,
    `container`, `request` (its step: own request plus the sidecars before it), `app` (the app need) and
    `margin` (how much more the Pod reserves than its apps need), as kubectl writes quantities."""
    values, _ = effective(facts, REQUESTS)
    return [
        {
            "resource": name,
            "container": container,
            "request": format_quantity(name, e.init_peak),
            "app": format_quantity(name, e.app),
            "margin": format_quantity(name, e.margin),
        }
        for name, e in values.items()
        for container in e.dominating
    ]


def container_resources(facts: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    """One container's `kind`, `requests` and `limits` from the describe facts; None when it is not there."""
    for container in facts.get("containers") or ():
        if container.get("name") == name:
            return {
                "kind": container.get("kind", ""),
                REQUESTS: dict(container.get(REQUESTS) or {}),
                LIMITS: dict(container.get(LIMITS) or {}),
            }
    return None


__all__ = [
    "LIMITS",
    "REQUESTS",
    "Effective",
    "InitStep",
    "container_resources",
    "dominating",
    "effective",
    "effective_resources",
    "format_quantity",
    "is_pod_level_resource",
    "parse_quantity",
]
