"""Ground truth: what really ran, compared with what the API showed."""

from __future__ import annotations

import orjson


def visible_attempts(changes) -> set[tuple]:
    seen = set()
    for _, _, pod in changes:
        st = pod["status"]
        for cs in (st.get("initContainerStatuses") or []) + (st.get("containerStatuses") or []):
            for key, number in (("state", cs["restartCount"]), ("lastState", cs["restartCount"] - 1)):
                term = (cs.get(key) or {}).get("terminated")
                if term and "startedAt" in term:
                    if (
                        key == "lastState"
                        and "terminated" not in cs["state"]
                        and "running" not in cs["state"]
                    ):
                        number = cs["restartCount"]  # waiting + lastState: attempt restartCount finished
                    seen.add(
                        (
                            pod["metadata"]["uid"],
                            cs["name"],
                            number,
                            term["startedAt"],
                            term["finishedAt"],
                            term["exitCode"],
                            term["reason"],
                        )
                    )
    return seen


async def test_ground_truth_matches_api(make_sim, tmp_path):
    path = tmp_path / "truth.jsonl"
    sim = await make_sim("crash-loop", ground_truth=path)
    changes = []
    sim.store.subscribe("pods", lambda ch: changes.append((0, ch.type, ch.obj)))
    sim.advance(300)
    truth = {
        (
            a["uid"],
            a["container"],
            a["number"],
            a["started_at"],
            a["finished_at"],
            a["exit_code"],
            a["reason"],
        )
        for a in sim.truth.attempts()
    }
    assert len(truth) >= 6
    assert visible_attempts(changes) == truth
    lines = [orjson.loads(x) for x in path.read_bytes().splitlines()]
    assert len(lines) == len(truth)
    assert set(lines[0]) == {
        "namespace",
        "pod",
        "uid",
        "container",
        "kind",
        "number",
        "started_at",
        "finished_at",
        "exit_code",
        "reason",
        "generation",
        "container_id",
    }


async def test_ground_truth_deletions_and_export(make_sim, http):
    sim = await make_sim("delete-during-init")
    sim.advance(30)
    [deletion] = sim.truth.deletions()
    assert deletion["pod"] == "doomed" and deletion["deleted_at"].endswith("Z")
    [attempt] = sim.truth.attempts()
    assert attempt["exit_code"] == 143 and attempt["kind"] == "init"
    body = await (await http(sim).get("/_kubesim/truth")).read()
    recs = [orjson.loads(x) for x in body.splitlines()]
    assert recs == [attempt, deletion]


async def test_sidecar_kind(make_sim):
    sim = await make_sim("sidecar-crash")
    sim.advance(60)
    kinds = {(a["container"], a["kind"]) for a in sim.truth.attempts()}
    assert ("log-shipper", "sidecar") in kinds and ("migrate", "init") in kinds
