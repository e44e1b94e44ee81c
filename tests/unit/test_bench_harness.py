"""`python -m bench`'s harness on synthetic results: the ratio and met rules, the table, results.json's
shape, the per-commit history (a run of one benchmark keeps the others), `--compare`, and the registry
(a missing or failing benchmark is an error in the table; the others still run). No benchmark runs here."""

from __future__ import annotations

import subprocess
import sys
import types

import orjson
import pytest

import bench.__main__ as harness
from bench import results as kept
from bench.figures import Figure, Result, format_table, table_rows

MACHINE = {"cpus": 2, "memory_gib": 24.0, "python": "3.11", "postgres": "15", "redis": "7", "hostname": "h"}


def fig(
    name: str, value: float, target: float | None = 100.0, better: str = "lower", baseline=None
) -> Figure:
    return Figure(name, value, "ms", target, better, baseline=baseline, baseline_label="plain way")


def result(key: str, *figures: Figure) -> Result:
    return Result(key, f"{key} title", list(figures))


def test_lower_is_better_figures_meet_below_the_target_and_ratio_is_baseline_over_value():
    f = fig("p50", 50, target=100, baseline=200)
    assert f.met is True and f.ratio == 4.0
    assert fig("p50", 100, target=100).met is False  # the target is a strict bound
    assert fig("p50", 150, target=100, baseline=75).ratio == 0.5  # worse than the baseline: below 1


def test_higher_is_better_figures_meet_at_the_target_and_ratio_is_value_over_baseline():
    f = Figure("ingest", 12_000, "events/s", 10_000, "higher", baseline=1_000)
    assert f.met is True and f.ratio == 12.0
    assert Figure("ingest", 10_000, "events/s", 10_000, "higher").met is True
    assert Figure("ingest", 9_999, "events/s", 10_000, "higher").met is False


def test_figures_without_target_or_baseline_have_no_verdict_and_no_ratio():
    f = fig("rss", 240, target=None)
    assert f.met is None and f.ratio is None
    assert f.as_json()["met"] is None and f.as_json()["ratio"] is None


def test_a_result_is_met_only_when_every_figure_with_a_target_is():
    r = result("B3", fig("a", 50), fig("b", 99), fig("c", 500, target=None))
    assert r.met is True
    assert result("B3", fig("a", 50), fig("b", 300)).met is False
    data = result("B3", fig("a", 50, baseline=100), fig("b", 300)).as_json()
    assert {k: data[k] for k in ("value", "unit", "target", "baseline", "ratio", "met")} == {
        "value": 50,
        "unit": "ms",
        "target": 100.0,
        "baseline": 100,
        "ratio": 2.0,
        "met": False,  # the headline meets, the second figure misses
    }
    assert [f["name"] for f in data["figures"]] == ["a", "b"]


def test_a_part_that_could_not_be_measured_is_an_error_row_after_the_figures_that_stand():
    partial = Result(
        "B5", "t", [fig("B5 waterfall drawn", 80)], details={"errors": ["B5 overview: timed out"]}
    )
    rows = table_rows({"B5": partial.as_json()})
    assert [row[0] for row in rows] == ["B5 waterfall drawn", "B5"]
    assert rows[1][3] == "ERROR" and rows[1][6] == "B5 overview: timed out"


def test_the_table_prints_value_target_verdict_baseline_and_ratio_per_figure():
    rows = table_rows(
        {
            "B3": result(
                "B3", fig("B3 overview p50", 50, baseline=200), fig("B3 overview p99", 400)
            ).as_json(),
            "B1": Result(
                "B1",
                "ingest",
                [Figure("B1 ingest", 12_345.6, "events/s", 10_000, "higher", 1_234.5, "naive")],
            ).as_json(),
            "B2": {"error": "bench/b2.py is not in this checkout"},
        }
    )
    assert rows[0][:6] == ("B3 overview p50", "50.0 ms", "< 100 ms", "met", "200 ms", "4.0x")
    assert rows[1][:4] == ("B3 overview p99", "400 ms", "< 100 ms", "MISSED")
    assert rows[1][4:6] == ("-", "-")
    assert rows[2][:6] == (
        "B1 ingest",
        "12,346 events/s",
        ">= 10,000 events/s",
        "met",
        "1,234 events/s",
        "10.0x",
    )
    assert rows[3][0] == "B2" and rows[3][3] == "ERROR" and "not in this checkout" in rows[3][6]
    text = format_table(rows)
    assert text.splitlines()[0].split()[:3] == ["figure", "value", "target"]
    assert len(text.splitlines()) == len(rows) + 2  # header, rule, one line per figure


def test_results_json_holds_commit_machine_and_each_benchmark(tmp_path):
    run = {"commit": "abc123", "machine": MACHINE, "B3": result("B3", fig("p50", 50)).as_json()}
    latest, history = kept.save(tmp_path, run)
    assert latest == tmp_path / "var" / "bench" / "results.json"
    assert history == tmp_path / "var" / "bench" / "history" / "abc123.json"
    data = orjson.loads(latest.read_bytes())
    assert set(data) == {"commit", "machine", "B3"}
    assert set(data["B3"]) >= {"value", "unit", "target", "baseline", "ratio", "met", "figures"}
    assert orjson.loads(history.read_bytes()) == data


def test_a_run_of_one_benchmark_replaces_it_in_the_commit_history_and_keeps_the_others(tmp_path):
    first = {"commit": "abc123", "machine": {**MACHINE, "date": "d1"}}
    kept.save(
        tmp_path,
        {**first, "B1": result("B1", fig("b1", 1)).as_json(), "B3": result("B3", fig("p50", 80)).as_json()},
    )
    kept.save(
        tmp_path,
        {
            "commit": "abc123",
            "machine": {**MACHINE, "date": "d2"},
            "B3": result("B3", fig("p50", 60)).as_json(),
        },
    )
    merged = kept.load(tmp_path, "abc123")
    assert merged["B3"]["value"] == 60 and merged["machine"]["date"] == "d2"
    assert merged["B1"]["value"] == 1
    assert merged["B1"]["machine"]["date"] == "d1"  # measured by the earlier run: where is kept
    latest = orjson.loads((tmp_path / "var" / "bench" / "results.json").read_bytes())
    assert set(latest) == {"commit", "machine", "B3"}  # results.json: the last run only


def test_a_quick_run_is_not_kept_in_the_history(tmp_path):
    written = kept.save(tmp_path, {"commit": "abc123", "machine": MACHINE, "quick": True}, history=False)
    assert written == [tmp_path / "var" / "bench" / "results.json"]
    assert not (tmp_path / "var" / "bench" / "history").exists()


def test_compare_rows_say_how_many_times_better_this_run_is():
    this = {"commit": "b", "B3": result("B3", fig("p50", 50), fig("only here", 5)).as_json()}
    other = {
        "commit": "a",
        "B3": result("B3", fig("p50", 100)).as_json(),
        "B1": Result("B1", "t", [Figure("ingest", 2_000, "events/s", 10_000, "higher")]).as_json(),
    }
    this["B1"] = Result("B1", "t", [Figure("ingest", 3_000, "events/s", 10_000, "higher")]).as_json()
    rows = {row[0]: row for row in kept.compare_rows(this, other)}
    assert rows["p50"][1:] == ("50.0 ms", "met", "100 ms", "MISSED", "2.00x")
    assert rows["ingest"][5] == "1.50x"
    assert rows["only here"][3] == "-" and rows["only here"][5] == "-"


def _git(root, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout.strip()


def test_previous_is_the_nearest_earlier_commit_with_figures(tmp_path):
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "config", "user.email", "t@example.com")
    _git(tmp_path, "config", "user.name", "t")
    shas = []
    for n in range(3):
        (tmp_path / "f.txt").write_text(str(n))
        _git(tmp_path, "add", "f.txt")
        _git(tmp_path, "commit", "-qm", f"c{n}")
        shas.append(_git(tmp_path, "rev-parse", "HEAD"))
    assert kept.commit(tmp_path) == shas[2]
    (tmp_path / "f.txt").write_text("changed")
    assert kept.commit(tmp_path) == shas[2] + "-dirty"
    kept.save(tmp_path, {"commit": shas[0], "machine": MACHINE})
    assert kept.previous(tmp_path, shas[2]) == shas[0]  # c1 has no figures: skipped
    kept.save(tmp_path, {"commit": shas[2], "machine": MACHINE})
    assert kept.previous(tmp_path, shas[2] + "-dirty") == shas[2]  # the clean HEAD comes first
    assert kept.load(tmp_path, shas[0][:10])["commit"] == shas[0]  # a prefix is enough
    with pytest.raises(LookupError):
        kept.load(tmp_path, "0" * 40)


@pytest.fixture
def fake_benchmarks(monkeypatch, tmp_path):
    """Three benchmarks in the registry: one that works, one whose module is missing, one that fails."""
    ok = types.ModuleType("bench_fake_ok")
    ok.run = lambda ctx: result("OK", fig("ok p50", 10 if ctx.args.quick else 20, baseline=40))
    broken = types.ModuleType("bench_fake_broken")

    def fail(ctx):
        raise RuntimeError("kubesim did not start")

    broken.run = fail
    monkeypatch.setitem(sys.modules, "bench_fake_ok", ok)
    monkeypatch.setitem(sys.modules, "bench_fake_broken", broken)
    monkeypatch.setattr(
        harness,
        "REGISTRY",
        {
            "OK": harness.Benchmark("bench_fake_ok", "works", fresh_database=False),
            "GONE": harness.Benchmark("bench_fake_gone_nowhere", "missing", fresh_database=False),
            "BROKEN": harness.Benchmark("bench_fake_broken", "fails", fresh_database=False),
        },
    )
    monkeypatch.setattr(harness, "ROOT", tmp_path)
    monkeypatch.setattr(kept, "machine", lambda env: {**MACHINE, "date": "now"})
    monkeypatch.setattr(harness.Databases, "drop", lambda self: None)
    return tmp_path


def test_a_missing_or_failing_benchmark_is_an_error_and_the_others_still_run(fake_benchmarks, capsys):
    assert harness.main(["OK", "GONE", "BROKEN"]) == 1
    data = orjson.loads((fake_benchmarks / "var" / "bench" / "results.json").read_bytes())
    assert data["OK"]["value"] == 20 and data["OK"]["ratio"] == 2.0
    assert data["GONE"] == {"error": "bench_fake_gone_nowhere.py is not in this checkout"}
    assert data["BROKEN"] == {"error": "RuntimeError: kubesim did not start"}
    assert data["commit"] == "unknown"  # not a git checkout
    out = capsys.readouterr().out
    assert "ok p50" in out and "ERROR" in out


def test_a_benchmark_with_a_part_not_measured_keeps_its_figures_and_fails_the_run(
    fake_benchmarks, monkeypatch
):
    partial = types.ModuleType("bench_fake_partial")
    partial.run = lambda ctx: Result("P", "t", [fig("p50", 10)], details={"errors": ["P overview: gone"]})
    monkeypatch.setitem(sys.modules, "bench_fake_partial", partial)
    monkeypatch.setitem(
        harness.REGISTRY, "P", harness.Benchmark("bench_fake_partial", "partial", fresh_database=False)
    )
    assert harness.main(["P"]) == 1
    data = orjson.loads((fake_benchmarks / "var" / "bench" / "results.json").read_bytes())
    assert data["P"]["value"] == 10 and data["P"]["details"]["errors"] == ["P overview: gone"]
    assert harness.main(["OK"]) == 0


def test_quick_shrinks_the_sizes_and_keeps_nothing_in_the_history(fake_benchmarks):
    assert harness.main(["--quick", "OK"]) == 0
    data = orjson.loads((fake_benchmarks / "var" / "bench" / "results.json").read_bytes())
    assert data["quick"] is True and data["OK"]["value"] == 10
    assert not (fake_benchmarks / "var" / "bench" / "history").exists()
    args = harness.resolve_sizes(harness.parser().parse_args(["--quick", "--events", "5"]))
    assert args.events == 5  # given on the command line: kept
    assert args.b2_pods == harness.SIZES["b2_pods"][1] and args.scale == harness.SIZES["scale"][1]
    full = harness.resolve_sizes(harness.parser().parse_args([]))
    assert full.b2_pods == 150_000 and full.events == 200_000


def test_unknown_benchmarks_are_refused(fake_benchmarks):
    with pytest.raises(SystemExit):
        harness.main(["B9"])
