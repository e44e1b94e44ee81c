"""What simulated containers and Pods *do*: durations, exit codes, pull times, failure kinds.

Behaviours are immutable descriptions shared by every Pod of a workload; all runtime state (restart
counts, back-off) lives in the kubelet. Parsed from scenario dicts with :meth:`from_dict`; unknown
keys raise ``ValueError`` so typos in scenario files are caught.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

INF = math.inf


def _seq(value, default):
    if value is None:
        return list(default)
    return list(value) if isinstance(value, list | tuple) else [value]


@dataclass(frozen=True)
class ContainerBehavior:
    durations: tuple = (1.0,)  #: seconds per attempt (None = runs until killed); last repeats
    exit_codes: tuple = (0,)  #: exit code per attempt; last repeats
    oom: bool = False  #: report exit 137 as OOMKilled
    pull_time: float = 1.0  #: seconds the runtime spends pulling
    pull_failures: int = 0  #: the first N pulls fail (ErrImagePull -> ImagePullBackOff)
    pull_error: str = "not found"
    missing_configmap: str | None = None  #: CreateContainerConfigError: configmap "x" not found
    config_error_for: float | None = (
        None  #: seconds after Pod creation until the configmap exists (None: never)
    )
    startup_delay: float = 0.0  #: startupProbe: seconds after start until ``started: true``
    ready_delay: float = 0.0  #: readinessProbe: seconds after started until ``ready: true``
    sigterm_exit: int | None = 143  #: exit code on SIGTERM (None: ignores it, killed 137 at grace end)
    stop_time: float = 0.5  #: seconds to exit after SIGTERM
    log: tuple = ()  #: log lines written at start of every attempt
    error_message: str | None = None  #: last log line of a failing attempt
    termination_message: str | None = None

    def duration(self, attempt: int) -> float | None:
        d = self.durations[min(attempt, len(self.durations) - 1)]
        return None if d is None or d == INF else float(d)

    def exit_code(self, attempt: int) -> int:
        return int(self.exit_codes[min(attempt, len(self.exit_codes) - 1)])

    @classmethod
    def from_dict(cls, data: dict | None, *, default_duration: float | None = 1.0) -> ContainerBehavior:
        data = dict(data or {})
        known = {f.name for f in fields(cls)} | {"duration", "exit_code"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown container behavior keys: {sorted(unknown)}")
        if "duration" in data:
            data["durations"] = [data.pop("duration")]
        if "exit_code" in data:
            data["exit_codes"] = [data.pop("exit_code")]
        data["durations"] = tuple(_seq(data.get("durations"), [default_duration]))
        data["exit_codes"] = tuple(_seq(data.get("exit_codes"), [0]))
        data["log"] = tuple(data.get("log") or ())
        return cls(**data)


@dataclass(frozen=True)
class PodBehavior:
    unschedulable_for: float = 0.0  #: scheduler finds no node for this long (inf: forever)
    mount_failure: dict | None = None  #: {"volume", "configmap", "resolve_after"}
    sandbox_recreate_after: float | None = None  #: seconds after the Pod is Running
    delete_after_finish: float | None = None  #: delete the Pod this long after it ends (churn)
    #: the runtime cannot create the sandbox: {"message": CNI error, "resolve_after": s or None}
    sandbox_failure: dict | None = None
    containers: dict = field(default_factory=dict)  #: container name -> ContainerBehavior

    def container(self, name: str, kind: str) -> ContainerBehavior:
        b = self.containers.get(name)
        if b is not None:
            return b
        return ContainerBehavior(durations=(None,) if kind != "init" else (1.0,))
