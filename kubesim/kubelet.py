"""The virtual kubelet: runs bound Pods through the container lifecycle of a 1.35 kubelet.

What it reproduces (see docs/kubernetes.md, Pod spec, status, back-off and events):

* First status report: every container ``waiting: PodInitializing`` (``ContainerCreating`` without
  init containers), conditions PodReadyToStartContainers / Initialized / Ready / ContainersReady.
* Volumes (``FailedMount`` retries), then the sandbox (``PodReadyToStartContainers`` True, podIP).
* Init containers one at a time; native sidecars (``restartPolicy: Always``) start, become
  ``started`` (after the startup probe) and keep running; then the app containers.
* Per attempt: image pull (serialized per node, ``Pulling``/``Pulled`` with queue wait, or
  "already present"; ``ErrImagePull`` -> ``ImagePullBackOff`` with back-off 10 s doubling to 300 s),
  ``CreateContainerConfigError`` (no attempt, no restartCount bump), ``Created``/``Started``,
  a new ``containerd://`` id, and termination with ``Completed``/``Error``/``OOMKilled``.
* Crash back-off: 1st restart immediate, then 10, 20, 40 … 300 s, reset when an attempt ran longer
  than 600 s; ``CrashLoopBackOff`` waiting message and ``BackOff`` Warning events. The node's kubelet
  configuration (:func:`configure_node`) can lower both ends (KEP-4603, KEP-5593).
* restartPolicy ``Never``/``OnFailure``, per-container ``restartPolicy`` and ``restartPolicyRules``
  (KEP-5307) and the ``RestartAllContainers`` action (KEP-5532: every container restarts in place,
  ``AllContainersRestarting`` condition), Pod completion (sidecars stopped in reverse order),
  activeDeadlineSeconds, sandbox recreation and graceful deletion.
* ``stopSignal`` (KEP-4960) and ``resources`` (in-place resize, GA 1.35) in container statuses.
* Status is reported at most once per ``status_interval`` of simulated time, with only the latest
  state, so short containers may go from waiting to terminated between two reports.

All timers carry the Pod's *generation*; killing a Pod's containers bumps it so stale timers do
nothing. Every finished attempt and deletion is written to the ground truth, with the Pod's *init
generation* (``PodRun.sandboxes``: +1 per sandbox recreation and per RestartAllContainers).
"""

from __future__ import annotations

from .behavior import ContainerBehavior, PodBehavior
from .core import Cluster, NodeState
from .logs import AttemptLog
from .util import go_duration, image_digest, image_size, parse_rfc3339, rfc3339

CRASH_BACKOFF_INITIAL = 10.0
CRASH_BACKOFF_MAX = 300.0
CRASH_BACKOFF_RESET = 600.0
REDUCED_BACKOFF_INITIAL = 1.0  # feature gate ReduceDefaultCrashLoopBackOffDecay (alpha 1.33)
REDUCED_BACKOFF_MAX = 60.0
RESTART_ALL_CLEANUP = 1.0  # kill + remove of every container, until the next pod sync (unverified)
RESTARTING_ALL = "RestartingAllContainers"
RESTARTING_ALL_MESSAGE = "The container is removed because RestartAllContainers in place"
SIGNALS = {
    "SIGHUP": 1,
    "SIGINT": 2,
    "SIGQUIT": 3,
    "SIGKILL": 9,
    "SIGUSR1": 10,
    "SIGUSR2": 12,
    "SIGTERM": 15,
    "SIGWINCH": 28,
}
KUBELET_CONFIG_KEYS = {
    "serializeImagePulls",
    "maxParallelImagePulls",
    "crashLoopBackOff",
    "featureGates",
    "nodes",
}
FEATURE_GATES = {"ReduceDefaultCrashLoopBackOffDecay": False, "KubeletCrashLoopBackOffMax": True}


def _seconds(value) -> float:
    """A kubelet-config duration: a number of seconds or a Go duration such as ``30s``, ``1m30s``."""
    if isinstance(value, int | float):
        return float(value)
    text, total, num = str(value).strip(), 0.0, ""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0}
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isdigit() or ch == ".":
            num += ch
        elif text.startswith("ms", i):
            total, num, i = total + float(num) / 1000, "", i + 1
        elif ch in units and num:
            total, num = total + float(num) * units[ch], ""
        else:
            raise ValueError(f"bad duration {value!r}")
        i += 1
    if num:
        raise ValueError(f"bad duration {value!r} (missing unit)")
    return total


def configure_node(node: NodeState, config: dict) -> None:
    """Apply a kubelet configuration to ``node`` (scenario key ``kubelet``, see kubesim/README.md):

    * ``serializeImagePulls`` (default true) / ``maxParallelImagePulls`` (N > 1 needs
      ``serializeImagePulls: false``, which is implied when only N is given; unset with
      ``serializeImagePulls: false`` means no limit);
    * ``crashLoopBackOff.maxContainerRestartPeriod`` (1–300 s; KEP-5593, gate
      ``KubeletCrashLoopBackOffMax``, beta and on in 1.35): the cap, and the initial delay if lower;
    * ``featureGates.ReduceDefaultCrashLoopBackOffDecay`` (KEP-4603, alpha 1.33): 1 s initial, 60 s cap.
    """
    unknown = set(config) - KUBELET_CONFIG_KEYS
    if unknown:
        raise ValueError(f"unknown kubelet config keys {sorted(unknown)}")
    gates = {**FEATURE_GATES, **(config.get("featureGates") or {})}
    unknown = set(gates) - set(FEATURE_GATES)
    if unknown:
        raise ValueError(f"unknown kubelet feature gates {sorted(unknown)}")
    serialize = config.get("serializeImagePulls")
    parallel = config.get("maxParallelImagePulls")
    if parallel is not None and int(parallel) > 1 and serialize is True:
        raise ValueError("maxParallelImagePulls cannot be larger than 1 unless serializeImagePulls is false")
    if parallel is not None:
        node.max_parallel_pulls = max(1, int(parallel))
    elif serialize is False:
        node.max_parallel_pulls = 1_000_000  # no limit
    initial, cap = CRASH_BACKOFF_INITIAL, CRASH_BACKOFF_MAX
    if gates["ReduceDefaultCrashLoopBackOffDecay"]:
        initial, cap = REDUCED_BACKOFF_INITIAL, REDUCED_BACKOFF_MAX
    period = (config.get("crashLoopBackOff") or {}).get("maxContainerRestartPeriod")
    if period is not None and gates["KubeletCrashLoopBackOffMax"]:
        cap = _seconds(period)
        if not 1 <= cap <= 300:
            raise ValueError("crashLoopBackOff.maxContainerRestartPeriod must be between 1s and 300s")
        initial = min(initial, cap)
    node.crash_backoff_initial, node.crash_backoff_max = initial, cap


def matching_rule(rules: list, code: int) -> dict | None:
    """The first ``restartPolicyRules`` entry whose ``exitCodes`` match ``code`` (KEP-5307)."""
    for rule in rules:
        ec = rule.get("exitCodes") or {}
        values = ec.get("values") or []
        op = ec.get("operator")
        if (op == "In" and code in values) or (op == "NotIn" and code not in values):
            return rule
    return None


PULL_BACKOFF_INITIAL = 10.0
PULL_BACKOFF_MAX = 300.0
MOUNT_RETRY = (0.5, 1, 2, 4, 8, 16, 32, 64, 122)
SANDBOX_RETRY = 10.0  # the pod worker's back-off after a failed sync (workerBackOffPeriod)


class Container:
    """Runtime state of one container of a Pod (kind ``init``, ``sidecar`` or ``app``)."""

    def __init__(self, spec: dict, kind: str, behavior: ContainerBehavior, initial_reason: str) -> None:
        self.name: str = spec["name"]
        self.image: str = spec["image"]
        self.kind = kind
        self.b = behavior
        self.pull_policy = spec.get("imagePullPolicy", "IfNotPresent")
        self.restart_policy: str | None = spec.get("restartPolicy")  # container-level override
        self.rules: list = spec.get("restartPolicyRules") or []
        self.stop_signal: str | None = (spec.get("lifecycle") or {}).get("stopSignal")
        self.resources: dict = spec.get("resources") or {}
        self.field_path = ("spec.initContainers{%s}" if kind != "app" else "spec.containers{%s}") % self.name
        self.has_startup_probe = "startupProbe" in spec or behavior.startup_delay > 0
        self.phase = "new"  # new pulling pull-backoff config-wait running exited backoff done stopped
        self.restart_count = 0
        self.ever_created = False
        self.attempts = 0  # attempts ever started: indexes the behaviour's sequences
        self.state: dict = {"waiting": {"reason": initial_reason}}
        self.last_state: dict = {}
        self.container_id: str | None = None
        self.image_id = ""
        self.started = False
        self.ready = False
        self.started_at = 0.0
        self.backoff = 0.0
        self.pull_backoff = 0.0
        self.pull_failed = 0
        self.created_in_gen = False
        self.counted = False  # restartCount already raised for the next attempt (RestartAllContainers)

    def status(self) -> dict:
        st = {
            "name": self.name,
            "state": self.state,
            "lastState": self.last_state,
            "ready": self.ready,
            "restartCount": self.restart_count,
            "image": self.image,
            "imageID": self.image_id,
        }
        if self.container_id:
            st["containerID"] = self.container_id
        st["started"] = self.started
        if self.resources and "running" in self.state:
            # in-place resize (GA 1.35): what the runtime enacted, for running containers only;
            # allocatedResources needs the deprecated gate InPlacePodVerticalScalingAllocatedStatus
            res = {}
            if self.resources.get("limits"):
                res["limits"] = dict(self.resources["limits"])
            requests = self.resources.get("requests") or self.resources.get("limits")
            if requests:
                res["requests"] = dict(requests)
            st["resources"] = res
        if self.stop_signal and self.container_id:
            st["stopSignal"] = self.stop_signal  # reported by the runtime (gate ContainerStopSignals)
        return st


class PodRun:
    """Kubelet-side state of one Pod on a node."""

    def __init__(
        self, pod: dict, node: NodeState, behavior: PodBehavior, scheduled_cond: dict | None
    ) -> None:
        md, spec = pod["metadata"], pod["spec"]
        self.uid: str = md["uid"]
        self.ns: str = md["namespace"]
        self.name: str = md["name"]
        self.created = parse_rfc3339(md["creationTimestamp"])
        self.node = node
        self.b = behavior
        self.restart_policy = spec.get("restartPolicy", "Always")
        self.deadline = spec.get("activeDeadlineSeconds")
        self.qos = pod["status"].get("qosClass", "BestEffort")
        self.scheduled_cond = scheduled_cond
        inits = spec.get("initContainers") or []
        initial = "PodInitializing" if inits else "ContainerCreating"
        self.inits = [
            Container(
                c,
                "sidecar" if c.get("restartPolicy") == "Always" else "init",
                behavior.container(c["name"], "sidecar" if c.get("restartPolicy") == "Always" else "init"),
                initial,
            )
            for c in inits
        ]
        self.apps = [
            Container(c, "app", behavior.container(c["name"], "app"), initial)
            for c in spec.get("containers") or []
        ]
        self.gen = 0  # bumped whenever timers must go stale
        self.sandboxes = 0  # init generation: bumped by every sandbox recreation and RestartAllContainers
        #: some container has a RestartAllContainers rule: the kubelet publishes AllContainersRestarting
        self.restart_all_rule = any(
            r.get("action") == "RestartAllContainers"
            for c in inits + spec.get("containers", [])
            for r in c.get("restartPolicyRules") or []
        )
        self.restarting_all = False  # AllContainersRestarting is True
        self.start_time: float | None = None
        self.pod_ip: str | None = None
        self.sandbox_ready = False
        self.init_done = False
        self.terminal: str | None = None  # Succeeded / Failed
        self.reason: str | None = None
        self.message: str | None = None
        self.deleting = False
        self.completing = False
        self.gone = False
        self.running_seen = False
        self.cond_times: dict[str, tuple[str, str]] = {}
        self.flush_pending = False
        self.last_flush = -1e18
        self.mount_attempt = 0
        self.frozen = False  # the node stopped reporting (NotReady): nothing changes any more

    @property
    def containers(self) -> list[Container]:
        return self.inits + self.apps

    @property
    def pod_ref(self) -> str:
        return f"{self.name}_{self.ns}({self.uid})"


class Kubelet:
    """All nodes' kubelets. ``admit`` a bound Pod; ``delete`` after the API set deletionTimestamp."""

    def __init__(
        self, sim: Cluster, status_interval: float = 1.0, sync_delay: float = 0.3, sandbox_time: float = 1.0
    ) -> None:
        self.sim = sim
        self.store = sim.store
        self.clock = sim.clock
        self.events = sim.events
        self.ids = sim.ids
        self.rng = sim.rng
        self.truth = sim.truth
        self.logs = sim.logs
        self.status_interval = status_interval
        self.sync_delay = sync_delay
        self.sandbox_time = sandbox_time
        self.nodes: dict[str, NodeState] = sim.nodes
        self.pods: dict[str, PodRun] = {}

    # ------------------------------------------------------------ plumbing
    def _later(self, pr: PodRun, delay: float, fn, *args) -> None:
        self.clock.call_later(delay, self._fire, pr, pr.gen, fn, args)

    @staticmethod
    def _fire(pr: PodRun, gen: int, fn, args: tuple) -> None:
        if pr.gen == gen and not pr.gone:
            fn(*args)

    def stop_reporting(self, node: str) -> None:
        """The node's kubelet is gone (NotReady): its Pods keep their last reported status."""
        for pr in self.pods.values():
            if pr.node.name == node:
                pr.frozen = True
                pr.gen += 1

    def _event(
        self, pr: PodRun, c: Container | None, type_: str, reason: str, message: str, combine: bool = False
    ) -> None:
        obj = self.store.get("pods", pr.ns, pr.name)
        if obj is None or obj["metadata"]["uid"] != pr.uid:
            return
        self.events.record(
            obj,
            type_,
            reason,
            message,
            field_path=c.field_path if c else None,
            component="kubelet",
            host=pr.node.name,
            combine=combine,
        )

    def _dirty(self, pr: PodRun) -> None:
        if pr.flush_pending or pr.gone or pr.frozen:
            return
        pr.flush_pending = True
        self.clock.call_at(max(self.clock.now(), pr.last_flush + self.status_interval), self.flush, pr)

    def flush(self, pr: PodRun) -> None:
        """Report the Pod's status now (if it changed)."""
        pr.flush_pending = False
        if pr.gone or pr.frozen:
            return
        obj = self.store.get("pods", pr.ns, pr.name)
        if obj is None or obj["metadata"]["uid"] != pr.uid:
            return
        status = self.render(pr)
        pr.last_flush = self.clock.now()
        if status != obj.get("status"):
            self.store.update("pods", {**obj, "status": status})

    # ------------------------------------------------------------ status
    def _cond(
        self, pr: PodRun, type_: str, ok: bool, reason: str | None = None, message: str | None = None
    ) -> dict:
        status = "True" if ok else "False"
        prev = pr.cond_times.get(type_)
        if prev is None or prev[0] != status:
            prev = (status, rfc3339(self.clock.now()))
            pr.cond_times[type_] = prev
        cond = {"type": type_, "status": status, "lastProbeTime": None, "lastTransitionTime": prev[1]}
        if reason and not ok or reason:
            cond["reason"] = reason
        if message and not ok:
            cond["message"] = message
        return cond

    def phase(self, pr: PodRun) -> str:
        if pr.terminal:
            return pr.terminal
        if pr.init_done and all(c.created_in_gen for c in pr.apps):
            return "Running"
        return "Pending"

    def render(self, pr: PodRun) -> dict:
        phase = self.phase(pr)
        incomplete = [
            c.name
            for c in pr.inits
            if not ((c.kind == "init" and c.phase == "done") or (c.kind == "sidecar" and c.started))
        ]
        unready = [c.name for c in pr.inits if c.kind == "sidecar" and not c.ready] + [
            c.name for c in pr.apps if not c.ready
        ]
        conds = [self._cond(pr, "PodReadyToStartContainers", pr.sandbox_ready and not pr.terminal)]
        if pr.init_done or not pr.inits:
            conds.append(
                self._cond(pr, "Initialized", True, "PodCompleted" if phase == "Succeeded" else None)
            )
        else:
            conds.append(
                self._cond(
                    pr,
                    "Initialized",
                    False,
                    "ContainersNotInitialized",
                    f"containers with incomplete status: [{' '.join(incomplete)}]",
                )
            )
        if pr.terminal:
            term_reason = "PodCompleted" if pr.terminal == "Succeeded" else "PodFailed"
            conds.append(self._cond(pr, "Ready", False, term_reason))
            conds.append(self._cond(pr, "ContainersReady", False, term_reason))
        elif unready:
            msg = f"containers with unready status: [{' '.join(unready)}]"
            conds.append(self._cond(pr, "Ready", False, "ContainersNotReady", msg))
            conds.append(self._cond(pr, "ContainersReady", False, "ContainersNotReady", msg))
        else:
            conds.append(self._cond(pr, "Ready", True))
            conds.append(self._cond(pr, "ContainersReady", True))
        if pr.scheduled_cond:
            conds.append(pr.scheduled_cond)
        if pr.restart_all_rule:
            if pr.terminal:
                conds.append(self._cond(pr, "AllContainersRestarting", False, term_reason))
            elif pr.restarting_all:
                cond = self._cond(pr, "AllContainersRestarting", True, "RestartAllContainersStarted")
                cond["message"] = "container exited with restart policy rule"
                conds.append(cond)
            else:
                conds.append(self._cond(pr, "AllContainersRestarting", False))
        status: dict = {"phase": phase, "conditions": conds}
        if pr.reason:
            status["message"] = pr.message
            status["reason"] = pr.reason
        status["hostIP"] = pr.node.ip
        status["hostIPs"] = [{"ip": pr.node.ip}]
        if pr.pod_ip:
            status["podIP"] = pr.pod_ip
            status["podIPs"] = [{"ip": pr.pod_ip}]
        if pr.start_time is not None:
            status["startTime"] = rfc3339(pr.start_time)
        if pr.inits:
            status["initContainerStatuses"] = [c.status() for c in pr.inits]
        status["containerStatuses"] = [c.status() for c in pr.apps]
        status["qosClass"] = pr.qos
        return status

    # ------------------------------------------------------------ lifecycle
    def admit(self, pod: dict, node: NodeState, behavior: PodBehavior) -> None:
        """Start running a Pod that was just bound to ``node``."""
        sched = next((c for c in pod["status"].get("conditions") or [] if c["type"] == "PodScheduled"), None)
        pr = PodRun(pod, node, behavior, sched)
        self.pods[pr.uid] = pr
        node.pods += 1
        self._later(pr, 0.1 + self.rng.random() * 0.3, self._begin, pr)

    def _begin(self, pr: PodRun) -> None:
        pr.start_time = self.clock.now()
        self.flush(pr)
        if pr.deadline is not None:
            self.clock.call_later(float(pr.deadline), self._deadline, pr)
        if pr.b.mount_failure:
            self._mount(pr)
        else:
            self._later(pr, self.sandbox_time * (0.5 + self.rng.random()), self._create_sandbox, pr)

    def _create_sandbox(self, pr: PodRun) -> None:
        """RunPodSandbox: succeeds, or (``sandbox_failure``) fails with the runtime's CNI error, a
        ``FailedCreatePodSandBox`` Warning, and is retried by the pod worker after its back-off."""
        sf = pr.b.sandbox_failure
        resolve = (sf or {}).get("resolve_after")
        if not sf or (resolve is not None and self.clock.now() >= (pr.start_time or 0) + float(resolve)):
            self._sandbox_ready(pr)
            return
        error = sf.get("message") or (
            'plugin type="calico" failed (add): error getting ClusterInformation: connection is '
            "unauthorized: Unauthorized"
        )
        self._event(
            pr,
            None,
            "Warning",
            "FailedCreatePodSandBox",
            f"Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for "
            f'sandbox "{self.ids.hex(64)}": {error}',
            combine=True,
        )
        self._later(pr, SANDBOX_RETRY + self.rng.random() * 2, self._create_sandbox, pr)

    def _mount(self, pr: PodRun) -> None:
        mf = pr.b.mount_failure or {}
        resolve_after = mf.get("resolve_after")
        if resolve_after is not None and self.clock.now() >= (pr.start_time or 0) + float(resolve_after):
            self._later(pr, self.sandbox_time, self._create_sandbox, pr)
            return
        vol, cm = mf.get("volume", "config"), mf.get("configmap", "app-config")
        self._event(
            pr,
            None,
            "Warning",
            "FailedMount",
            f'MountVolume.SetUp failed for volume "{vol}" : configmap "{cm}" not found',
        )
        elapsed = self.clock.now() - (pr.start_time or 0)
        if elapsed >= 120 and int(elapsed // 120) != int((elapsed - MOUNT_RETRY[-1]) // 120):
            api_vol = next(
                (v["name"] for v in self._pod_volumes(pr) if v["name"].startswith("kube-api-access")),
                "kube-api-access",
            )
            self._event(
                pr,
                None,
                "Warning",
                "FailedMount",
                f"Unable to attach or mount volumes: unmounted volumes=[{vol}], unattached volumes="
                f"[{vol} {api_vol}]: timed out waiting for the condition",
            )
        delay = MOUNT_RETRY[min(pr.mount_attempt, len(MOUNT_RETRY) - 1)]
        pr.mount_attempt += 1
        self._later(pr, delay, self._mount, pr)

    def _pod_volumes(self, pr: PodRun) -> list[dict]:
        obj = self.store.get("pods", pr.ns, pr.name)
        return (obj or {}).get("spec", {}).get("volumes") or []

    def _sandbox_ready(self, pr: PodRun) -> None:
        pr.sandbox_ready = True
        if pr.pod_ip is None:
            pr.pod_ip = pr.node.allocate_ip()
        self._dirty(pr)
        self._step(pr)

    def _step(self, pr: PodRun) -> None:
        """The kubelet's sync decision: start whatever may start next."""
        if pr.terminal or pr.deleting or pr.completing or not pr.sandbox_ready:
            return
        if not pr.init_done:
            for c in pr.inits:
                if (c.kind == "init" and c.phase == "done") or (c.kind == "sidecar" and c.started):
                    continue
                if c.phase == "new":
                    self._start_attempt(pr, c)
                return
            pr.init_done = True
            self._dirty(pr)
        for c in pr.apps:
            if c.phase == "new":
                self._start_attempt(pr, c)

    def _start_attempt(self, pr: PodRun, c: Container) -> None:
        now = self.clock.now()
        node = pr.node
        if c.pull_policy != "Always" and c.image in node.images:
            self._event(
                pr,
                c,
                "Normal",
                "Pulled",
                f'Container image "{c.image}" already present on machine and can be accessed by the pod',
            )
            c.phase = "pulling"
            self._later(pr, 0.05, self._create, pr, c)
            return
        c.phase = "pulling"
        self._event(pr, c, "Normal", "Pulling", f'Pulling image "{c.image}"')
        fail = c.pull_failed < c.b.pull_failures or node.disk_pressure
        duration = min(c.b.pull_time, 1.0) if fail else c.b.pull_time
        if node.max_parallel_pulls <= 1:  # serializeImagePulls: true (the default)
            start = max(now, node.pull_free_at)
            node.pull_free_at = start + duration
        else:  # maxParallelImagePulls: the pull waits for the first free slot, FIFO
            slots = node.pull_slots
            if len(slots) < node.max_parallel_pulls:
                slots.append(0.0)
            i = min(range(len(slots)), key=lambda k: slots[k])
            start = max(now, slots[i])
            slots[i] = start + duration
        self._later(pr, start + duration - now, self._pull_done, pr, c, now, start + duration, fail)

    def _pull_done(self, pr: PodRun, c: Container, requested: float, end: float, fail: bool) -> None:
        if fail:
            c.pull_failed += 1
            err = (
                f'rpc error: code = NotFound desc = failed to pull and unpack image "{c.image}": '
                f'failed to resolve reference "{c.image}": {c.image}: {c.b.pull_error}'
            )
            if pr.node.disk_pressure:
                err = (
                    f'rpc error: code = Unknown desc = failed to pull and unpack image "{c.image}": '
                    f"failed to extract layer sha256:{image_digest(c.image)[-64:]}: write "
                    "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/412/fs/usr/lib/"
                    "libcrypto.so.3: no space left on device: unknown"
                )
            self._event(pr, c, "Warning", "Failed", f'Failed to pull image "{c.image}": {err}')
            self._event(pr, c, "Warning", "Failed", "Error: ErrImagePull")
            c.state = {"waiting": {"reason": "ErrImagePull", "message": err}}
            c.phase = "pull-backoff"
            c.pull_backoff = (
                PULL_BACKOFF_INITIAL if not c.pull_backoff else min(c.pull_backoff * 2, PULL_BACKOFF_MAX)
            )
            self._dirty(pr)
            self._later(pr, self.status_interval, self._pull_backoff, pr, c, err)
            self._later(pr, c.pull_backoff, self._start_attempt, pr, c)
            return
        pr.node.images.add(c.image)
        self._event(
            pr,
            c,
            "Normal",
            "Pulled",
            f'Successfully pulled image "{c.image}" in {go_duration(c.b.pull_time)} '
            f"({go_duration(end - requested)} including waiting). Image size: {image_size(c.image)} bytes.",
        )
        self._create(pr, c)

    def _pull_backoff(self, pr: PodRun, c: Container, err: str) -> None:
        if c.phase != "pull-backoff":
            return
        c.state = {
            "waiting": {
                "reason": "ImagePullBackOff",
                "message": f'Back-off pulling image "{c.image}": ErrImagePull: {err}',
            }
        }
        self._event(pr, c, "Normal", "BackOff", f'Back-off pulling image "{c.image}"')
        self._event(pr, c, "Warning", "Failed", "Error: ImagePullBackOff")
        self._dirty(pr)

    def _create(self, pr: PodRun, c: Container) -> None:
        now = self.clock.now()
        b = c.b
        if b.missing_configmap and (b.config_error_for is None or now < pr.created + b.config_error_for):
            msg = f'configmap "{b.missing_configmap}" not found'
            c.state = {"waiting": {"reason": "CreateContainerConfigError", "message": msg}}
            c.phase = "config-wait"
            self._event(pr, c, "Warning", "Failed", f"Error: {msg}")
            self._dirty(pr)
            self._later(pr, 10.0 + self.rng.random(), self._start_attempt, pr, c)
            return
        if "terminated" in c.state:
            c.last_state = c.state
        if c.counted:  # RestartAllContainers already raised restartCount for this attempt
            c.counted = False
        elif c.ever_created:
            c.restart_count += 1
        c.ever_created = True
        c.created_in_gen = True
        c.container_id = self.ids.container_id()
        c.image_id = image_digest(c.image)
        attempt = c.attempts
        c.attempts += 1
        c.started_at = now
        c.state = {"running": {"startedAt": rfc3339(now)}}
        c.phase = "running"
        c.started = not c.has_startup_probe if c.kind != "init" else True
        c.ready = c.kind != "init" and c.started and b.ready_delay <= 0
        self._event(pr, c, "Normal", "Created", "Container created")
        self._event(pr, c, "Normal", "Started", "Container started")
        lines = b.log or self._default_log(pr, c)
        heartbeat = f"{c.name}: waiting for dependency..." if c.kind == "init" else f"{c.name}: healthy"
        self.logs.start(pr.uid, c.name, AttemptLog(c.restart_count, now, tuple(lines), heartbeat, 10.0))
        duration = b.duration(attempt)
        if duration is not None:
            self._later(pr, duration, self._exit, pr, c, b.exit_code(attempt))
        if c.kind != "init" and not c.started:
            self._later(pr, b.startup_delay, self._mark_started, pr, c)
        elif c.kind != "init" and not c.ready:
            self._later(pr, b.ready_delay, self._mark_ready, pr, c)
        self._dirty(pr)
        if c.kind == "sidecar" and c.started:
            self._step(pr)
        if c.kind == "app" and not pr.running_seen and all(a.created_in_gen for a in pr.apps):
            pr.running_seen = True
            if pr.b.sandbox_recreate_after is not None:
                self._later(pr, pr.b.sandbox_recreate_after, self._sandbox_changed, pr)

    @staticmethod
    def _default_log(pr: PodRun, c: Container) -> list[str]:
        if c.kind == "init":
            return [f"{c.name}: starting (restart {c.restart_count})", f"{c.name}: pod {pr.ns}/{pr.name}"]
        return [f"{c.name}: starting (restart {c.restart_count})", f"{c.name}: listening on :8080"]

    def _mark_started(self, pr: PodRun, c: Container) -> None:
        if c.phase != "running":
            return
        c.started = True
        if c.b.ready_delay <= 0:
            c.ready = True
        else:
            self._later(pr, c.b.ready_delay, self._mark_ready, pr, c)
        self._dirty(pr)
        if c.kind == "sidecar":
            self._step(pr)

    def _mark_ready(self, pr: PodRun, c: Container) -> None:
        if c.phase == "running" and c.started:
            c.ready = True
            self._dirty(pr)

    def _terminate(self, pr: PodRun, c: Container, code: int, reason: str | None = None) -> None:
        """Record the end of the running attempt of ``c`` (state, ground truth, log)."""
        now = self.clock.now()
        if reason is None:
            reason = "Completed" if code == 0 else ("OOMKilled" if c.b.oom and code == 137 else "Error")
        term = {"exitCode": code, "reason": reason}
        if c.b.termination_message and code != 0:
            term["message"] = c.b.termination_message
        term.update(startedAt=rfc3339(c.started_at), finishedAt=rfc3339(now), containerID=c.container_id)
        c.state = {"terminated": term}
        c.phase = "exited"
        c.started = False
        c.ready = c.kind == "init" and code == 0
        self._record(pr, c, code, reason)

    def _record(self, pr: PodRun, c: Container, code: int, reason: str) -> None:
        """Ground truth and log of the end of the running attempt of ``c`` (now)."""
        now = self.clock.now()
        self.truth.attempt(
            pr.ns,
            pr.name,
            pr.uid,
            c.name,
            c.kind,
            c.restart_count,
            c.started_at,
            now,
            code,
            reason,
            generation=pr.sandboxes,
            container_id=c.container_id,
        )
        if code == 0:
            final = [f"{c.name}: done"]
        else:
            final = [c.b.error_message or f"{c.name}: error: exit status {code}"]
        self.logs.finish(pr.uid, c.name, now, final)
        self._dirty(pr)

    @staticmethod
    def should_restart(pr: PodRun, c: Container, code: int) -> bool:
        """``ContainerShouldRestart``: with a container-level ``restartPolicy`` the first matching
        ``restartPolicyRules`` entry decides (``Restart``: yes; ``RestartAllContainers``: not this
        container alone), else the container's policy; otherwise the Pod's ``restartPolicy``."""
        policy = c.restart_policy
        if policy is not None:
            rule = matching_rule(c.rules, code)
            if rule is not None:
                return rule.get("action") == "Restart"
        else:
            policy = pr.restart_policy
        return policy == "Always" or (policy == "OnFailure" and code != 0)

    def _exit(self, pr: PodRun, c: Container, code: int) -> None:
        if c.phase != "running":
            return
        self._terminate(pr, c, code)
        rule = matching_rule(c.rules, code) if c.restart_policy is not None else None
        if rule is not None and rule.get("action") == "RestartAllContainers":
            self._restart_all(pr, c)
            return
        if c.kind == "init":
            if code == 0:
                c.phase = "done"
                self._step(pr)
            elif self.should_restart(pr, c, code):
                self._restart_later(pr, c)
            else:
                self._fail(pr)
        elif c.kind == "sidecar":
            self._restart_later(pr, c)
        else:
            if self.should_restart(pr, c, code):
                self._restart_later(pr, c)
            else:
                c.phase = "done"
                if all(a.phase == "done" for a in pr.apps):
                    self._complete(pr)

    def _restart_all(self, pr: PodRun, trigger: Container) -> None:
        """KEP-5532: ``trigger`` exited into a ``RestartAllContainers`` rule. The kubelet reports
        ``AllContainersRestarting=True``, kills every other container at once (no grace period, no
        preStop) and removes them all from the runtime, keeping the sandbox, uid and IP; then
        :meth:`_restart_all_cleaned`."""
        if pr.completing or pr.terminal or pr.deleting:
            return
        pr.restarting_all = True
        pr.gen += 1
        for c in pr.containers:
            if c is trigger:
                continue
            if c.phase == "running":
                self._event(pr, c, "Normal", "Killing", f"Stopping container {c.name}")
                self._record(pr, c, 137, RESTARTING_ALL)
                c.phase = "killed"  # its last report still shows it running
            elif c.phase != "done" and c.phase != "exited":
                c.phase = "stopped"
        self._dirty(pr)
        self._later(pr, RESTART_ALL_CLEANUP, self._restart_all_cleaned, pr)

    def _restart_all_cleaned(self, pr: PodRun) -> None:
        """Every container is gone from the runtime: ``AllContainersRestarting`` turns False and the
        Pod starts again from its first init container (a new init generation). A container whose
        last status was running or terminated now reads ``waiting: RestartingAllContainers`` with a
        made-up ``lastState.terminated`` (137, no times, no containerID) and ``restartCount`` + 1,
        which is the number of its next attempt; a waiting one keeps its count and ``lastState``."""
        pr.restarting_all = False
        pr.sandboxes += 1
        pr.init_done = False
        default = "PodInitializing" if pr.inits else "ContainerCreating"
        for c in pr.containers:
            if "waiting" in c.state:
                c.state = {"waiting": {"reason": default}}
            else:
                if "running" in c.state:
                    c.container_id, c.image_id = None, ""
                c.state = {"waiting": {"reason": RESTARTING_ALL, "message": RESTARTING_ALL_MESSAGE}}
                c.last_state = {
                    "terminated": {
                        "exitCode": 137,
                        "reason": RESTARTING_ALL,
                        "message": RESTARTING_ALL_MESSAGE,
                    }
                }
                c.restart_count += 1
                c.counted = True
            c.phase, c.started, c.ready, c.created_in_gen = "new", False, False, False
        self.flush(pr)
        # from the next sync on the condition is False, so the kubelet no longer writes the
        # RestartingAllContainers waiting state: the default one, with restartCount and lastState kept
        for c in pr.containers:
            if c.state["waiting"].get("reason") == RESTARTING_ALL:
                c.state = {"waiting": {"reason": default}}
        self._dirty(pr)
        self._later(pr, self.sync_delay, self._step, pr)

    def _restart_later(self, pr: PodRun, c: Container) -> None:
        now = self.clock.now()
        if now - c.started_at > CRASH_BACKOFF_RESET:
            c.backoff = 0.0
        delay = c.backoff
        initial, cap = pr.node.crash_backoff_initial, pr.node.crash_backoff_max
        c.backoff = initial if delay == 0 else min(delay * 2, cap)
        if delay == 0:
            self._later(pr, self.sync_delay, self._restart, pr, c)
            return
        c.phase = "backoff"
        self._later(pr, self.sync_delay, self._enter_backoff, pr, c, delay)
        self._later(pr, delay + self.sync_delay + self.rng.random(), self._restart, pr, c)

    def _enter_backoff(self, pr: PodRun, c: Container, delay: float) -> None:
        if c.phase != "backoff":
            return
        c.last_state = c.state
        c.state = {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off {go_duration(delay)} restarting failed container="
                f"{c.name} pod={pr.pod_ref}",
            }
        }
        self._event(
            pr, c, "Warning", "BackOff", f"Back-off restarting failed container {c.name} in pod {pr.pod_ref}"
        )
        self._dirty(pr)

    def _restart(self, pr: PodRun, c: Container) -> None:
        if pr.completing or pr.terminal or pr.deleting:
            return
        self._start_attempt(pr, c)

    # ------------------------------------------------------------ endings
    def _kill(self, pr: PodRun, grace: float, then, *args) -> None:
        """SIGTERM every running container (``Killing`` events), SIGKILL at ``grace``; then ``then``."""
        pr.gen += 1
        latest = 0.0
        running = [c for c in reversed(pr.apps) if c.phase == "running"] + [
            c for c in reversed(pr.inits) if c.phase == "running"
        ]
        for c in running:
            self._event(pr, c, "Normal", "Killing", f"Stopping container {c.name}")
            if c.b.sigterm_exit is None or c.b.stop_time >= grace:
                t, code = grace, 137
            else:
                t, code = c.b.stop_time, c.b.sigterm_exit
                if c.stop_signal and code == 143:  # the default exit on SIGTERM: 128 + signal
                    code = 128 + SIGNALS.get(c.stop_signal, 15)
            self._later(pr, t, self._terminate, pr, c, code)
            latest = max(latest, t)
        for c in pr.containers:
            if c.phase in ("pulling", "pull-backoff", "config-wait", "backoff", "new", "killed"):
                c.phase = "stopped"
        self._later(pr, latest + 0.01, then, *args)

    def _fail(self, pr: PodRun, reason: str | None = None, message: str | None = None) -> None:
        """The Pod failed for good (init failure under Never, deadline)."""
        pr.completing = True
        pr.reason, pr.message = reason, message
        self._kill(pr, 30.0, self._set_terminal, pr, "Failed")

    def _complete(self, pr: PodRun) -> None:
        """All app containers finished for good: stop sidecars, then go terminal."""
        pr.completing = True
        ok = all("terminated" in a.state and a.state["terminated"]["exitCode"] == 0 for a in pr.apps)
        self._kill(pr, 30.0, self._set_terminal, pr, "Succeeded" if ok else "Failed")

    def _set_terminal(self, pr: PodRun, phase: str) -> None:
        pr.terminal = phase
        pr.gen += 1
        self.flush(pr)
        if pr.b.delete_after_finish is not None and not pr.deleting:
            self.clock.call_later(pr.b.delete_after_finish, self.sim.delete_pod, pr.ns, pr.name, 0, pr.uid)

    def _deadline(self, pr: PodRun) -> None:
        if pr.gone or pr.terminal or pr.deleting or pr.completing:
            return
        msg = "Pod was active on the node longer than the specified deadline"
        self._event(pr, None, "Normal", "DeadlineExceeded", msg)
        self._fail(pr, "DeadlineExceeded", msg)

    def _sandbox_changed(self, pr: PodRun) -> None:
        """The sandbox died (node reboot, runtime restart): kill all, rerun init from the first."""
        if pr.terminal or pr.deleting or pr.completing:
            return
        pr.gen += 1
        for c in pr.containers:
            if c.phase == "running":
                self._terminate(pr, c, 255, "Unknown")
        self._event(
            pr, None, "Normal", "SandboxChanged", "Pod sandbox changed, it will be killed and re-created."
        )
        if pr.restart_policy == "Never":
            self._set_terminal(pr, "Failed")
            return
        pr.sandboxes += 1
        pr.sandbox_ready = False
        pr.init_done = False
        for c in pr.inits:
            c.phase, c.restart_count, c.ever_created, c.backoff, c.counted = "new", 0, False, 0.0, False
            c.state, c.last_state = {"waiting": {"reason": "PodInitializing"}}, {}
            c.container_id, c.image_id, c.started, c.ready, c.created_in_gen = None, "", False, False, False
            self.logs.reset(pr.uid, c.name)
        for c in pr.apps:
            if "terminated" in c.state:
                c.last_state = c.state
            c.state = {"waiting": {"reason": "PodInitializing" if pr.inits else "ContainerCreating"}}
            c.phase, c.started, c.ready, c.created_in_gen, c.backoff = "new", False, False, False, 0.0
        self._dirty(pr)
        self._later(pr, self.sandbox_time * (1 + self.rng.random()), self._sandbox_ready, pr)

    def delete(self, uid: str, grace: float) -> None:
        """The API set deletionTimestamp: stop containers, report a terminal phase, finish deletion."""
        pr = self.pods.get(uid)
        if pr is None or pr.deleting:
            return
        pr.deleting = True
        if pr.terminal:
            pr.gen += 1
            self._later(pr, 0.2, self._finalize, pr)
            return
        pr.completing = True
        self._kill(pr, grace, self._deleted_terminal, pr)

    def _deleted_terminal(self, pr: PodRun) -> None:
        ok = all("terminated" in a.state and a.state["terminated"]["exitCode"] == 0 for a in pr.apps)
        pr.terminal = "Succeeded" if ok else "Failed"
        pr.gen += 1
        self.flush(pr)
        self._later(pr, 0.2, self._finalize, pr)

    def _finalize(self, pr: PodRun) -> None:
        """The kubelet's grace-0 DELETE: a MODIFIED with grace 0, then DELETED."""
        self.remove(pr)
        obj = self.store.get("pods", pr.ns, pr.name)
        if obj is None or obj["metadata"]["uid"] != pr.uid:
            return
        now = self.clock.now()
        md = {**obj["metadata"], "deletionTimestamp": rfc3339(now), "deletionGracePeriodSeconds": 0}
        self.store.update("pods", {**obj, "metadata": md})
        self.sim.remove_pod(pr.ns, pr.name, pr.uid)

    def remove(self, pr: PodRun) -> None:
        pr.gone = True
        pr.gen += 1
        if self.pods.pop(pr.uid, None) is not None:
            pr.node.pods -= 1
        self.logs.forget(pr.uid, [c.name for c in pr.containers])
