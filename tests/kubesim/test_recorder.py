"""kubesim.recorder: scenarios played on a manual clock, captured as a watcher sees them."""

from __future__ import annotations

from kubesim.recorder import record

START = 1_748_854_800.0  # 2025-06-02T09:00:00Z

CRASHING = {
    "workloads": [
        {
            "kind": "Deployment",
            "name": "api",
            "initContainers": [
                {
                    "name": "migrate",
                    "image": "acme/migrate:1",
                    "behavior": {"duration": 3, "exit_codes": [1, 1, 1, 1, 0]},
                }
            ],
        }
    ]
}


def _lines(rec):
    return [(i.resource, i.type, i.object) for i in rec.items]


def test_a_recording_is_deterministic_and_in_resource_version_order():
    one = record("crash-loop", seconds=60, start=START, seed=3)
    two = record("crash-loop", seconds=60, start=START, seed=3)
    assert _lines(one) == _lines(two)
    rvs = [i.rv for i in one.items]
    assert rvs == sorted(rvs) and len(set(rvs)) == len(rvs)
    assert {i.resource for i in one.items} == {"pods", "events"}


def test_a_gap_drops_transitions_and_reconnects_with_a_410_and_the_latest_state():
    rec = record(CRASHING, seconds=110, start=START, gaps=[(14, 90)])
    types = [i.type for i in rec.items]
    assert types.count("ERROR") == 1
    error = rec.items[types.index("ERROR")]
    assert error.object["code"] == 410 and error.object["reason"] == "Expired"
    after = rec.items[types.index("ERROR") + 1 :]
    readded = next(i for i in after if i.resource == "pods")
    assert readded.type == "ADDED"
    seen = [
        s["restartCount"]
        for i in rec.items
        if i.resource == "pods" and i.type != "ERROR"
        for s in i.object["status"].get("initContainerStatuses", [])
    ]
    assert 4 in seen and 2 not in seen, "restartCount jumps over the gap"
    assert [t["number"] for t in rec.truth if t["container"] == "migrate"] == [0, 1, 2, 3, 4]


def test_sandbox_recreation_starts_a_new_generation_in_the_ground_truth():
    rec = record("sandbox-recreate", seconds=60, start=START)
    generations = {(t["container"], t["generation"]) for t in rec.truth}
    assert ("migrate", 0) in generations and ("migrate", 1) in generations
    assert all(t["container_id"].startswith("containerd://") for t in rec.truth)
