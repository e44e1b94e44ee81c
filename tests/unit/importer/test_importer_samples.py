"""The bundled samples: readable by the importer, API-shaped, deterministic and consistent with their
expected files (identity and last-object facts only: the timeline facts are for the engine's tests)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import orjson
import pytest

from pods.importer.reader import Notice, Record, Rejected, open_records

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
EXPECTED = sorted((SAMPLES / "expected").glob("*.json"))
WHOLE_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _load_builder():
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_samples"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _sample(expected_path: Path) -> tuple[dict, list[Record | Rejected]]:
    expected = orjson.loads(expected_path.read_bytes())
    return expected, list(open_records(SAMPLES / expected["sample"]))


def test_there_are_at_least_ten_samples():
    assert len(EXPECTED) >= 10


@pytest.mark.parametrize("expected_path", EXPECTED, ids=lambda p: p.name.split(".")[0])
def test_sample_reads_cleanly(expected_path):
    expected, items = _sample(expected_path)
    rejected = [i for i in items if isinstance(i, Rejected)]
    notices = [i for i in items if isinstance(i, Notice)]
    assert rejected == []
    if expected["format"] == "raw-watch":
        assert [n.message.split(":")[0] for n in notices] == ["ERROR watch event"]
    else:
        assert notices == []
    assert (SAMPLES / expected["sample"]).stat().st_size < 200_000


@pytest.mark.parametrize("expected_path", EXPECTED, ids=lambda p: p.name.split(".")[0])
def test_sample_resource_versions_increase_and_match_expected(expected_path):
    expected, items = _sample(expected_path)
    records = [i for i in items if isinstance(i, Record)]
    rvs = [int(r.object["metadata"]["resourceVersion"]) for r in records]
    if expected["format"] == "kubectl-list":
        assert len(set(rvs)) == len(rvs)
    else:
        assert rvs == sorted(rvs) and len(set(rvs)) == len(rvs)
    last: dict[str, Record] = {}
    for r in records:
        if r.kind == "pod":
            last[r.object["metadata"]["uid"]] = r
    assert set(last) == {p["uid"] for p in expected["pods"]}
    for pod in expected["pods"]:
        rec = last[pod["uid"]]
        meta, spec = rec.object["metadata"], rec.object["spec"]
        assert (meta["namespace"], meta["name"]) == (pod["namespace"], pod["name"])
        assert rec.object["status"]["phase"] == pod["phase"]
        assert (rec.event_type == "DELETED") == pod["deleted"]
        names = [c["name"] for c in spec.get("initContainers", []) + spec["containers"]]
        assert names == [c["name"] for c in pod["containers"]]
        controller = next(o for o in meta["ownerReferences"] if o.get("controller"))
        assert (controller["kind"], controller["name"]) == (
            pod["controller"]["kind"],
            pod["controller"]["name"],
        )


@pytest.mark.parametrize("expected_path", EXPECTED, ids=lambda p: p.name.split(".")[0])
def test_sample_container_times_are_whole_seconds_and_env_is_harmless(expected_path):
    expected, items = _sample(expected_path)
    for r in items:
        if not isinstance(r, Record) or r.kind != "pod":
            continue
        status = r.object["status"]
        for cs in status.get("initContainerStatuses", []) + status.get("containerStatuses", []):
            for state in (cs["state"], cs["lastState"]):
                for detail in state.values():
                    for key in ("startedAt", "finishedAt"):
                        if detail.get(key) is not None:
                            assert WHOLE_SECONDS.match(detail[key])
        spec = r.object["spec"]
        for c in spec.get("initContainers", []) + spec["containers"]:
            for env in c.get("env", []):
                assert env == {"name": "DB_HOST", "value": "db"}


def test_samples_regenerate_byte_identical():
    """Every sample is kubesim playing a scenario on a manual clock: the same run, the same bytes."""
    builder = _load_builder()
    for sample in builder.SAMPLES:
        recording, facts = builder.build(sample)
        assert recording == sample.path.read_bytes(), sample.path.name
        assert facts == (SAMPLES / "expected" / f"{sample.name}.json").read_bytes(), sample.name
