"""Where `python -m bench` keeps its figures, and how two runs are compared.

`var/bench/results.json` holds the last run: `{"commit", "machine", "B1": Result.as_json(), ...}` (a
benchmark that could not run: `{"error": "..."}`). The same figures are merged into
`var/bench/history/<commit>.json`, one file per commit (`git rev-parse HEAD`, `-dirty` appended when the
working tree has changes): a run of only B3 replaces that commit's B3 and keeps the rest, so a commit's
file collects every benchmark run on it. `--compare [COMMIT]` reads these files.
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import orjson

from bench.figures import number

META_KEYS = ("commit", "machine", "quick")


def commit(root: Path) -> str:
    """`git rev-parse HEAD`, with `-dirty` when tracked files differ from it ("unknown" outside git)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("-dirty" if changed else "")


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _postgres_version(database_url: str) -> str:
    import psycopg

    parsed = urlparse(database_url)
    if not parsed.scheme.startswith("postgres"):
        return ""
    try:
        admin = urlunparse(parsed._replace(scheme="postgresql", path="/postgres"))
        with psycopg.connect(admin, connect_timeout=5) as conn:
            return str(conn.execute("SHOW server_version").fetchone()[0])
    except psycopg.Error as exc:
        return f"unreachable ({exc.__class__.__name__})"


def _redis_version(redis_url: str) -> str:
    import redis

    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=5)
        return str(client.info("server").get("redis_version", ""))
    except redis.RedisError as exc:
        return f"unreachable ({exc.__class__.__name__})"


def machine(env: Mapping[str, str]) -> dict[str, Any]:
    """What the figures were measured on (the services are those of `env`)."""
    return {
        "cpus": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "python": platform.python_version(),
        "postgres": _postgres_version(env.get("DATABASE_URL", "")),
        "redis": _redis_version(env.get("REDIS_URL", "redis://127.0.0.1:6379/0")),
        "hostname": socket.gethostname(),
        "date": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
    }


def history_dir(root: Path) -> Path:
    return root / "var" / "bench" / "history"


def _read(path: Path) -> dict[str, Any]:
    try:
        return orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}


def _write(path: Path, data: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    tmp.replace(path)


def save(root: Path, run: Mapping[str, Any], *, history: bool = True) -> list[Path]:
    """Write the run (`{"commit", "machine", <key>: result, ...}`) to results.json and, with `history`,
    merge it into its commit's history file: its benchmarks replace the same ones there, the others are
    kept (with the machine of the run that measured them, under `machine`)."""
    latest = root / "var" / "bench" / "results.json"
    _write(latest, run)
    if not history:
        return [latest]
    kept = history_dir(root) / f"{run['commit']}.json"
    merged = _read(kept)
    previous_machine = merged.get("machine")
    for key, result in merged.items():
        if key not in META_KEYS and key not in run and previous_machine and "machine" not in result:
            result["machine"] = previous_machine  # measured in an earlier run: keep where
    merged.update(run)
    _write(kept, merged)
    return [latest, kept]


def load(root: Path, commit_id: str) -> dict[str, Any]:
    """A commit's merged figures (an exact file name, or a unique prefix of one)."""
    folder = history_dir(root)
    exact = folder / f"{commit_id}.json"
    if exact.exists():
        return _read(exact)
    matches = sorted(folder.glob(f"{commit_id}*.json"))
    if len(matches) == 1:
        return _read(matches[0])
    if not matches:
        raise LookupError(f"no figures kept for commit {commit_id} in {folder}")
    raise LookupError(f"{commit_id} matches several commits: {', '.join(p.stem for p in matches)}")


def previous(root: Path, current: str) -> str | None:
    """The newest commit before `current` that has figures: HEAD itself when `current` is HEAD-dirty,
    then HEAD's ancestors in `git rev-list` order."""
    folder = history_dir(root)
    head = current.removesuffix("-dirty")
    candidates: list[str] = []
    if current.endswith("-dirty"):
        candidates.append(head)
    try:
        ancestors = subprocess.run(
            ["git", "rev-list", "--max-count=500", f"{head}~1"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        ancestors = []
    for sha in ancestors:
        candidates += [sha, f"{sha}-dirty"]
    return next((c for c in candidates if (folder / f"{c}.json").exists()), None)


def _figures(run: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for key, result in run.items():
        if key in META_KEYS or not isinstance(result, dict):
            continue
        for f in result.get("figures", []):
            found[f["name"]] = f
    return found


def compare_rows(this: Mapping[str, Any], other: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """One row per figure in either run: the value in each, and how many times better this one is
    (other/this when lower is better, this/other when higher is better)."""
    mine, theirs = _figures(this), _figures(other)
    rows = []
    for name in [*mine, *(n for n in theirs if n not in mine)]:
        a, b = mine.get(name), theirs.get(name)
        unit = (a or b or {}).get("unit", "")
        better = (a or b or {}).get("better", "lower")
        change = "-"
        if a and b and a["value"] and b["value"]:
            times = a["value"] / b["value"] if better == "higher" else b["value"] / a["value"]
            change = f"{times:,.2f}x"
        rows.append(
            (
                name,
                f"{number(a['value'])} {unit}" if a else "-",
                "met" if a and a.get("met") else ("MISSED" if a and a.get("met") is False else "-"),
                f"{number(b['value'])} {unit}" if b else "-",
                "met" if b and b.get("met") else ("MISSED" if b and b.get("met") is False else "-"),
                change,
            )
        )
    return rows
