"""Scenarios: what the simulated cluster runs.

A scenario is a list of workloads (Deployment, StatefulSet, Job, CronJob, Pod) whose containers
carry a ``behavior`` (see :class:`kubesim.behavior.ContainerBehavior`), plus optional drivers
(the ``churn`` generator). :func:`load_scenario` accepts a built-in name
(:func:`builtin_names`), a ``.yaml``/``.yml``/``.json`` path, a dict, or a :class:`Scenario`.
The file format (parsed in :mod:`kubesim.scenarios.model`) is documented in ``kubesim/README.md``;
``scenarios/example.yaml`` is a sample; the built-in ones are in :mod:`kubesim.scenarios.builtin`.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from .builtin import BUILTIN, churn, demo, large
from .model import Scenario, parse_pod_behavior, parse_workload, scenario_from_dict

__all__ = [
    "Scenario",
    "builtin_names",
    "load_scenario",
    "parse_pod_behavior",
    "parse_workload",
    "scenario_from_dict",
]


def builtin_names() -> list[str]:
    return sorted([*BUILTIN, "demo", "churn", "large"])


def load_scenario(spec, **options) -> Scenario:
    """Resolve a scenario (see module docstring). ``options`` go to ``churn`` (``pods_per_second``,
    ``init_containers``) and ``large`` (``pods``, ``replicas``, ``namespaces``)."""
    if isinstance(spec, Scenario):
        return spec
    if isinstance(spec, dict):
        return scenario_from_dict(spec)
    text = str(spec)
    if text == "churn":
        return churn(**options)
    if text == "demo":
        return demo()
    if text == "large":
        return large(**options)
    if text in BUILTIN:
        return scenario_from_dict(BUILTIN[text], text)
    path = Path(text)
    if path.suffix in (".yaml", ".yml", ".json") or path.exists():
        raw = path.read_text()
        data = json.loads(raw) if path.suffix == ".json" else yaml.safe_load(raw)
        return scenario_from_dict(data, path.stem)
    raise ValueError(f"unknown scenario {text!r}; built-in: {', '.join(builtin_names())}")
