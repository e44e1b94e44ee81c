"""A container's effective restart policy (KEP-5307, docs/kubernetes.md §1 and the end notes of §2).

Since 1.35 (feature gate `ContainerRestartRules`, beta and on) a container may set its own
`restartPolicy` and `restartPolicyRules`; the kubelet's `ContainerShouldRestart` then decides each exit:
the first rule whose exit codes match wins (`Restart`, or `RestartAllContainers`: KEP-5532, the whole
Pod restarts in place), else the container's `restartPolicy`; a container without one follows the Pod's.
A sidecar (an init container with `restartPolicy: Always`) always restarts; a regular init container that
exits 0 is done whatever the policy says. `restart_action` is the engine's one statement of that rule:
attempt reconstruction (fold), the diagnosis and the document read it, nothing else re-derives it.
"""

from __future__ import annotations

from typing import Any, Literal

from .model import ContainerState
from .parse import as_dict, as_int, as_list, as_str

#: What the kubelet does after an exit: restart the container, restart every container of the Pod
#: (a new init generation), or nothing (the exit is final).
RestartAction = Literal["restart", "restart-all", "none"]

RULE_ACTIONS: dict[str, RestartAction] = {"Restart": "restart", "RestartAllContainers": "restart-all"}
RESTART_ALL_REASON = "RestartingAllContainers"  # lastState/waiting reason after a restart-all (§2 notes)


def parse_rules(raw: object) -> list[dict[str, Any]]:
    """`restartPolicyRules` as the engine keeps them: `{action, operator, exit_codes}` per rule, in order.

    Rules without an `exitCodes` operator the engine knows (`In`, `NotIn`) are kept but never match.
    """
    rules = []
    for rule in as_list(raw):
        if type(rule) is not dict:
            continue
        codes = as_dict(rule.get("exitCodes"))
        values = [v for v in (as_int(x) for x in as_list(codes.get("values"))) if v is not None]
        rules.append(
            {
                "action": as_str(rule.get("action")),
                "operator": as_str(codes.get("operator")),
                "exit_codes": values,
            }
        )
    return rules


def _matches(rule: dict[str, Any], exit_code: int) -> bool:
    operator, codes = rule.get("operator"), rule.get("exit_codes") or ()
    if operator == "In":
        return exit_code in codes
    if operator == "NotIn":
        return exit_code not in codes
    return False


def effective_policy(pod_policy: str, container: ContainerState) -> str:
    """The restartPolicy that governs `container`: its own, else the Pod's (`Always` when unset)."""
    if container.kind == "sidecar":
        return "Always"
    return container.restart_policy or pod_policy or "Always"


def matching_rule(container: ContainerState, exit_code: int | None) -> dict[str, Any] | None:
    """The first of the container's rules that decides `exit_code` (rules apply only with a container
    restartPolicy), or None."""
    if exit_code is None or not container.restart_policy or container.kind == "sidecar":
        return None
    for rule in container.restart_rules:
        if rule.get("action") in RULE_ACTIONS and _matches(rule, exit_code):
            return rule
    return None


def restart_action(pod_policy: str, container: ContainerState, exit_code: int | None) -> RestartAction:
    """What the kubelet does when `container` exits with `exit_code` (None: unknown, read as a failure)."""
    if container.kind == "sidecar":
        return "restart"
    if container.kind == "init" and exit_code == 0:
        return "none"  # a regular init container that succeeded is done
    rule = matching_rule(container, exit_code)
    if rule is not None:
        return RULE_ACTIONS[rule["action"]]
    policy = effective_policy(pod_policy, container)
    if policy == "Always":
        return "restart"
    if policy == "OnFailure":
        return "none" if exit_code == 0 else "restart"
    return "none"


def policy_text(pod_policy: str, container: ContainerState, exit_code: int | None) -> str:
    """Why an exit is final, for people: `under restartPolicy Never` or, with the container's own policy,
    `under its restartPolicy Never (no restartPolicyRules match exit 3)`."""
    if not container.restart_policy:
        return f"under restartPolicy {pod_policy or 'Always'}"
    text = f"under its restartPolicy {container.restart_policy}"
    if container.restart_rules and exit_code is not None:
        text += f" (no restartPolicyRules match exit {exit_code})"
    return text


__all__ = [
    "RESTART_ALL_REASON",
    "RULE_ACTIONS",
    "RestartAction",
    "effective_policy",
    "matching_rule",
    "parse_rules",
    "policy_text",
    "restart_action",
]
